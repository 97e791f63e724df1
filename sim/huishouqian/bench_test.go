package huishouqian_test

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/rsakey"
)

// benchRefunds books n refunds of 1 fen against one large payment and lets them succeed
// (30 s on the virtual clock), so every benchmarked query reads a settled refund.
func benchRefunds(b *testing.B, e *env, n int) []string {
	b.Helper()
	pay := e.seedPaid(b, "BENCH-PAY", 99_999_999_999)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("BENCH-RF-%d", i)
		if resp := e.post(b, refund, refundBiz(ids[i], pay.ID, "1")); !resp.Success {
			b.Fatalf("refund: %s %s", resp.ErrorCode, resp.ErrorMsg)
		}
	}
	if _, err := e.clock.Advance(31 * time.Second); err != nil {
		b.Fatal(err)
	}
	return ids
}

// signedQueries pre-signs one refund query form per refund.
func signedQueries(b *testing.B, e *env, ids []string) [][]byte {
	b.Helper()
	bodies := make([][]byte, len(ids))
	for i, rf := range ids {
		content, err := huishouqiantest.SignContent(refundQueryBiz(rf))
		if err != nil {
			b.Fatal(err)
		}
		f, err := e.client.NewForm(refundQuery, content)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = f.Encode()
	}
	return bodies
}

// BenchmarkRefundQuery is one POLYMERIZE_REFUND_QUERY through the real server over
// loopback, as a merchant backend makes it: the client builds and signs the form, paysim
// verifies it, looks the refund up and signs the answer, and the client verifies that the
// way the PHP client does. Per op: 1 client sign, 1 server verify, 1 server sign, 1 client
// verify.
func BenchmarkRefundQuery(b *testing.B) {
	e := newEnv(b)
	ids := benchRefunds(b, e, 64)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		resp, err := e.client.Post(refundQuery, refundQueryBiz(ids[i%len(ids)]))
		if err != nil || resp.RespCode() != "200007" {
			b.Fatalf("refund query: %v %s", err, resp.Body)
		}
	}
}

// BenchmarkRefundQueryServerSide is the same request with the client's work taken out:
// forms are signed before the timer runs and answers are read but not verified. What remains
// is the server: one request verification, the ledger read, one response signature and the
// HTTP exchange over loopback.
func BenchmarkRefundQueryServerSide(b *testing.B) {
	e := newEnv(b)
	bodies := signedQueries(b, e, benchRefunds(b, e, 64))
	client := e.srv.Client()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		resp, err := client.Post(e.srv.URL+huishouqiantest.Path, "application/x-www-form-urlencoded", bytes.NewReader(bodies[i%len(bodies)]))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkRefundQueryHandler is the refund query path in process, without a socket: the
// server's router and the pipeline, fed a pre-signed form.
func BenchmarkRefundQueryHandler(b *testing.B) {
	e := newEnv(b)
	bodies := signedQueries(b, e, benchRefunds(b, e, 64))
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r := httptest.NewRequest(http.MethodPost, huishouqiantest.Path, bytes.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkRefundQueryParallel is BenchmarkRefundQuery under concurrent clients
// (GOMAXPROCS), all reading refunds of one payment.
func BenchmarkRefundQueryParallel(b *testing.B) {
	e := newEnv(b)
	ids := benchRefunds(b, e, 64)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			resp, err := e.client.Post(refundQuery, refundQueryBiz(ids[i%len(ids)]))
			if err != nil || !resp.Success {
				b.Errorf("refund query: %v", err)
				return
			}
			i++
		}
	})
}

// BenchmarkRSA2048SignHex is the floor for this provider: every answer is one RSA-2048
// SHA256withRSA signature, hex-encoded.
func BenchmarkRSA2048SignHex(b *testing.B) {
	key, err := rsakey.LoadPrivate(paysim.DefaultKeys(), "huishouqian/platform_private.pem")
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(`result={"extend":"自定义参数","finishedDate":"","merchantNo":"864000000001","orderAmt":"1","orderStatus":"PROCESSING","respCode":"100201"}&success=true&key=hsq-sign-key-for-tests`)
	for b.Loop() {
		if _, err := rsakey.Sign(key, crypto.SHA256, msg); err != nil {
			b.Fatal(err)
		}
	}
}
