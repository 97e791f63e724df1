package paysim

import (
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/umpay"
)

// registry is every provider paysim serves, one line each. A provider is a package under
// sim/ with a Plugin: its routes, protocol, paysim.yaml section and test client live there.
var registry = []gateway.Plugin{
	huifu.Plugin,
	huishouqian.Plugin,
	shouqianba.Plugin,
	umpay.Plugin,
}

// Providers lists the names of the providers paysim serves, in registry order.
func Providers() []string {
	out := make([]string, len(registry))
	for i, p := range registry {
		out[i] = p.Name
	}
	return out
}
