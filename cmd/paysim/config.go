package main

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/umpay"
)

// defaultConfigFile is read when it exists in the working directory and --config is not
// given.
const defaultConfigFile = "paysim.yaml"

// merchantsFile is paysim.yaml: the merchants and keys users bring, served beside the
// test identities. Key files are relative to the file's own folder.
type merchantsFile struct {
	Huifu []struct {
		SysID     string   `yaml:"sys_id"`
		PublicKey string   `yaml:"public_key"`
		HuifuIDs  []string `yaml:"huifu_ids"`
		Products  []string `yaml:"products"`
	} `yaml:"huifu"`
	Huishouqian []struct {
		MerchantNo  string `yaml:"merchant_no"`
		Certificate string `yaml:"certificate"`
		SignKey     string `yaml:"sign_key"`
		SignKeyFile string `yaml:"sign_key_file"`
	} `yaml:"huishouqian"`
	Shouqianba struct {
		Terminals []struct {
			SN           string `yaml:"terminal_sn"`
			Key          string `yaml:"terminal_key"`
			MerchantSN   string `yaml:"merchant_sn"`
			MerchantName string `yaml:"merchant_name"`
			StoreSN      string `yaml:"store_sn"`
			StoreName    string `yaml:"store_name"`
		} `yaml:"terminals"`
		Vendors []struct {
			SN  string `yaml:"vendor_sn"`
			Key string `yaml:"vendor_key"`
		} `yaml:"vendors"`
	} `yaml:"shouqianba"`
	Umpay []struct {
		AcqSpID   string   `yaml:"acq_sp_id"`
		PublicKey string   `yaml:"public_key"`
		Merchants []string `yaml:"merchants"`
	} `yaml:"umpay"`
}

// merchants is what paysim.yaml registers, ready to hand to the providers.
type merchants struct {
	source      string
	huifu       []*huifu.Merchant
	huishouqian []*huishouqian.Merchant
	terminals   []shouqianba.Terminal
	vendors     []shouqianba.Vendor
	umpay       []*umpay.ServiceProvider
}

// loadMerchants reads path; with path empty it reads paysim.yaml from the working
// directory if there is one. Every problem is reported, naming the entry.
func loadMerchants(path string) (*merchants, error) {
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return &merchants{}, nil
		}
		return nil, fmt.Errorf("--config: %w", err)
	}
	var f merchantsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	dir := filepath.Dir(path)
	m := &merchants{source: path}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	publicKey := func(entry, file string) (string, bool) {
		if file == "" {
			bad("%s: public key file missing", entry)
			return "", false
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		return file, true
	}
	for i, h := range f.Huifu {
		entry := fmt.Sprintf("huifu[%d]", i)
		if h.SysID == "" {
			bad("%s: sys_id missing", entry)
		}
		if file, ok := publicKey(entry, h.PublicKey); ok {
			if key, err := readPublic(file); err != nil {
				bad("%s: %v", entry, err)
			} else {
				ids := append([]string{h.SysID}, h.HuifuIDs...)
				m.huifu = append(m.huifu, &huifu.Merchant{SysID: h.SysID, PublicKey: key, KeyFile: file, HuifuIDs: ids, Products: h.Products})
			}
		}
	}
	for i, h := range f.Huishouqian {
		entry := fmt.Sprintf("huishouqian[%d]", i)
		if h.MerchantNo == "" {
			bad("%s: merchant_no missing", entry)
		}
		secret := h.SignKey
		if h.SignKeyFile != "" {
			file := h.SignKeyFile
			if !filepath.IsAbs(file) {
				file = filepath.Join(dir, file)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				bad("%s: %v", entry, err)
			}
			secret = string(b) // byte for byte: a trailing newline would be part of the secret
		}
		if secret == "" {
			bad("%s: sign_key or sign_key_file missing (the shared secret appended as &key=)", entry)
		}
		if file, ok := publicKey(entry, h.Certificate); ok {
			if key, err := readPublic(file); err != nil {
				bad("%s: %v", entry, err)
			} else {
				m.huishouqian = append(m.huishouqian, &huishouqian.Merchant{No: h.MerchantNo, PublicKey: key, KeyFile: file, SignKey: secret})
			}
		}
	}
	for i, t := range f.Shouqianba.Terminals {
		if t.SN == "" || t.Key == "" {
			bad("shouqianba.terminals[%d]: terminal_sn and terminal_key are required", i)
			continue
		}
		merchantSN, storeSN := orDefault(t.MerchantSN, shouqianba.TestMerchantSN), orDefault(t.StoreSN, shouqianba.TestStoreSN)
		m.terminals = append(m.terminals, shouqianba.Terminal{SN: t.SN, Key: t.Key, MerchantSN: merchantSN,
			MerchantName: orDefault(t.MerchantName, shouqianba.TestMerchantName), StoreSN: storeSN,
			StoreName: orDefault(t.StoreName, shouqianba.TestStoreName)})
	}
	for i, v := range f.Shouqianba.Vendors {
		if v.SN == "" || v.Key == "" {
			bad("shouqianba.vendors[%d]: vendor_sn and vendor_key are required", i)
			continue
		}
		m.vendors = append(m.vendors, shouqianba.Vendor{SN: v.SN, Key: v.Key})
	}
	for i, u := range f.Umpay {
		entry := fmt.Sprintf("umpay[%d]", i)
		if u.AcqSpID == "" || len(u.Merchants) == 0 {
			bad("%s: acq_sp_id and merchants are required", entry)
		}
		if file, ok := publicKey(entry, u.PublicKey); ok {
			if key, err := readPublic(file); err != nil {
				bad("%s: %v", entry, err)
			} else {
				m.umpay = append(m.umpay, &umpay.ServiceProvider{SpID: u.AcqSpID, PublicKey: key, KeyFile: file, Merchants: u.Merchants})
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s:\n  %s", path, strings.Join(problems, "\n  "))
	}
	return m, nil
}

func readPublic(file string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	key, err := rsakey.ParsePublic(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return key, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
