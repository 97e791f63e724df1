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

// delayedPaid books a paid delayed payment of amount fen.
func delayedPaid(t *testing.T, s *sim.Simulator, id string, amount sim.Amount) {
	t.Helper()
	req := payReq("huifu", id, amount)
	req.Delayed = true
	v, err := s.CreatePayment(req)
	require.NoError(t, err)
	require.Equal(t, sim.StatusSuccess, v.Status)
	require.True(t, v.Delayed)
}

func confirmReq(id, payment string, amount sim.Amount) sim.ConfirmRequest {
	return sim.ConfirmRequest{Key: key("huifu", id), Payment: sim.ByID(payment), Amount: amount, Fingerprint: fmt.Sprintf("cf/%s/%d", id, amount)}
}

func TestConfirmBooksAgainstTheUnconfirmedFunds(t *testing.T) {
	processing := sc("cf-p", sim.OpConfirm, "default: true", "states:",
		"  - {name: p, status: processing, until: {elapsed: 30s}, next: s}", "  - {name: s, status: success}")
	failing := sc("cf-fail", sim.OpConfirm, "when: {amount: \"0.13\"}", "states: [{name: f, status: failed}]")
	s, clock := newSim(t, processing, failing)
	delayedPaid(t, s, "pay", 100)

	c, err := s.CreateConfirm(confirmReq("c1", "pay", 40))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusProcessing, c.Status)
	assert.Equal(t, sim.Amount(60), c.Payment.Unconfirmed(), "a pending confirm holds its amount")
	assert.Equal(t, sim.Amount(40), c.Payment.ConfirmPending)

	failed, err := s.CreateConfirm(confirmReq("c2", "pay", 13))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusFailed, failed.Status)
	assert.Equal(t, sim.Amount(60), failed.Payment.Unconfirmed(), "a failed confirm releases its amount")

	_, err = s.CreateConfirm(confirmReq("c3", "pay", 61))
	var e *sim.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sim.ErrInsufficientBalance, e.Kind)
	assert.Equal(t, sim.ReasonUnconfirmed, e.Reason)

	_, err = s.CreateRefund(sim.RefundRequest{Key: key("huifu", "r1"), Payment: sim.ByID("pay"), Amount: 61, Fingerprint: "r1"})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sim.ReasonUnconfirmed, e.Reason, "a refund may not take confirmed or confirming funds")

	advance(t, clock, 30*time.Second)
	v, err := s.QueryConfirm(sim.OpConfirm, "huifu", merchant, sim.ByID("c1"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, sim.Amount(40), v.Payment.Confirmed)
	assert.Equal(t, sim.Amount(0), v.Payment.ConfirmPending)

	back, err := s.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", "b1"), Confirm: sim.ByID("c1"), Fingerprint: "b1"})
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(40), back.Amount, "amount 0 takes back all the confirm holds")
	assert.Equal(t, sim.Amount(0), back.Confirm.Remaining())
	_, err = s.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", "b2"), Confirm: sim.ByID("c1"), Amount: 1, Fingerprint: "b2"})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sim.ReasonConfirmed, e.Reason)

	rep := s.Inspect("huifu", merchant, "pay")
	require.Len(t, rep, 1)
	assert.Equal(t, "0.60", rep[0].Delayed.Unconfirmed)
	assert.Equal(t, "0.40", rep[0].Delayed.Confirmed)
	require.Len(t, rep[0].Confirms, 3, "c1, c2 and b1")
	assert.Equal(t, sim.OpConfirmRefund, rep[0].Confirms[2].Operation)
}

func TestConfirmOfAPaymentNotDelayed(t *testing.T) {
	s, _ := newSim(t)
	_, err := s.CreatePayment(payReq("huifu", "pay", 100))
	require.NoError(t, err)
	_, err = s.CreateConfirm(confirmReq("c1", "pay", 10))
	var e *sim.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, sim.ErrInvalidState, e.Kind)
	assert.Equal(t, sim.ReasonNotDelayed, e.Reason)
	_, err = s.CreateConfirm(confirmReq("c1", "nope", 10))
	assert.Equal(t, sim.ErrNotFound, sim.KindOf(err))
}

