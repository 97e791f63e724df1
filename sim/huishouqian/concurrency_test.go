package huishouqian_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

// 101 concurrent refunds of 1 fen against a 100-fen payment: exactly 100 are accepted and
// exactly one is refused with REFUND_AMOUNT_EXCEED, and the ledger never shows more
// refunded than paid, even read while the refunds land.
func TestConcurrentRefundsNeverExceedPayment(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	read := func() (sim.PaymentView, error) {
		return e.core.QueryPayment(huishouqian.Name, huishouqiantest.MerchantNo, sim.ByID(pay.ID), false)
	}
	count, err := simtest.Race(101, func(i int) string {
		client, err := huishouqiantest.NewClient(e.srv.URL, paysim.DefaultKeys())
		if err != nil {
			return err.Error()
		}
		resp, err := client.Post(refund, refundBiz(fmt.Sprintf("CRF%03d", i), pay.ID, 1))
		switch {
		case err != nil:
			return err.Error()
		case resp.Success:
			return resp.OrderStatus()
		}
		return resp.ErrorCode
	}, simtest.NeverOverRefunded(read))
	assert.Equal(t, map[string]int{"PROCESSING": 100, "REFUND_AMOUNT_EXCEED": 1}, count)
	require.NoError(t, err)
	v := e.payment(t, pay.ID)
	assert.Equal(t, sim.Amount(100), v.Pending+v.Refunded)
	assert.Equal(t, sim.Amount(0), v.Refundable())
}

// The same refund sent by many clients at once is booked once, and every client gets the
// same answer.
func TestConcurrentIdenticalRefunds(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	content, err := huishouqiantest.SignContent(refundBiz("SAME-REFUND", pay.ID, "30"))
	require.NoError(t, err)
	form, err := e.client.NewForm(refund, content)
	require.NoError(t, err)
	results := make([]string, 20)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.PostForm(form)
			if err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = resp.OrderStatus() + " " + resp.Result["tradeNo"]
		}()
	}
	wg.Wait()
	for _, r := range results[1:] {
		assert.Equal(t, results[0], r)
	}
	assert.Regexp(t, `^PROCESSING 120000\d{26}$`, results[0])
	assert.Equal(t, sim.Amount(30), e.payment(t, pay.ID).Pending)
}

// Concurrent pays with one transNo: exactly one is created, every other gets TRANS_NO_REPEAT.
func TestConcurrentPaysWithOneTransNo(t *testing.T) {
	e := newEnv(t)
	results := make(chan string, 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.Post(beSwept, barcodeBiz("SAME-PAY", "100", "WECHAT_MICROPAY", "134567890123456789"))
			switch {
			case err != nil:
				results <- err.Error()
			case resp.Success:
				results <- resp.OrderStatus()
			default:
				results <- resp.ErrorCode
			}
		}()
	}
	wg.Wait()
	close(results)
	count := map[string]int{}
	for r := range results {
		count[r]++
	}
	assert.Equal(t, map[string]int{"SUCCESS": 1, "TRANS_NO_REPEAT": 19}, count)
}
