package huishouqian

import (
	"fmt"
	"io/fs"
	"strconv"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// Plugin builds the provider for paysim's registry.
var Plugin = gateway.Plugin{Name: Name, Build: build, Hosts: hosts}

// hosts are the names real clients reach Huishouqian by (docs/protocols.md §7).
var hosts = []gateway.Host{
	{Name: "api.huishouqian.com", Env: "production", Source: "the POLYMERIZE_REFUND_QUERY seed page (生产请求URL); the C# and PHP clients"},
	{Name: "test-api.huishouqian.com", Env: "test", Source: "the same seed page (测试请求URL); the PHP client's test switch"},
}

// SettingSuccessAsString is the switch of HQ-A1: answers carry success as a string.
const SettingSuccessAsString = "success_as_string"

// merchantEntry is one merchant of the huishouqian section of paysim.yaml.
type merchantEntry struct {
	MerchantNo  string `yaml:"merchant_no"`
	Certificate string `yaml:"certificate"`
	SignKey     string `yaml:"sign_key"`
	SignKeyFile string `yaml:"sign_key_file"`
}

// build makes the provider, registers the merchants of its paysim.yaml section beside
// the test identity, and applies its settings.
func build(core *sim.Simulator, keys fs.FS, sec gateway.Section) (gateway.Provider, error) {
	p, err := New(core, keys)
	if err != nil {
		return nil, fmt.Errorf("loading Huishouqian keys: %w", err)
	}
	var entries []merchantEntry
	if err := sec.Decode(&entries); err != nil {
		return nil, err
	}
	var problems gateway.Problems
	for name, v := range sec.Settings {
		switch name {
		case SettingSuccessAsString:
			on, err := strconv.ParseBool(v)
			if err != nil {
				problems.Add("setting %s: %q is not true or false", name, v)
			}
			p.SetSuccessAsString(on)
		default:
			problems.Add("setting %s: Huishouqian has no such setting (it has %s)", name, SettingSuccessAsString)
		}
	}
	for i, e := range entries {
		entry := fmt.Sprintf("huishouqian[%d]", i)
		if e.MerchantNo == "" {
			problems.Add("%s: merchant_no missing", entry)
		}
		secret := e.SignKey
		if e.SignKeyFile != "" {
			data, _, err := sec.ReadFile(e.SignKeyFile)
			if err != nil {
				problems.Add("%s: %v", entry, err)
			}
			secret = string(data) // byte for byte: a trailing newline would be part of the secret
		}
		if secret == "" {
			problems.Add("%s: sign_key or sign_key_file missing (the shared secret appended as &key=)", entry)
		}
		key, path, err := sec.PublicKey(e.Certificate)
		if err != nil {
			problems.Add("%s: %v", entry, err)
			continue
		}
		p.AddMerchant(&Merchant{No: e.MerchantNo, PublicKey: key, KeyFile: path, SignKey: secret})
	}
	if err := problems.Err(orSettings(sec.Source)); err != nil {
		return nil, err
	}
	return p, nil
}

func orSettings(source string) string {
	if source == "" {
		return "huishouqian settings"
	}
	return source
}
