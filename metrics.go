package paysim

import (
	"slices"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/metrics"
)

// instrument builds the gateway with metrics that observe every request it answers and
// read what the core, the journal and the providers hold, and the server option that
// serves them as GET /__paysim/metrics. The registry is this server's own: many servers
// in one process (a test binary) never share a series.
func instrument(core *sim.Simulator, verify VerifyMode, opts []gateway.Option, providers []gateway.Provider) (*gateway.Gateway, server.Option) {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.Name()
	}
	m := metrics.New(names)
	gw := gateway.New(core, verify, append(slices.Clip(opts), gateway.WithObserver(m))...)
	m.Watch(gw, providers)
	return gw, server.WithMetrics(m.Handler())
}
