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

// providerBuilders builds every provider this command serves, from one key folder and
// the provider switches of the configuration.
var providerBuilders = []struct {
	title string
	build func(core *sim.Simulator, keys fs.FS, cfg *config) (sim.Provider, error)
}{
	{"Huifu", func(c *sim.Simulator, k fs.FS, _ *config) (sim.Provider, error) { return huifu.New(c, k) }},
	{"Huishouqian", func(c *sim.Simulator, k fs.FS, cfg *config) (sim.Provider, error) {
		p, err := huishouqian.New(c, k)
		if err != nil {
			return nil, err
		}
		p.SetSuccessAsString(cfg.hsqSuccessAsString) // HQ-A1
		return p, nil
	}},
	{"Shouqianba", func(c *sim.Simulator, k fs.FS, _ *config) (sim.Provider, error) { return shouqianba.New(c, k) }},
	{"Umpay", func(c *sim.Simulator, k fs.FS, _ *config) (sim.Provider, error) { return umpay.New(c, k) }},
}

func buildProviders(core *sim.Simulator, keys fs.FS, cfg *config) ([]sim.Provider, error) {
	var out []sim.Provider
	for _, b := range providerBuilders {
		p, err := b.build(core, keys, cfg)
		if err != nil {
			return nil, fmt.Errorf("loading %s keys: %w", b.title, err)
		}
		out = append(out, p)
	}
	return out, nil
}
