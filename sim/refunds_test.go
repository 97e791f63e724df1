package sim_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

var busyRefundSet = []string{
	sc("refund-now", sim.OpRefund, "default: true", "states: [{name: done, status: success}]"),
	sc("refund-slow", sim.OpRefund,
		"states: [{name: waiting, status: processing, until: {elapsed: 30s}, next: done}, {name: done, status: success}]"),
	sc("refund-refused-later", sim.OpRefund,
		"states: [{name: waiting, status: processing, until: {elapsed: 10s}, next: failed}, {name: failed, status: failed}]"),
}

// A payment with many finished refunds keeps its books and its deadlines right for the
// few still open among them: finished refunds leave the working set, open ones never do.
func TestManyRefundsKeepOpenOnesMoving(t *testing.T) {
	s, clock := newSim(t, busyRefundSet...)
	var mu sync.Mutex
	announced := map[string]sim.Status{}
	s.OnFinal("huifu", func(ev sim.Event) {
		if ev.Refund != nil {
			mu.Lock()
			announced[ev.Refund.Key.ID] = ev.Refund.Status
			mu.Unlock()
		}
	})
	seed(t, s, "huifu", "P", 100000)
	refund := func(id string, amount sim.Amount, scenario string) sim.RefundView {
		t.Helper()
		req := refundReq("huifu", "P", id, amount)
		req.Scenario = scenario
		v, err := s.CreateRefund(req)
		require.NoError(t, err)
		return v
	}
	slow := refund("R-slow", 500, "refund-slow")
	for i := range 300 {
		refund(fmt.Sprintf("R%03d", i), 100, "")
	}
	refused := refund("R-refused", 700, "refund-refused-later")
	for i := 300; i < 600; i++ {
		refund(fmt.Sprintf("R%03d", i), 100, "")
	}
	require.Equal(t, sim.StatusProcessing, slow.Status)
	require.Equal(t, sim.StatusProcessing, refused.Status)

	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(60000), p.Refunded)
	assert.Equal(t, sim.Amount(1200), p.Pending, "the two open refunds hold their amounts")
	assert.Equal(t, 600, p.RefundCount)

	// Nobody reads either refund: their deadlines alone move them, and announce them.
	advance(t, clock, 10*time.Second)
	_, err := s.CreateRefund(refundReq("huifu", "P", "R-over", 100000-60000-500+1))
	requireKind(t, err, sim.ErrInsufficientBalance)
	p = queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(500), p.Pending, "the refused refund released its reservation at its deadline")
	advance(t, clock, 20*time.Second)
	p = queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(60500), p.Refunded)
	assert.Zero(t, p.Pending)
	assert.Equal(t, 601, p.RefundCount)

	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, announced, 602, "every refund is announced once")
	assert.Equal(t, sim.StatusSuccess, announced["R-slow"])
	assert.Equal(t, sim.StatusFailed, announced["R-refused"])
	assert.Equal(t, sim.StatusSuccess, queryRefund(t, s, "huifu", "R-slow").Status)
}

// BenchmarkRefundOnBusyPayment is a refund and its query on a payment that already has
// n finished refunds: the cost must not grow with n.
func BenchmarkRefundOnBusyPayment(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("finished=%d", n), func(b *testing.B) {
			s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithScenarios(loadSet(b, busyRefundSet...), nil),
				sim.WithMaxEntities(1<<24)) // b.Loop decides how many refunds it makes
			if _, err := s.SeedPayment(sim.PaymentRequest{Key: key("huifu", "P"), Amount: sim.Amount(1 << 40)}); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				if _, err := s.CreateRefund(refundReq("huifu", "P", fmt.Sprintf("old%d", i), 1)); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				id := fmt.Sprintf("new%d", i)
				i++
				if _, err := s.CreateRefund(refundReq("huifu", "P", id, 1)); err != nil {
					b.Fatal(err)
				}
				if _, err := s.QueryRefund("huifu", merchant, sim.ByID(id)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
