package umpay_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
)

// The refund that loses a race for the last fen is refused the way a sequential one is:
// 15 余额不足, and the payment ends fully refunded. (That 101 racing refunds never exceed
// the payment, and that identical concurrent retries get one stored answer and book once,
// is the conformance suite's.)
func TestRaceLoserIsOverTheBalance(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 10, "qrpay")
	count, err := simtest.Race(11, func(i int) string {
		resp, err := e.client.Post(pathRefund, refundData(fmt.Sprintf("CRF%03d", i), pay.ID, "10", "1"))
		if err != nil {
			return err.Error()
		}
		return resp.Code()
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"00": 10, "15": 1}, count)
	v := e.payment(t, pay.ID)
	assert.Equal(t, sim.Amount(10), v.Pending+v.Refunded)
	assert.Equal(t, sim.Amount(0), v.Refundable())
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
