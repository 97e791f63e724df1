package huifu_test

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/rsakey"
)

// BenchmarkRefundRoundTrip is one signed refund and one refund query through the real
// server over loopback, each signed by the client, verified and answered with a signed
// response that the client verifies the two ways the SDKs do. Per op: 2 client signs,
// 2 server verifies, 2 server signs, 4 client verifies.
func BenchmarkRefundRoundTrip(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "bench-pay", "99999999.99")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		rf := fmt.Sprintf("bench-rf-%d", i)
		resp, err := e.client.Post(pathRefund, refundData(rf, pay.ID, "0.01"))
		if err != nil || resp.Code() != "00000100" {
			b.Fatalf("refund: %v %v", err, resp)
		}
		resp, err = e.client.Post(pathRefundQuery, refundQueryData(rf))
		if err != nil || resp.Code() != "00000000" {
			b.Fatalf("refund query: %v %v", err, resp)
		}
	}
}

// BenchmarkRefundRoundTripServerSide is the same round trip with the client's work taken
// out of the timing: requests are signed before the timer runs and answers are read but not
// verified. What remains is the server: per op 2 request verifications, 2 response
// signatures, the ledger and the HTTP exchange.
func BenchmarkRefundRoundTripServerSide(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "bench-pay", "99999999.99")
	client := e.srv.Client()
	post := func(path string, body []byte) {
		resp, err := client.Post(e.srv.URL+path, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		rf := fmt.Sprintf("bench-ss-%d", i)
		refund, err := e.client.SignedBody(refundData(rf, pay.ID, "0.01"))
		if err != nil {
			b.Fatal(err)
		}
		query, err := e.client.SignedBody(refundQueryData(rf))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		post(pathRefund, refund)
		post(pathRefundQuery, query)
	}
}

// BenchmarkRefundRoundTripParallel is the same under concurrent clients (GOMAXPROCS).
func BenchmarkRefundRoundTripParallel(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "bench-pay", "99999999.99")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rf := id("bench-prf-")
			resp, err := e.client.Post(pathRefund, refundData(rf, pay.ID, "0.01"))
			if err != nil || resp.Code() != "00000100" {
				b.Errorf("refund: %v %v", err, resp)
				return
			}
			if _, err := e.client.Post(pathRefundQuery, refundQueryData(rf)); err != nil {
				b.Errorf("refund query: %v", err)
				return
			}
		}
	})
}

// BenchmarkRSA2048Sign is the floor for this provider: every response is one
// RSA-2048 SHA256withRSA signature.
func BenchmarkRSA2048Sign(b *testing.B) {
	key, err := rsakey.LoadPrivate(paysim.DefaultKeys(), "huifu/platform_private.pem")
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(`{"huifu_id":"6666000100000002","ord_amt":"0.01","resp_code":"00000100","resp_desc":"交易正在处理中","trans_stat":"P"}`)
	for b.Loop() {
		if _, err := rsakey.Sign(key, crypto.SHA256, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSA2048Verify is the cost of checking one request signature.
func BenchmarkRSA2048Verify(b *testing.B) {
	keys := paysim.DefaultKeys()
	priv, err := rsakey.LoadPrivate(keys, "huifu/merchant_private.pem")
	if err != nil {
		b.Fatal(err)
	}
	pub, err := rsakey.LoadPublic(keys, "huifu/merchant_public.pem")
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(`{"huifu_id":"6666000100000002","ord_amt":"0.01"}`)
	sig, err := rsakey.Sign(priv, crypto.SHA256, msg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := rsakey.Verify(pub, crypto.SHA256, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPollServerSide is the polling pattern: the same signed query of a paid order,
// again and again, whose answer is byte-identical each time. Its signature is reused, so
// a poll costs the request's verification, not an RSA signature (compare
// BenchmarkRSA2048Sign).
func BenchmarkPollServerSide(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "bench-poll", "1.00")
	query, err := e.client.SignedBody(queryData(pay.ID))
	if err != nil {
		b.Fatal(err)
	}
	client := e.srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(e.srv.URL+pathQuery, "application/json", bytes.NewReader(query))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkPollHandler is BenchmarkPollServerSide without the network: the handler alone,
// so its figure is paysim's own cost of a poll (decode, verify reused, serve, encode,
// signature reused, journal).
func BenchmarkPollHandler(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "bench-poll", "1.00")
	query, err := e.client.SignedBody(queryData(pay.ID))
	if err != nil {
		b.Fatal(err)
	}
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, pathQuery, bytes.NewReader(query))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkNewPaymentHandler is a new barcode payment, whose answer never repeats, through
// the handler alone: one request verification and one answer signature each, plus
// everything else paysim does (compare BenchmarkRSA2048Sign + BenchmarkRSA2048Verify).
func BenchmarkNewPaymentHandler(b *testing.B) {
	e := newEnv(b)
	h := e.srv.Config.Handler
	const prepared = 4000 // signed before timing; reused round robin past that would be retries
	bodies := make([][]byte, prepared)
	for i := range bodies {
		body, err := e.client.SignedBody(micropayData(fmt.Sprintf("bench-new-%06d", i), "0.01", "134567890123456789"))
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == prepared {
			b.Fatalf("more than %d iterations: run with -benchtime=%dx or less", prepared, prepared)
		}
		req := httptest.NewRequest(http.MethodPost, pathMicropay, bytes.NewReader(bodies[i]))
		i++
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !bytes.Contains(w.Body.Bytes(), []byte(`"resp_code":"00000000"`)) {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
