package umpay_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// 101 concurrent refunds of 1 fen against a 100-fen payment: exactly 100 are accepted
// and exactly one is refused with 15, and the ledger never shows more refunded than
// paid, even read while the refunds land.
func TestConcurrentRefundsNeverExceedPayment(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	read := func() (sim.PaymentView, error) {
		return e.core.QueryPayment(umpay.Name, umpaytest.MerID, sim.ByID(pay.ID), false)
	}
	count, err := simtest.Race(101, func(i int) string {
		client, err := umpaytest.NewClient(e.srv.URL, paysim.DefaultKeys())
		if err != nil {
			return err.Error()
		}
		resp, err := client.Post(pathRefund, refundData(fmt.Sprintf("CRF%03d", i), pay.ID, "100", "1"))
		if err != nil {
			return err.Error()
		}
		return resp.Code()
	}, simtest.NeverOverRefunded(read))
	assert.Equal(t, map[string]int{"00": 100, "15": 1}, count)
	require.NoError(t, err)
	v := e.payment(t, pay.ID)
	assert.Equal(t, sim.Amount(100), v.Pending+v.Refunded)
	assert.Equal(t, sim.Amount(0), v.Refundable())
}

// The same refund sent by many clients at once is booked once, and every client gets
// the same answer.
func TestConcurrentIdenticalRetries(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	body, err := e.client.SignedBody(refundData("SAME-REFUND", pay.ID, "100", "30"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	results := make([]string, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.Do("POST", pathRefund, "application/json", body)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = resp.Code() + " " + resp.Fields["transactionId"]
		}()
	}
	wg.Wait()
	for _, r := range results[1:] {
		assert.Equal(t, results[0], r)
	}
	assert.Equal(t, sim.Amount(30), e.payment(t, pay.ID).Pending)
}

// Concurrent payments under one orderNo: exactly one is booked, the rest get 16.
func TestConcurrentPaymentsOneOrderNo(t *testing.T) {
	e := newEnv(t)
	var wg sync.WaitGroup
	codes := make([]string, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.Post(pathMicropay, micropayData("SAME-ORDER", "100", "wechat"))
			if err != nil {
				codes[i] = err.Error()
				return
			}
			codes[i] = resp.Code()
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, c := range codes {
		count[c]++
	}
	assert.Equal(t, map[string]int{"00": 1, "16": 19}, count)
}
