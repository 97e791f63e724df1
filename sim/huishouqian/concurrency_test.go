package huishouqian_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paysim/paysim/sim"
)

// That concurrent refunds never exceed the payment, and that identical concurrent retries
// are booked once and answered with the same bytes, is the conformance suite's
// (conformance_test.go). Here: which Huishouqian codes those answers carry.

// Two refunds that do not both fit, sent at once: the one that lands is PROCESSING, the
// other is refused with REFUND_AMOUNT_EXCEED (not a system error) and is not booked.
func TestConcurrentRefundCodes(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	ids := []string{id("CRF"), id("CRF")}
	results := make([]string, len(ids))
	var wg sync.WaitGroup
	for i, rf := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.client.Post(refund, refundBiz(rf, pay.ID, "60"))
			switch {
			case err != nil:
				results[i] = err.Error()
			case resp.Success:
				results[i] = resp.OrderStatus()
			default:
				results[i] = resp.ErrorCode
			}
		}()
	}
	wg.Wait()
	assert.ElementsMatch(t, []string{"PROCESSING", "REFUND_AMOUNT_EXCEED"}, results)
	assert.Equal(t, sim.Amount(60), e.payment(t, pay.ID).Pending)
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
