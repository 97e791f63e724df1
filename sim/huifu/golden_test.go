package huifu_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

// TestGolden runs one fixed script on one simulator (virtual clock, seed 1) and compares
// every answer, byte for byte, with testdata/golden/huifu.txt: the proof that a refactoring
// of the request pipeline changed nothing a client sees. Every answer must also verify as
// a signed Huifu response (the client checks it), and each step's resp_code is asserted so
// that the golden file cannot be rewritten from a broken simulator unnoticed.
//
// Ids are fixed (not id()) so that -count=N runs give the same bytes.
func TestGolden(t *testing.T) {
	e := newEnv(t, sim.WithSeed(1))
	var tr simtest.Transcript
	record := func(step string, resp *huifutest.Response, err error, wantStatus int, wantCode string) *huifutest.Response {
		t.Helper()
		require.NoError(t, err, step)
		tr.Add(step, resp.Status, resp.Header, resp.Body)
		require.Equal(t, wantStatus, resp.Status, "%s: diagnostic %s", step, resp.Header.Get("X-Paysim-Diagnostic"))
		require.Equal(t, wantCode, resp.Code(), "%s: diagnostic %s", step, resp.Header.Get("X-Paysim-Diagnostic"))
		return resp
	}
	post := func(step, path string, data map[string]any, wantCode string) *huifutest.Response {
		t.Helper()
		resp, err := e.client.Post(path, data)
		return record(step, resp, err, http.StatusOK, wantCode)
	}
	do := func(step, method, path, contentType string, body []byte, wantStatus int, wantCode string) *huifutest.Response {
		t.Helper()
		resp, err := e.client.Do(method, path, contentType, body)
		return record(step, resp, err, wantStatus, wantCode)
	}
	advance := func(d time.Duration) {
		t.Helper()
		_, err := e.clock.Advance(d)
		require.NoError(t, err)
	}

	const (
		v2Jspay       = "/v2/trade/payment/jspay"
		v2Micropay    = "/v2/trade/payment/micropay"
		v2Query       = "/v2/trade/payment/scanpay/query"
		v2Refund      = "/v2/trade/payment/scanpay/refund"
		v2RefundQuery = "/v2/trade/payment/scanpay/refundquery"
	)

	// Payments: a QR-code order paid on its first query, on v3 and on v2.
	first := post("jspay v3 A_NATIVE 12.30 created processing", pathJspay, jspayData("g-js1", "12.30", "A_NATIVE"), "00000100")
	retry := post("jspay v3 identical retry", pathJspay, jspayData("g-js1", "12.30", "A_NATIVE"), "00000100")
	require.Equal(t, string(first.Body), string(retry.Body), "an identical retry gets the same bytes")
	post("jspay v3 same req_seq_id other amount is a duplicate", pathJspay, jspayData("g-js1", "12.31", "A_NATIVE"), "20000000")
	post("query v3 paid on first query", pathQuery, queryData("g-js1"), "00000000")
	post("jspay v2 T_JSAPI 3.00 created processing", v2Jspay, jspayData("g-js2", "3.00", "T_JSAPI"), "00000100")
	post("query v2 paid on first query", v2Query, queryData("g-js2"), "00000000")

	// Barcode payments: immediate success, and an unknown result settled by two queries.
	post("micropay v3 T_MICROPAY 0.50 immediate success", pathMicropay, micropayData("g-mp1", "0.50", "134567890123456789"), "00000000")
	post("micropay v2 A_MICROPAY 1.01 result unknown", v2Micropay, micropayData("g-mp2", "1.01", "284567890123456789"), "00000100")
	post("query v3 unknown result 1st query still processing", pathQuery, queryData("g-mp2"), "00000000")
	post("query v3 unknown result 2nd query paid", pathQuery, queryData("g-mp2"), "00000000")

	// Refunds: settled by repeated queries, then by the clock; over the balance; unknown order.
	post("refund v3 0.40 of g-js1 processing", pathRefund, refundData("g-rf1", "g-js1", "0.40"), "00000100")
	post("refundquery v3 1st query processing", pathRefundQuery, refundQueryData("g-rf1"), "00000000")
	post("refundquery v3 2nd query success", pathRefundQuery, refundQueryData("g-rf1"), "00000000")
	post("refund v2 12.00 over the refundable balance 11.90", v2Refund, refundData("g-rf2", "g-js1", "12.00"), "23000003")
	post("refund v2 1.00 of g-js2 processing", v2Refund, refundData("g-rf3", "g-js2", "1.00"), "00000100")
	advance(30 * time.Second)
	post("refundquery v2 after the clock advanced 30s success", v2RefundQuery, refundQueryData("g-rf3"), "00000000")
	post("refund v3 of an unknown order", pathRefund, refundData("g-rf4", "no-such-order", "0.10"), "23000001")

	// Close: processing, settled by the clock, and the order reads closed.
	post("jspay v3 A_NATIVE 1.00 to close", pathJspay, jspayData("g-js3", "1.00", "A_NATIVE"), "00000100")
	post("close v2 processing", pathClose, closeData("g-cl1", "g-js3"), "00000100")
	post("closequery v2 1st query processing", pathCloseQuery, closeData("g-cq1", "g-js3"), "00000000")
	advance(30 * time.Second)
	post("closequery v2 after the clock advanced 30s closed", pathCloseQuery, closeData("g-cq2", "g-js3"), "00000000")
	post("query v3 closed order reads F", pathQuery, queryData("g-js3"), "00000000")

	// Scenarios chosen by header.
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	post("micropay v3 0.50 with header scenario pay-unknown-result", pathMicropay, micropayData("g-mp3", "0.50", "134567890123456789"), "00000100")
	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	post("micropay v3 with header naming an unknown scenario", pathMicropay, micropayData("g-mp4", "0.50", "134567890123456789"), "10000000")
	e.client.Header.Del("X-Paysim-Scenario")

	// Bad input.
	do("GET instead of POST", http.MethodGet, pathQuery, "", nil, http.StatusMethodNotAllowed, "10000000")
	do("empty body", http.MethodPost, pathRefund, "application/json", nil, http.StatusOK, "10000000")
	do("malformed JSON", http.MethodPost, pathRefund, "application/json", []byte(`{"sys_id":`), http.StatusOK, "10000000")
	do("wrong content type", http.MethodPost, pathRefund, "application/x-www-form-urlencoded", []byte(`a=b`), http.StatusOK, "10000000")
	do("unknown path under /v2/", http.MethodPost, "/v2/trade/payment/nope", "application/json", []byte(`{}`), http.StatusNotFound, "10000000")

	// The order the captured vectors name, paid on their capture day.
	e.seedPaidOn(t, "pay202611220001", "1.00", captureDay)

	tampered := loadVectors(t, "tampered")
	name := slices.Sorted(maps.Keys(tampered))[0]
	v := tampered[name]
	do("tampered signature "+name, v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body), http.StatusOK, "10000000")

	e.client.SysID = "6666000100009999"
	post("unknown sys_id", pathQuery, queryData("pay202611220001"), "10000000")
	e.client.SysID = huifutest.SysID

	// Every real-client vector, in file-name order, on the same simulator: each SDK's
	// refund query finds (still processing) the refund the same SDK made just before.
	requests := loadVectors(t, "requests")
	wantCodes := map[string]string{
		"/v2/trade/payment/scanpay/closequery":  "23000001",
		"/v3/trade/payment/scanpay/query":       "00000000",
		"/v3/trade/payment/scanpay/refund":      "00000100",
		"/v3/trade/payment/scanpay/refundquery": "00000000",
	}
	for _, name := range slices.Sorted(maps.Keys(requests)) {
		v := requests[name]
		want, ok := wantCodes[v.Path]
		require.True(t, ok, "no expectation for vector path %s", v.Path)
		do("vector "+name, v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body), http.StatusOK, want)
	}

	// Delayed transactions: a delayed order, a partial confirm, a refund over and one
	// within the unconfirmed funds, a confirm refund.
	delayed := jspayData("g-dj1", "5.00", "A_NATIVE")
	delayed["delay_acct_flag"] = "Y"
	post("jspay v3 delayed 5.00", pathJspay, delayed, "00000100")
	post("query v3 delayed order paid, all unconfirmed", pathQuery, queryData("g-dj1"), "00000000")
	post("confirm v2 2.00 to two receivers processing", pathConfirm, confirmData("g-cf1", "g-dj1", split("1.50", "0.50")), "00000000")
	post("confirmquery v2 1st query processing", pathConfirmQuery, confirmQueryData("g-cf1"), "00000000")
	post("confirmquery v3 2nd query success", pathConfirmQueryV3, confirmQueryData("g-cf1"), "00000000")
	post("refund v3 3.01 over the unconfirmed 3.00", pathRefund, refundData("g-drf1", "g-dj1", "3.01"), "23000003")
	post("refund v3 1.00 within the unconfirmed", pathRefund, refundData("g-drf2", "g-dj1", "1.00"), "00000100")
	post("confirmrefund v2 0.50 of g-cf1 processing", pathConfirmRefund, confirmRefundData("g-cr1", "g-cf1", split("0.50")), "00000000")
	post("confirmrefundquery v2 1st query processing", pathConfirmRefundQuery, confirmQueryData("g-cr1"), "00000000")

	// Hosted checkout: preorder, paid by the payer (the control plane's call), queried,
	// refunded, and a close of the paid order refused.
	post("preorder v2 H5 8.00 created", pathPreorder, preorderData("g-ho1", "8.00"), "00000000")
	post("queryorderinfo v2 waiting for the payer", pathQueryOrderInfo, hostedQueryData("g-ho1"), "00000000")
	_, err := e.core.ActAsPayer(huifu.Name, huifutest.HuifuID, "g-ho1", sim.PayerPays)
	require.NoError(t, err)
	post("queryorderinfo v2 paid", pathQueryOrderInfo, hostedQueryData("g-ho1"), "00000000")
	post("htRefund v2 3.00 accepted", pathHtRefund, refundData("g-hrf1", "g-ho1", "3.00"), "00000000")
	post("queryRefundInfo v2 1st query processing", pathQueryRefundInfo, refundQueryData("g-hrf1"), "00000000")
	post("queryRefundInfo v2 2nd query success", pathQueryRefundInfo, refundQueryData("g-hrf1"), "00000000")
	post("hosting close v2 of the paid order refused", pathHostingClose, hostedCloseData("g-hcl1", "g-ho1"), "30000001")
	post("splitpay query v2 one transaction", pathSplitpayQuery, hostedQueryData("g-ho1"), "00000000")

	tr.Check(t, "huifu.txt")
}
