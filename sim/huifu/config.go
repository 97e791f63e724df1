package huifu

import (
	"fmt"
	"io/fs"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// Plugin builds the provider for paysim's registry.
var Plugin = gateway.Plugin{Name: Name, Build: build, Hosts: hosts}

// hosts are the names real clients reach Huifu by (docs/protocols.md §7).
var hosts = []gateway.Host{
	{Name: "api.huifu.com", Env: "production", Source: "the vendor's API pages; every official SDK (bspay-go-sdk, bspay-php-sdk, bspay-java-sdk-parent, bspay-csharp-sdk, dg-python-sdk)"},
	{Name: "spin-test.cloudpnr.com", Env: "test (integration)", Source: "bspay-go-sdk and bspay-php-sdk BASE_API_TEST_URL_V2, bspay-csharp-sdk BASE_URL_MOCK, bspay-java-sdk-parent apiBaseMock"},
	{Name: "opps-stbmertest.testpnr.com", Env: "test (merchant joint test)", Source: "dg-python-sdk BASE_URL_MER_TEST, bspay-java-sdk-parent apiBaseTest"},
}

// merchantEntry is one merchant of the huifu section of paysim.yaml.
type merchantEntry struct {
	SysID     string   `yaml:"sys_id"`
	PublicKey string   `yaml:"public_key"`
	HuifuIDs  []string `yaml:"huifu_ids"`
	Products  []string `yaml:"products"`
}

// build makes the provider and registers the merchants of its paysim.yaml section
// beside the test identity.
func build(core *sim.Simulator, keys fs.FS, sec gateway.Section) (gateway.Provider, error) {
	p, err := New(core, keys)
	if err != nil {
		return nil, fmt.Errorf("loading Huifu keys: %w", err)
	}
	var entries []merchantEntry
	if err := sec.Decode(&entries); err != nil {
		return nil, err
	}
	var problems gateway.Problems
	for i, e := range entries {
		entry := fmt.Sprintf("huifu[%d]", i)
		if e.SysID == "" {
			problems.Add("%s: sys_id missing", entry)
		}
		key, path, err := sec.PublicKey(e.PublicKey)
		if err != nil {
			problems.Add("%s: %v", entry, err)
			continue
		}
		ids := append([]string{e.SysID}, e.HuifuIDs...) // a sys_id acts for itself too
		p.AddMerchant(&Merchant{SysID: e.SysID, PublicKey: key, KeyFile: path, HuifuIDs: ids, Products: e.Products})
	}
	if err := problems.Err(sec.Source); err != nil {
		return nil, err
	}
	return p, nil
}
