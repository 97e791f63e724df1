package huifu_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

// 101 concurrent refunds of 0.01 against a 1.00 payment: exactly 100 are accepted and
// exactly one is refused with 23000003, and the ledger never shows more refunded than
// paid, even read while the refunds land.
func TestConcurrentRefundsNeverExceedPayment(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	read := func() (sim.PaymentView, error) {
		return e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
	}
	count, err := simtest.Race(101, func(i int) string {
		client, err := huifutest.NewClient(e.srv.URL, paysim.DefaultKeys())
		if err != nil {
			return err.Error()
		}
		resp, err := client.Post(pathRefund, refundData(fmt.Sprintf("crf%03d", i), pay.ID, "0.01"))
		if err != nil {
			return err.Error()
		}
		return resp.Code()
	}, simtest.NeverOverRefunded(read))
	assert.Equal(t, map[string]int{"00000100": 100, "23000003": 1}, count)
	require.NoError(t, err)
	v, err := read()
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(100), v.Pending+v.Refunded)
	assert.Equal(t, sim.Amount(0), v.Refundable())
}

// The same refund sent by many clients at once is booked once, and every client gets
// the same answer.
func TestConcurrentIdenticalRetries(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	body, err := e.client.SignedBody(refundData("same-refund", pay.ID, "0.30"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.PostRaw(pathRefund, "application/json", body)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = resp.Code() + " " + resp.Data["hf_seq_id"]
		}()
	}
	wg.Wait()
	for _, r := range results[1:] {
		assert.Equal(t, results[0], r)
	}
	v, err := e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(30), v.Pending)
}
