package shouqianba

import (
	"fmt"
	"io/fs"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// Plugin builds the provider for paysim's registry.
var Plugin = gateway.Plugin{Name: Name, Build: build, Hosts: hosts}

// hosts are the names real clients reach Shouqianba by (docs/protocols.md §7).
var hosts = []gateway.Host{
	{Name: "vsi-api.shouqianba.com", Env: "production (current)", Source: "WoSai/sqb-payment-skills"},
	{Name: "api.shouqianba.com", Env: "production (older)", Source: "WoSai/shouqianba-doc (接入域名 api_domain)"},
	{Name: "hk-api.shouqianba.com", Env: "production (Hong Kong)", Source: "WoSai/shouqianba-doc, en/intro/identity_security.md (Multiple Access Points)"},
}

// section is the shouqianba section of paysim.yaml: terminals that survive resets and
// vendors that may activate new ones.
type section struct {
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
}

// build makes the provider and registers the terminals and vendors of its paysim.yaml
// section beside the test ones.
func build(core *sim.Simulator, keys fs.FS, sec gateway.Section) (gateway.Provider, error) {
	p, err := New(core, keys)
	if err != nil {
		return nil, fmt.Errorf("loading Shouqianba keys: %w", err)
	}
	var s section
	if err := sec.Decode(&s); err != nil {
		return nil, err
	}
	var problems gateway.Problems
	for i, t := range s.Terminals {
		if t.SN == "" || t.Key == "" {
			problems.Add("shouqianba.terminals[%d]: terminal_sn and terminal_key are required", i)
			continue
		}
		p.AddTerminal(Terminal{SN: t.SN, Key: t.Key, MerchantSN: orDefault(t.MerchantSN, TestMerchantSN),
			MerchantName: orDefault(t.MerchantName, TestMerchantName), StoreSN: orDefault(t.StoreSN, TestStoreSN),
			StoreName: orDefault(t.StoreName, TestStoreName)})
	}
	for i, v := range s.Vendors {
		if v.SN == "" || v.Key == "" {
			problems.Add("shouqianba.vendors[%d]: vendor_sn and vendor_key are required", i)
			continue
		}
		p.AddVendor(Vendor{SN: v.SN, Key: v.Key})
	}
	if err := problems.Err(sec.Source); err != nil {
		return nil, err
	}
	return p, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
