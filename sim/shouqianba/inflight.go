package shouqianba

import (
	"sync"

	"github.com/paysim/paysim/sim"
)

// inflight remembers, per order, its latest refund and any close still being decided.
// Shouqianba has one query for everything: a client that refunded or cancelled polls
// /upay/v2/query with the order's sn or client_sn, so that query must count as a status
// query of the operation in flight and report the order as its last operation left it
// (status, settlement_amount and finish_time are those of the last operation).
type inflight struct {
	mu      sync.Mutex
	refunds map[sim.Key]string // order → refund alias of its latest refund
	closes  map[sim.Key]bool   // order → a cancel or revoke is undecided
	// touch records a change, for the state file.
	touch func()
}

func newInflight() *inflight {
	return &inflight{refunds: map[sim.Key]string{}, closes: map[sim.Key]bool{}}
}

func (f *inflight) refundStarted(order sim.Key, alias string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds[order] = alias
	f.changed()
}

func (f *inflight) latestRefund(order sim.Key) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	alias, ok := f.refunds[order]
	return alias, ok
}

func (f *inflight) closeStarted(order sim.Key) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes[order] = true
	f.changed()
}

func (f *inflight) closing(order sim.Key) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closes[order]
}

func (f *inflight) closeDecided(order sim.Key) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.closes, order)
	f.changed()
}

func (f *inflight) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds = map[sim.Key]string{}
	f.closes = map[sim.Key]bool{}
}