func TestConfirmIdempotency(t *testing.T) {
	s, _ := newSim(t)
	delayedPaid(t, s, "pay", 100)
	first, err := s.CreateConfirm(confirmReq("c1", "pay", 10))
	require.NoError(t, err)
	again, err := s.CreateConfirm(confirmReq("c1", "pay", 10))
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Same(t, first.Answer, again.Answer, "a retry is answered from the first request's stored answer")
	_, err = s.CreateConfirm(confirmReq("c1", "pay", 11))
	assert.Equal(t, sim.ErrDuplicateRequest, sim.KindOf(err))
	v, err := s.QueryPayment("huifu", merchant, sim.ByID("pay"), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(10), v.Confirmed, "booked once")
}

// Confirms, refunds and confirm refunds of one payment, all at once, never move more than
// there is: no read in between shows more held than paid, and in the end exactly the
// payment is booked.
func TestConfirmsRaceRefunds(t *testing.T) {
	s, _ := newSim(t)
	delayedPaid(t, s, "pay", 100)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	var confirms []string // accepted confirms
	stop := make(chan struct{})
	violations := make(chan string, 1)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			v, err := s.QueryPayment("huifu", merchant, sim.ByID("pay"), false)
			if err == nil && v.Refunded+v.Pending+v.Confirmed+v.ConfirmPending > v.Amount {
				select {
				case violations <- fmt.Sprintf("%+v", v.ConfirmFunds):
				default:
				}
			}
		}
	}()
	for i := range 150 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			id := fmt.Sprintf("c%d", i)
			if i%3 == 0 {
				_, err = s.CreateRefund(sim.RefundRequest{Key: key("huifu", fmt.Sprintf("r%d", i)), Payment: sim.ByID("pay"), Amount: 1, Fingerprint: fmt.Sprint(i)})
			} else {
				_, err = s.CreateConfirm(confirmReq(id, "pay", 1))
			}
			if err == nil {
				mu.Lock()
				accepted++
				if i%3 != 0 {
					confirms = append(confirms, id)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stop)
	select {
	case v := <-violations:
		t.Fatalf("more held than paid: %s", v)
	default:
	}
	assert.Equal(t, 100, accepted)
	require.GreaterOrEqual(t, len(confirms), 2)
	v, err := s.QueryPayment("huifu", merchant, sim.ByID("pay"), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(0), v.Unconfirmed())

	// Confirm refunds racing for the confirms take back each at most once.
	var backs sync.WaitGroup
	taken := 0
	for i := range 150 {
		backs.Add(1)
		go func() {
			defer backs.Done()
			confirm := confirms[i%2] // two of the confirms, 0.01 each
			if _, err := s.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", fmt.Sprintf("b%d", i)), Confirm: sim.ByID(confirm), Fingerprint: fmt.Sprint(i)}); err == nil {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		}()
	}
	backs.Wait()
	assert.Equal(t, 2, taken)
}

// A finished delayed payment is evicted with its confirms, and a reset forgets them.
func TestConfirmsAreEvictedAndReset(t *testing.T) {
	clock := sim.NewVirtualClock(t0)
	s := sim.New(sim.WithClock(clock), sim.WithScenarios(loadSet(t), nil), sim.WithMaxEntities(3))
	delayedPaid(t, s, "pay", 100)
	_, err := s.CreateConfirm(confirmReq("c1", "pay", 10))
	require.NoError(t, err)
	_, err = s.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", "b1"), Confirm: sim.ByID("c1"), Fingerprint: "b1"})
	require.NoError(t, err)
	held, _, _ := s.Bounds()
	assert.Equal(t, 3, held)
	delayedPaid(t, s, "pay2", 100) // evicts pay, c1 and b1
	held, _, evicted := s.Bounds()
	assert.Equal(t, 1, held)
	assert.Equal(t, int64(1), evicted)
	_, err = s.QueryConfirm(sim.OpConfirm, "huifu", merchant, sim.ByID("c1"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "evicted")

	_, err = s.CreateConfirm(confirmReq("c9", "pay2", 10))
	require.NoError(t, err)
	s.Reset("")
	_, err = s.QueryConfirm(sim.OpConfirm, "huifu", merchant, sim.ByID("c9"))
	assert.Equal(t, sim.ErrNotFound, sim.KindOf(err))
}
