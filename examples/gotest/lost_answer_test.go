package gotest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// The refund went through, but the app saw a timeout: paysim books the refund and then
// never answers. The app's recovery must find the refund by querying, and a retry of the
// same request must get the answer that was lost, not a second refund.
func TestRefundBookedButAnswerLost(t *testing.T) {
	ps := paysimtest.New(t)
	ps.Seed("huifu", huifutest.HuifuID, "order-2", "10.00")
	ps.ArmFault(paysimtest.Fault{Fault: "commit-then-timeout", Provider: "huifu", Operation: "refund"})

	hf := ps.Huifu()
	refund := map[string]any{"req_date": "20260101", "req_seq_id": "refund-2", "huifu_id": huifutest.HuifuID,
		"ord_amt": "2.50", "org_req_date": "20260101", "org_req_seq_id": "order-2"}
	body, err := hf.SignedBody(refund)
	if err != nil {
		t.Fatal(err)
	}
	// The app's own client, with the timeout an integration would set.
	app := &http.Client{Timeout: 300 * time.Millisecond}
	if _, err := app.Post(ps.URL+"/v3/trade/payment/scanpay/refund", "application/json", bytes.NewReader(body)); err == nil {
		t.Fatal("the app should have timed out")
	}

	// Reconciliation: the refund exists.
	q, err := hf.Post("/v3/trade/payment/scanpay/refundquery", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "refund-2"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Code() != "00000000" || q.Data["trans_stat"] != "P" {
		t.Fatalf("the refund query should find the refund processing, got %s", q.Body)
	}

	// The app's retry of the very same bytes gets the lost answer: the journal kept it.
	resp, err := http.Post(ps.URL+"/v3/trade/payment/scanpay/refund", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	retried, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lost := ps.Requests(paysimtest.RequestFilter{Order: "refund-2", Outcome: "fault"})
	if len(lost) != 1 || lost[0].Answer != string(retried) {
		t.Fatalf("the retry got\n%s\nnot the lost answer %+v", retried, lost)
	}
	if n := ps.CountRequests(paysimtest.RequestFilter{Path: "/v3/trade/payment/scanpay/refund", Order: "refund-2"}); n != 2 {
		t.Fatalf("%d refund requests journaled, want the first and its retry", n)
	}
	order := ps.Order("huifu", "order-2")
	if len(order.Refunds) != 1 || order.Refundable != "7.50" {
		t.Fatalf("booked once: want one refund and 7.50 refundable, got %d refunds, %s refundable", len(order.Refunds), order.Refundable)
	}
}
