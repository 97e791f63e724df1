package umpay_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// TestGolden runs one fixed script on one simulator (virtual clock, seed 1) and records
// every answer byte for byte in testdata/golden/umpay.txt: the proof that a refactoring
// of the request pipeline changes nothing a client sees. Each step also names the
// respCode it expects, so that -update cannot quietly bless a broken answer.
//
// Order numbers are fixed (not id()): the transcript must not depend on which other
// tests ran first.
func TestGolden(t *testing.T) {
	e := newEnv(t, sim.WithSeed(1))
	var tr simtest.Transcript
	record := func(step, wantCode string, resp *umpaytest.Response) *umpaytest.Response {
		t.Helper()
		tr.Add(step, resp.Status, resp.Header, resp.Body)
		require.Equal(t, wantCode, resp.Code(), "%s: diagnostic %s", step, resp.Header.Get("X-Paysim-Diagnostic"))
		return resp
	}
	post := func(step, wantCode, path string, data map[string]any) *umpaytest.Response {
		t.Helper()
		return record(step, wantCode, e.post(t, path, data))
	}
	do := func(step, wantCode, method, path, contentType string, body []byte) *umpaytest.Response {
		t.Helper()
		resp, err := e.client.Do(method, path, contentType, body)
		require.NoError(t, err, step)
		return record(step, wantCode, resp)
	}
	advance := func(d time.Duration) {
		t.Helper()
		_, err := e.clock.Advance(d)
		require.NoError(t, err)
	}
	// replay sends a captured vector byte for byte, with every header it was captured with.
	replay := func(step, wantCode string, v simtest.Vector) {
		t.Helper()
		saved := e.client.Header
		e.client.Header = http.Header{}
		for k, val := range v.Headers {
			e.client.Header.Set(k, val)
		}
		defer func() { e.client.Header = saved }()
		do(step, wantCode, v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body))
	}
	sortedNames := func(m map[string]simtest.Vector) []string {
		names := make([]string, 0, len(m))
		for name := range m {
			names = append(names, name)
		}
		sort.Strings(names)
		return names
	}
	base := umpay.BasePath

	// A barcode payment succeeds at once; its identical retry is refused (UM-A4).
	post("micropay wechat 0.50 succeeds synchronously", "00", pathMicropay, micropayData("G-MP1", "50", "wechat"))
	post("micropay identical retry is a duplicate", "16", pathMicropay, micropayData("G-MP1", "50", "wechat"))

	// QR order: processing until the 1st query, then paid.
	post("qrpay alipay 12.30 under the base path: processing", "00", base+pathQRPay, qrpayData("G-QR1", "1230", "alipay"))
	post("queryOrder G-QR1 under the base path: paid on the 1st query", "00", base+pathQuery, queryData("G-QR1"))

	// JSAPI order, queried through a case-insensitive path (UM-A9).
	post("unifiedOrder wechatJs 9.90", "00", pathUnified, unifiedData("G-JS1", "990", "wechatJs"))
	post("queryOrder G-JS1 via /pay/QUERYORDER: paid", "00", "/pay/QUERYORDER", queryData("G-JS1"))

	// 1.01 comes back 01000000; the 1st query says unknown, the 2nd paid.
	post("micropay 1.01 under the base path: result unknown", "01000000", base+pathMicropay, micropayData("G-UNK1", "101", "wechat"))
	post("queryOrder G-UNK1: still unknown", "00", pathQuery, queryData("G-UNK1"))
	post("queryOrder G-UNK1: resolved to paid", "00", pathQuery, queryData("G-UNK1"))

	// Refund: accepted as processing, retried identically, duplicated with other content,
	// then settled by the virtual clock 30 s later.
	post("refund 0.20 of G-MP1: accepted", "00", pathRefund, refundData("G-RF1", "G-MP1", "50", "20"))
	post("refund G-RF1 identical retry: the stored answer", "00", pathRefund, refundData("G-RF1", "G-MP1", "50", "20"))
	post("refund G-RF1 with another amount: duplicate", "16", pathRefund, refundData("G-RF1", "G-MP1", "50", "30"))
	post("refundQuery G-RF1: processing", "00", pathRefundQuery, refundQueryData("G-RF1"))
	advance(30 * time.Second)
	post("refundQuery G-RF1 after 30 s: refunded", "00", base+pathRefundQuery, refundQueryData("G-RF1"))
	post("refund 0.40 of G-MP1 with 0.30 left: over the balance", "15", pathRefund, refundData("G-RF2", "G-MP1", "50", "40"))
	post("refund of an unknown order", "35", pathRefund, refundData("G-RF3", "G-NOPE", "50", "10"))

	// Close and cancel.
	post("qrpay wechat 1.00", "00", pathQRPay, qrpayData("G-QR2", "100", "wechat"))
	post("closeOrder G-QR2", "00", pathClose, closeData("G-QR2"))
	post("queryOrder G-QR2: closed", "00", pathQuery, queryData("G-QR2"))
	post("micropay alipay 0.50", "00", pathMicropay, micropayData("G-MP2", "50", "alipay"))
	post("cancelOrder G-MP2 under the base path: revoked", "00", base+pathCancel, closeData("G-MP2"))

	// A QR order expires on the virtual clock.
	post("qrpay alipay 1.00 valid 600 s", "00", pathQRPay, with(qrpayData("G-QR3", "100", "alipay"), "paymentValidTime", "600"))
	advance(600 * time.Second)
	post("queryOrder G-QR3 after 600 s: expired", "00", pathQuery, queryData("G-QR3"))

	// Scenarios chosen by header: a shipped one, and one that does not exist.
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	post("micropay 0.50 with header pay-unknown-result", "01000000", pathMicropay, micropayData("G-SC1", "50", "wechat"))
	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	post("micropay with header naming an unknown scenario", "10", pathMicropay, micropayData("G-SC2", "50", "wechat"))
	e.client.Header.Del("X-Paysim-Scenario")

	// What vectors_test.go seeds: the paid order and the accepted refund the vectors name.
	e.seedPaid(t, vectorOrder, 100, "micropay")
	post("refund 0.40 of the seeded vector order", "00", pathRefund, refundData(vectorRefund, vectorOrder, "100", "40"))

	// Bad input.
	do("GET instead of POST", "10", http.MethodGet, pathMicropay, "", nil)
	do("empty body", "10", http.MethodPost, pathMicropay, "application/json", nil)
	do("malformed JSON", "10", http.MethodPost, pathMicropay, "application/json", []byte(`{"acqSpId":`))
	do("unknown path", "10", http.MethodPost, "/pay/preorder", "application/json", []byte(`{}`))
	tampered := simtest.Vectors(t, "umpay", "tampered")
	for _, name := range sortedNames(tampered) {
		replay("tampered vector "+name, "11", tampered[name])
	}
	post("unknown acqSpId", "11", pathQuery, with(queryData("G-MP1"), "acqSpId", "Y999999999"))
	post("acqMerId not of the service provider", "31", pathQuery, with(queryData("G-MP1"), "acqMerId", "49999999"))

	// Every request captured from a real client.
	requests := simtest.Vectors(t, "umpay", "requests")
	for _, name := range sortedNames(requests) {
		replay("real-client vector "+name, "00", requests[name])
	}

	tr.Check(t, "umpay.txt")
}
