// This module is what a project that depends on paysim writes: its own go.mod, paysim
// required as a module, and paysim started inside `go test` with paysimtest.
package gotest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// A refund made with a signed Huifu request is processing, succeeds once the virtual
// clock has moved 30 s, and the merchant's receiver is notified.
func TestHuifuRefundGoesThrough(t *testing.T) {
	ps := paysimtest.New(t)

	// The merchant's notification receiver: Huifu wants RECV_ORD_ID_ + the request id.
	var mu sync.Mutex
	var received url.Values
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		mu.Lock()
		received = form
		mu.Unlock()
		io.WriteString(w, "RECV_ORD_ID_refund-1")
	}))
	defer receiver.Close()

	ps.Seed("huifu", huifutest.HuifuID, "order-1", "10.00")
	hf := ps.Huifu() // signs with the test merchant key, verifies answers with the platform key

	refund, err := hf.Post("/v3/trade/payment/scanpay/refund", map[string]any{
		"req_date": "20260101", "req_seq_id": "refund-1", "huifu_id": huifutest.HuifuID,
		"ord_amt": "2.50", "org_req_date": "20260101", "org_req_seq_id": "order-1",
		"notify_url": receiver.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := refund.Data["trans_stat"]; got != "P" {
		t.Fatalf("refund trans_stat %q, want P (processing); answer %s", got, refund.Body)
	}

	ps.Advance(30 * time.Second)

	query, err := hf.Post("/v3/trade/payment/scanpay/refundquery", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "refund-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := query.Data["trans_stat"]; got != "S" {
		t.Fatalf("refund query trans_stat %q, want S; answer %s", got, query.Body)
	}

	n := ps.WaitNotification("refund-1", "acked", 5*time.Second)
	if len(n.Attempts) == 0 || !n.Attempts[len(n.Attempts)-1].Acked {
		t.Fatalf("notification %s not acknowledged: %+v", n.ID, n.Attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if received.Get("resp_data") == "" || received.Get("sign") == "" {
		t.Fatalf("the receiver got no signed resp_data: %v", received)
	}
	order := ps.Order("huifu", "refund-1") // the payment, with its refunds
	if len(order.Refunds) != 1 || order.Refunds[0].Status != "success" {
		t.Fatalf("paysim holds the refunds %+v, want one success", order.Refunds)
	}
}
