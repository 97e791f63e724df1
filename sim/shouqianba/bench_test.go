package shouqianba_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The query path has no RSA: one MD5 over the body, a ledger read and a JSON envelope.
// BenchmarkQueryRoundTrip should therefore run close to BenchmarkHealthRoundTrip, the
// bare rate of the same server over the same loopback connection.

func (e *env) benchPost(client *http.Client, path string, body []byte, auth string) error {
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

func (e *env) benchGet(client *http.Client, path string) error {
	resp, err := client.Get(e.srv.URL + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// BenchmarkQueryRoundTrip is one signed /upay/v2/query of a paid order through the real
// server over loopback; the body is signed once, outside the timing.
func BenchmarkQueryRoundTrip(b *testing.B) {
	e := newEnv(b)
	order := e.seedPaid(b, "bench-order", 100, nil)
	body, err := e.client.Body(pathQuery, queryBySN(order.ProviderID))
	if err != nil {
		b.Fatal(err)
	}
	auth := e.client.Authorization(pathQuery, body)
	client := e.srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.benchPost(client, pathQuery, body, auth); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHealthRoundTrip is GET /__paysim/health through the same server: the floor.
func BenchmarkHealthRoundTrip(b *testing.B) {
	e := newEnv(b)
	client := e.srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		if err := e.benchGet(client, "/__paysim/health"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryRoundTripParallel and BenchmarkHealthRoundTripParallel are the same
// under concurrent clients (GOMAXPROCS).
func BenchmarkQueryRoundTripParallel(b *testing.B) {
	e := newEnv(b)
	order := e.seedPaid(b, "bench-order", 100, nil)
	body, err := e.client.Body(pathQuery, queryBySN(order.ProviderID))
	if err != nil {
		b.Fatal(err)
	}
	auth := e.client.Authorization(pathQuery, body)
	client := e.srv.Client()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := e.benchPost(client, pathQuery, body, auth); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkHealthRoundTripParallel(b *testing.B) {
	e := newEnv(b)
	client := e.srv.Client()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := e.benchGet(client, "/__paysim/health"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkQueryStrictClient adds the strict client's work: encode, sign, decode and check.
func BenchmarkQueryStrictClient(b *testing.B) {
	e := newEnv(b)
	order := e.seedPaid(b, "bench-order", 100, nil)
	b.ReportAllocs()
	for b.Loop() {
		resp, err := e.client.Post(pathQuery, queryBySN(order.ProviderID))
		if err != nil || resp.Code() != "SUCCESS" {
			b.Fatalf("query: %v %v", err, resp)
		}
	}
}

// BenchmarkQueryHandler and BenchmarkHealthHandler take the network out: the same
// requests served in-process by the same server's handler, so the difference is the
// provider's own work (MD5, decode, validate, ledger read, encode).
func BenchmarkQueryHandler(b *testing.B) {
	e := newEnv(b)
	order := e.seedPaid(b, "bench-order", 100, nil)
	body, err := e.client.Body(pathQuery, queryBySN(order.ProviderID))
	if err != nil {
		b.Fatal(err)
	}
	auth := e.client.Authorization(pathQuery, body)
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, pathQuery, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

func BenchmarkHealthHandler(b *testing.B) {
	e := newEnv(b)
	h := e.srv.Config.Handler
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/__paysim/health", nil))
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
