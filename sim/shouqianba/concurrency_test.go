package shouqianba_test

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/simtest"
)

// While 50 partial refunds of 2 fen run at once against a 100 fen order, every query
// on the wire shows a net_amount of total_amount minus the refunds that had succeeded
// around it; once they all succeed the order is REFUNDED with nothing left. (That
// concurrent refunds never exceed the payment is the conformance suite's.)
func TestNetAmountDuringConcurrentRefunds(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("cc"), 100, nil)
	netAmount := func() error {
		before := refunded(t, e, order.ID)
		resp, err := e.client.Post(pathQuery, map[string]any{"sn": order.ProviderID})
		after := refunded(t, e, order.ID)
		if err != nil {
			return err
		}
		net, _ := strconv.ParseInt(resp.Data("net_amount"), 10, 64)
		if sim.Amount(net) > 100-before || sim.Amount(net) < 100-after {
			return fmt.Errorf("net_amount %d outside [%d, %d]", net, 100-after, 100-before)
		}
		return nil
	}
	count, err := simtest.Race(50, func(i int) string {
		resp, err := e.client.Post(pathRefund, refundBody(order.ID, fmt.Sprintf("c%03d", i), "2"))
		if err != nil {
			return err.Error()
		}
		return resp.Code() + " " + resp.BizError()
	}, netAmount)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"REFUND_IN_PROGRESS ": 50}, count)
	e.advance(t, 30*time.Second)
	final := e.post(t, pathQuery, queryByClientSN(order.ID))
	assert.Equal(t, "REFUNDED", final.Data("order_status"))
	assert.Equal(t, "0", final.Data("net_amount"))
	assert.Equal(t, "100", final.Data("total_amount"))
}

func refunded(t *testing.T, e *env, clientSN string) sim.Amount {
	v, err := e.core.QueryPayment(shouqianba.Name, shouqianba.TestMerchantSN, sim.ByID(clientSN), false)
	if err != nil {
		t.Error(err)
	}
	return v.Refunded
}

// The same refund sent by many clients at once is booked once, and every client gets
// the same answer.
func TestConcurrentIdenticalRefunds(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("cc"), 100, nil)
	body, err := e.client.Body(pathRefund, refundBody(order.ID, "same", "30"))
	require.NoError(t, err)
	results := make([]string, 20)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.PostRaw(pathRefund, body)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = resp.Code() + " " + resp.Data("settlement_amount") + " " + resp.Data("sn")
		}()
	}
	wg.Wait()
	for _, r := range results {
		assert.Equal(t, "REFUND_IN_PROGRESS 30 "+order.ProviderID, r)
	}
	v, err := e.core.QueryPayment(shouqianba.Name, shouqianba.TestMerchantSN, sim.ByID(order.ID), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(30), v.Pending)
}

// Activations, checkins and payments from many terminals at once.
func TestConcurrentTerminals(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			act, err := e.client.Post(pathActivate, activateBody(fmt.Sprintf("POS-%d", i)))
			if err != nil || act.Biz == nil {
				errs <- fmt.Errorf("activate: %v", err)
				return
			}
			pos := e.client.WithTerminal(act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"])
			ck, err := pos.Post(pathCheckin, map[string]any{"device_id": fmt.Sprintf("POS-%d", i)})
			if err != nil || ck.Biz == nil {
				errs <- fmt.Errorf("checkin: %v", err)
				return
			}
			pos = pos.WithTerminal(pos.TerminalSN, ck.Biz.Terminal["terminal_key"])
			paid, err := pos.Post(pathPay, payBody(fmt.Sprintf("ct-%d", i), "100"))
			if err != nil || paid.Code() != "PAY_SUCCESS" {
				errs <- fmt.Errorf("pay: %v %v", err, paid)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, e.core.Inspect(shouqianba.Name, shouqianba.TestMerchantSN, ""), 20)
}
