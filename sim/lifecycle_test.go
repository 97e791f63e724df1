package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func reverseReq(provider, payID, id string) sim.CloseRequest {
	r := closeReq(provider, payID, id)
	r.Reverse = true
	return r
}

func TestReversal(t *testing.T) {
	t.Run("takes back a paid payment", func(t *testing.T) {
		s, _ := newSim(t)
		seed(t, s, "shouqianba", "P", 100)
		c, err := s.CreateClose(reverseReq("shouqianba", "P", "REV1"))
		require.NoError(t, err)
		assert.Equal(t, sim.StatusSuccess, c.Status, "no close scenario: immediate")
		assert.Equal(t, sim.StatusClosed, c.Payment.Status)
		assert.Equal(t, sim.ClosureReversed, c.Payment.Closure)
		assert.Equal(t, "REV1", c.Payment.ClosedBy)
		_, err = s.CreateRefund(refundReq("shouqianba", "P", "R1", 10))
		requireKind(t, err, sim.ErrInvalidState)
	})
	t.Run("a plain close still refuses a paid payment", func(t *testing.T) {
		s, _ := newSim(t)
		seed(t, s, "umpay", "P", 100)
		_, err := s.CreateClose(closeReq("umpay", "P", "C1"))
		assert.Equal(t, sim.ReasonPaymentFinal, requireKind(t, err, sim.ErrInvalidState).Reason)
	})
	t.Run("not after a refund", func(t *testing.T) {
		s, _ := newSim(t)
		seed(t, s, "umpay", "P", 100)
		_, err := s.CreateRefund(refundReq("umpay", "P", "R1", 10))
		require.NoError(t, err)
		_, err = s.CreateClose(reverseReq("umpay", "P", "REV1"))
		assert.Equal(t, sim.ReasonRefunded, requireKind(t, err, sim.ErrInvalidState).Reason)
	})
	t.Run("also stops an unpaid payment", func(t *testing.T) {
		s, _ := newSim(t, sc("pay-slow", sim.OpPayment, "default: true",
			"states: [{name: waiting, status: processing, until: {queries: 5}, next: paid}, {name: paid, status: success}]"))
		_, err := s.CreatePayment(payReq("shouqianba", "P", 100))
		require.NoError(t, err)
		c, err := s.CreateClose(reverseReq("shouqianba", "P", "REV1"))
		require.NoError(t, err)
		assert.Equal(t, sim.StatusClosed, c.Payment.Status)
		assert.Equal(t, sim.ClosureReversed, c.Payment.Closure)
	})
	t.Run("a pending reversal blocks refunds", func(t *testing.T) {
		s, _ := newSim(t, sc("reverse-slow", sim.OpClose, "default: true",
			"states: [{name: p, status: processing, until: {queries: 1}, next: s}, {name: s, status: success}]"))
		seed(t, s, "shouqianba", "P", 100)
		c, err := s.CreateClose(reverseReq("shouqianba", "P", "REV1"))
		require.NoError(t, err)
		assert.Equal(t, sim.StatusProcessing, c.Status)
		assert.Equal(t, sim.StatusSuccess, c.Payment.Status, "still paid until the reversal is decided")
		_, err = s.CreateRefund(refundReq("shouqianba", "P", "R1", 10))
		requireKind(t, err, sim.ErrInvalidState)
		q, err := s.QueryClose("shouqianba", merchant, sim.ByID("P"))
		require.NoError(t, err)
		assert.Equal(t, sim.StatusSuccess, q.Status)
		assert.Equal(t, sim.ClosureReversed, q.Payment.Closure)
	})
}

func TestExpiry(t *testing.T) {
	slow := sc("pay-slow", sim.OpPayment, "default: true",
		"states: [{name: waiting, status: processing, until: {elapsed: 10m}, next: paid}, {name: paid, status: success}]")
	t.Run("an undecided payment closes at its deadline", func(t *testing.T) {
		s, clock := newSim(t, slow)
		req := payReq("huishouqian", "P", 100)
		req.ExpiresAfter = 5 * time.Minute
		v, err := s.CreatePayment(req)
		require.NoError(t, err)
		assert.Equal(t, t0.Add(5*time.Minute), v.ExpiresAt)
		advance(t, clock, 5*time.Minute-time.Second)
		assert.Equal(t, sim.StatusProcessing, queryPayment(t, s, "huishouqian", "P", true).Status)
		advance(t, clock, time.Hour)
		v = queryPayment(t, s, "huishouqian", "P", false)
		assert.Equal(t, sim.StatusClosed, v.Status)
		assert.Equal(t, sim.ClosureExpired, v.Closure)
		assert.Equal(t, t0.Add(5*time.Minute), v.FinishedAt, "closed at the deadline, not at the read")
	})
	t.Run("a move due before the deadline wins", func(t *testing.T) {
		s, clock := newSim(t, slow)
		req := payReq("huishouqian", "P", 100)
		req.ExpiresAfter = 15 * time.Minute
		_, err := s.CreatePayment(req)
		require.NoError(t, err)
		advance(t, clock, time.Hour)
		v := queryPayment(t, s, "huishouqian", "P", false)
		assert.Equal(t, sim.StatusSuccess, v.Status)
		assert.Equal(t, sim.ClosureNone, v.Closure)
	})
	t.Run("negative expiry refused", func(t *testing.T) {
		s, _ := newSim(t)
		req := payReq("huishouqian", "P", 100)
		req.ExpiresAfter = -time.Second
		_, err := s.CreatePayment(req)
		requireKind(t, err, sim.ErrInvalidParams)
	})
	t.Run("inspect says when", func(t *testing.T) {
		s, _ := newSim(t, slow)
		req := payReq("huishouqian", "P", 100)
		req.ExpiresAfter = 5 * time.Minute
		_, err := s.CreatePayment(req)
		require.NoError(t, err)
		assert.Contains(t, inspectOne(t, s, "huishouqian", "P").Next, "closed as expired at 2026-01-01T10:05:00+08:00")
	})
}

func TestOnReset(t *testing.T) {
	s, _ := newSim(t)
	var got []string
	s.OnReset(func(provider string) { got = append(got, "a:"+provider) })
	s.OnReset(func(provider string) { got = append(got, "b:"+provider) })
	s.Reset("shouqianba")
	s.Reset("")
	assert.Equal(t, []string{"a:shouqianba", "b:shouqianba", "a:", "b:"}, got)
}
