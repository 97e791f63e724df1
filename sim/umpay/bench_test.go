package umpay_test

import (
	"bytes"
	"crypto"
	"io"
	"testing"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/rsakey"
)

// BenchmarkQueryOrderRoundTrip is one signed pay/queryOrder through the real server over
// loopback: the client signs (SHA1withRSA-1024), the server verifies, reads the ledger,
// signs the "|"-joined values, and the client verifies with the platform certificate.
func BenchmarkQueryOrderRoundTrip(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "BENCH-PAY", 100, "qrpay")
	b.ReportAllocs()
	for b.Loop() {
		resp, err := e.client.Post(pathQuery, queryData(pay.ID))
		if err != nil || resp.Fields["origRespCode"] != "00" {
			b.Fatalf("queryOrder: %v %v", err, resp)
		}
	}
}

// BenchmarkQueryOrderServerSide is the same query with the client's work taken out: the
// request is signed once (queries are not checked for duplicates, so the same bytes serve
// every iteration) and the answer is read but not verified. What remains is the server:
// one request verification, the ledger read, one response signature and the HTTP exchange.
func BenchmarkQueryOrderServerSide(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "BENCH-PAY", 100, "qrpay")
	body, err := e.client.SignedBody(queryData(pay.ID))
	if err != nil {
		b.Fatal(err)
	}
	http := e.srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Post(e.srv.URL+pathQuery, "application/json; charset=UTF-8", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkQueryOrderRoundTripParallel is the round trip under concurrent clients
// (GOMAXPROCS), all querying the same order: they contend on its lock.
func BenchmarkQueryOrderRoundTripParallel(b *testing.B) {
	e := newEnv(b)
	pay := e.seedPaid(b, "BENCH-PAY", 100, "qrpay")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := e.client.Post(pathQuery, queryData(pay.ID))
			if err != nil || resp.Code() != "00" {
				b.Errorf("queryOrder: %v %v", err, resp)
				return
			}
		}
	})
}

// BenchmarkRSA1024SHA1Sign is the floor for this provider: every response is one
// RSA-1024 SHA1withRSA signature.
func BenchmarkRSA1024SHA1Sign(b *testing.B) {
	key, err := rsakey.LoadPrivate(paysim.DefaultKeys(), "umpay/platform_private.pem")
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte("0|00|支付成功|0101100000|20260101|9123456789012345|00|处理成功|20260101|2026010110000000000001|100")
	for b.Loop() {
		if _, err := rsakey.Sign(key, crypto.SHA1, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSA1024SHA1Verify is the cost of checking one request signature.
func BenchmarkRSA1024SHA1Verify(b *testing.B) {
	keys := paysim.DefaultKeys()
	priv, err := rsakey.LoadPrivate(keys, "umpay/merchant_private.pem")
	if err != nil {
		b.Fatal(err)
	}
	pub, err := rsakey.LoadPublic(keys, "umpay/merchant_public.pem")
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte("acqMerId=42516662&acqSpId=Y000000001&orderNo=JD202401010000000001&transactionId=")
	sig, err := rsakey.Sign(priv, crypto.SHA1, msg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := rsakey.Verify(pub, crypto.SHA1, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}
