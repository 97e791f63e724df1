// Package paysimtest runs paysim inside a Go test: one simulator per test on a virtual
// clock, listening on a loopback port, with typed helpers over its control plane and,
// per provider, a client that signs requests and verifies answers the way the official
// SDKs do.
//
// The helpers drive paysim through its HTTP control plane (/__paysim/), as a CI job in
// another language would, so a test proves what it would see.
package paysimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// Server is paysim serving one test.
type Server struct {
	// URL is the base URL to point clients at, e.g. http://127.0.0.1:41234.
	URL string
	// Paysim is the simulator itself, for direct inspection.
	Paysim *paysim.Server

	t    testing.TB
	http *http.Client
}

// New starts paysim for the test t, on a virtual clock at paysim.DefaultVirtualStart
// with seed 1 unless opts say otherwise, and stops it when the test ends.
func New(t testing.TB, opts ...paysim.Option) *Server {
	t.Helper()
	all := append([]paysim.Option{paysim.WithVirtualClock(time.Time{}), paysim.WithVersion("paysimtest")}, opts...)
	ps, err := paysim.New(all...)
	if err != nil {
		t.Fatalf("paysimtest: %v", err)
	}
	hs := httptest.NewServer(ps)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ps.Close(ctx)
	})
	return &Server{URL: hs.URL, Paysim: ps, t: t, http: hs.Client()}
}

// Huifu is a client for the Huifu test identity (keys/README.md): it signs requests
// with the test merchant key and verifies every answer with the platform key.
func (s *Server) Huifu() *huifutest.Client {
	s.t.Helper()
	c, err := huifutest.NewClient(s.URL, paysim.DefaultKeys())
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	return c
}

// Huishouqian is a client for the Huishouqian test merchant.
func (s *Server) Huishouqian() *huishouqiantest.Client {
	s.t.Helper()
	c, err := huishouqiantest.NewClient(s.URL, paysim.DefaultKeys())
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	return c
}

// Shouqianba is a client for the Shouqianba test terminal.
func (s *Server) Shouqianba() *shouqianbatest.Client { return shouqianbatest.NewClient(s.URL) }

// Umpay is a client for the Umpay test service provider.
func (s *Server) Umpay() *umpaytest.Client {
	s.t.Helper()
	c, err := umpaytest.NewClient(s.URL, paysim.DefaultKeys())
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	return c
}

// Reset forgets every payment, refund, close and notification of provider (every
// provider when empty) and re-seeds the generator on a full reset.
func (s *Server) Reset(provider string) {
	s.t.Helper()
	s.control(http.MethodPost, "/reset", map[string]string{"provider": provider}, http.StatusOK, nil)
}

// Advance moves the virtual clock forward by d, running whatever became due (state
// moves, notification retries), and returns the new time.
func (s *Server) Advance(d time.Duration) time.Time {
	s.t.Helper()
	var out struct {
		Now time.Time `json:"now"`
	}
	s.control(http.MethodPost, "/clock", map[string]string{"advance": d.String()}, http.StatusOK, &out)
	return out.Now
}

// Arm is what to arm a scenario for.
type Arm struct {
	Provider string        // empty: any provider
	Times    int           // 0: once
	TTL      time.Duration // 0: no limit
}

// Arm makes scenario apply to the next matching operations.
func (s *Server) Arm(scenario string, a Arm) sim.Armed {
	s.t.Helper()
	in := map[string]any{"scenario": scenario, "provider": a.Provider}
	if a.Times > 0 {
		in["times"] = a.Times
	}
	if a.TTL > 0 {
		in["ttl"] = a.TTL.String()
	}
	var out sim.Armed
	s.control(http.MethodPost, "/scenarios/arm", in, http.StatusCreated, &out)
	return out
}

// Seed books a paid order, as if the payer had paid it, and returns it.
func (s *Server) Seed(provider, merchant, id, amount string) sim.Report {
	s.t.Helper()
	var out sim.Report
	s.control(http.MethodPost, "/orders", map[string]string{"provider": provider, "merchant": merchant, "id": id, "amount": amount},
		http.StatusCreated, &out)
	return out
}

// Order looks up the payment an id of provider belongs to (the merchant's id or a
// provider id of the payment, or of one of its refunds or closes), with its scenario,
// state, history and what moves it next, and the same for its refunds and closes.
func (s *Server) Order(provider, id string) sim.Report {
	s.t.Helper()
	var out sim.Report
	s.control(http.MethodGet, "/orders?provider="+url.QueryEscape(provider)+"&id="+url.QueryEscape(id), nil, http.StatusOK, &out)
	return out
}

// WaitNotification waits up to timeout for a notification of order (a payment's id or
// the notified refund's or close's) in state ("acked", "failed", ...; empty: any), and
// fails the test with what was seen instead.
func (s *Server) WaitNotification(order, state string, timeout time.Duration) sim.Notification {
	s.t.Helper()
	q := url.Values{"order": {order}, "timeout": {timeout.String()}}
	if state != "" {
		q.Set("state", state)
	}
	var out sim.Notification
	s.control(http.MethodGet, "/notifications/wait?"+q.Encode(), nil, http.StatusOK, &out)
	return out
}

// control makes one control-plane call and decodes its answer into out, failing the test
// with paysim's own explanation when the status is not want.
func (s *Server) control(method, path string, in any, want int, out any) {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			s.t.Fatalf("paysimtest: %v", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/__paysim"+path, body)
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("paysimtest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("paysimtest: %s %s: %v", method, path, err)
	}
	if resp.StatusCode != want {
		s.t.Fatalf("paysimtest: %s /__paysim%s answered %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("paysimtest: %s %s: %v in %s", method, path, err, raw)
		}
	}
}

// String names the server in test output.
func (s *Server) String() string { return fmt.Sprintf("paysim at %s", s.URL) }
