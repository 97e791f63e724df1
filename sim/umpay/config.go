package umpay

import (
	"fmt"
	"io/fs"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// Plugin builds the provider for paysim's registry.
var Plugin = gateway.Plugin{Name: Name, Build: build, Hosts: hosts}

// hosts are the names real clients reach Umpay by (docs/protocols.md §7).
var hosts = []gateway.Host{
	{Name: "provider.umfintech.com", Env: "production (plain HTTP)", Source: "MidnightDancing/offlineAPIDocs, public/accessSteps.md (生产环境服务器地址)"},
	{Name: "111.205.18.100", Env: "test (plain HTTP, port 8011)", Source: "the same page (联调环境服务器地址)"},
	{Name: "106.120.215.230", Env: "test, older (plain HTTP, port 8011)", Source: "the demo in MidnightDancing/offlineAPIDocs, APIDemo EnvConfig.java"},
}

// spEntry is one service provider of the umpay section of paysim.yaml.
type spEntry struct {
	AcqSpID   string   `yaml:"acq_sp_id"`
	PublicKey string   `yaml:"public_key"`
	Merchants []string `yaml:"merchants"`
}

// build makes the provider and registers the service providers of its paysim.yaml
// section beside the test identity.
func build(core *sim.Simulator, keys fs.FS, sec gateway.Section) (gateway.Provider, error) {
	p, err := New(core, keys)
	if err != nil {
		return nil, fmt.Errorf("loading Umpay keys: %w", err)
	}
	var entries []spEntry
	if err := sec.Decode(&entries); err != nil {
		return nil, err
	}
	var problems gateway.Problems
	for i, e := range entries {
		entry := fmt.Sprintf("umpay[%d]", i)
		if e.AcqSpID == "" || len(e.Merchants) == 0 {
			problems.Add("%s: acq_sp_id and merchants are required", entry)
		}
		key, path, err := sec.PublicKey(e.PublicKey)
		if err != nil {
			problems.Add("%s: %v", entry, err)
			continue
		}
		p.AddServiceProvider(&ServiceProvider{SpID: e.AcqSpID, PublicKey: key, KeyFile: path, Merchants: e.Merchants})
	}
	if err := problems.Err(sec.Source); err != nil {
		return nil, err
	}
	return p, nil
}
