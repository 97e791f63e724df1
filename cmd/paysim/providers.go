package main

import (
	"fmt"
	"io/fs"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/umpay"
)

// providerNames are the providers scenario files may name.
var providerNames = []string{huifu.Name, huishouqian.Name, shouqianba.Name, umpay.Name}

// providerBuilders builds every provider this command serves, from one key folder, the
// provider switches of the configuration and the merchants of paysim.yaml.
var providerBuilders = []struct {
	title string
	build func(core *sim.Simulator, keys fs.FS, cfg *config, m *merchants) (sim.Provider, error)
}{
	{"Huifu", func(c *sim.Simulator, k fs.FS, _ *config, m *merchants) (sim.Provider, error) {
		p, err := huifu.New(c, k)
		if err != nil {
			return nil, err
		}
		for _, x := range m.huifu {
			p.AddMerchant(x)
		}
		return p, nil
	}},
	{"Huishouqian", func(c *sim.Simulator, k fs.FS, cfg *config, m *merchants) (sim.Provider, error) {
		p, err := huishouqian.New(c, k)
		if err != nil {
			return nil, err
		}
		p.SetSuccessAsString(cfg.hsqSuccessAsString) // HQ-A1
		for _, x := range m.huishouqian {
			p.AddMerchant(x)
		}
		return p, nil
	}},
	{"Shouqianba", func(c *sim.Simulator, k fs.FS, _ *config, m *merchants) (sim.Provider, error) {
		p, err := shouqianba.New(c, k)
		if err != nil {
			return nil, err
		}
		for _, t := range m.terminals {
			p.AddTerminal(t)
		}
		for _, v := range m.vendors {
			p.AddVendor(v)
		}
		return p, nil
	}},
	{"Umpay", func(c *sim.Simulator, k fs.FS, _ *config, m *merchants) (sim.Provider, error) {
		p, err := umpay.New(c, k)
		if err != nil {
			return nil, err
		}
		for _, sp := range m.umpay {
			p.AddServiceProvider(sp)
		}
		return p, nil
	}},
}

func buildProviders(core *sim.Simulator, keys fs.FS, cfg *config, m *merchants) ([]sim.Provider, error) {
	var out []sim.Provider
	for _, b := range providerBuilders {
		p, err := b.build(core, keys, cfg, m)
		if err != nil {
			return nil, fmt.Errorf("loading %s keys: %w", b.title, err)
		}
		out = append(out, p)
	}
	return out, nil
}
