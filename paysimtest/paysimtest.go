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
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/journal"
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
// with seed 1 unless opts say otherwise, and stops it when the test ends. Proxy mode's
// CA lives in the test's temporary folder, never in the user's.
func New(t testing.TB, opts ...paysim.Option) *Server {
	t.Helper()
	all := append([]paysim.Option{paysim.WithVirtualClock(time.Time{}), paysim.WithVersion("paysimtest"), paysim.WithCADir(t.TempDir())}, opts...)
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

// RequestFilter selects journaled requests; empty fields match everything.
type RequestFilter struct {
	Provider string
	Merchant string
	// Order matches any id the request names: its own, the original order's.
	Order string
	// Path matches the path exactly, or every path below it when it ends in "/" or "*".
	Path string
	// Outcome is served, refused, bad_signature or fault.
	Outcome string
}

func (f RequestFilter) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "merchant": f.Merchant, "order": f.Order, "path": f.Path, "outcome": f.Outcome} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// Requests lists the journaled requests f selects, newest first (at most 1,000): what the
// app sent, what it got, the verification, the scenario and the fault.
func (s *Server) Requests(f RequestFilter) []journal.Entry {
	s.t.Helper()
	q := f.query()
	q.Set("limit", "1000")
	var out struct {
		Requests []journal.Entry `json:"requests"`
	}
	s.control(http.MethodGet, "/requests?"+q.Encode(), nil, http.StatusOK, &out)
	return out.Requests
}

// CountRequests is the number of journaled requests f selects, for "exactly one refund
// was sent" assertions.
func (s *Server) CountRequests(f RequestFilter) int {
	s.t.Helper()
	in := map[string]string{}
	for k, vs := range f.query() {
		in[k] = vs[0]
	}
	var out struct {
		Count int `json:"count"`
	}
	s.control(http.MethodPost, "/requests/count", in, http.StatusOK, &out)
	return out.Count
}

// WaitRequest waits up to timeout for a journaled request f selects, and fails the test
// with what was seen instead.
func (s *Server) WaitRequest(f RequestFilter, timeout time.Duration) journal.Entry {
	s.t.Helper()
	q := f.query()
	q.Set("timeout", timeout.String())
	var out journal.Entry
	s.control(http.MethodGet, "/requests/wait?"+q.Encode(), nil, http.StatusOK, &out)
	return out
}

// Fault is a network fault to arm.
type Fault struct {
	// Fault is its name: delay:2s, timeout, reset, empty, http:502, truncate,
	// bad-signature, commit-then-reset, commit-then-timeout, commit-then-empty.
	Fault string
	// Provider and Operation (payment, query, refund, refund_query, close, close_query,
	// reversal, terminal) narrow it; empty: any.
	Provider, Operation string
	Times               int           // 0: once
	TTL                 time.Duration // 0: no limit
	Probability         float64       // 0: every matching request
}

// ArmFault arms a fault for the next matching requests.
func (s *Server) ArmFault(f Fault) gateway.ArmedFault {
	s.t.Helper()
	in := map[string]any{"fault": f.Fault, "provider": f.Provider, "operation": f.Operation}
	if f.Times > 0 {
		in["times"] = f.Times
	}
	if f.TTL > 0 {
		in["ttl"] = f.TTL.String()
	}
	if f.Probability > 0 {
		in["probability"] = f.Probability
	}
	var out gateway.ArmedFault
	s.control(http.MethodPost, "/faults", in, http.StatusCreated, &out)
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
