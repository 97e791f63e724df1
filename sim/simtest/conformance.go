package simtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
)

// Adapter is what the conformance suite needs of one provider: how to build it, how its
// clients read an answer, and how to send the few business requests the invariants are
// stated with. Every provider's tests run the same suite through their adapter.
type Adapter struct {
	// Name is the provider's name ("huifu").
	Name string
	// Merchant is the test merchant orders are booked for.
	Merchant string
	// Build makes the provider over core.
	Build func(core *sim.Simulator) (gateway.Provider, error)
	// Read reads an answer the way the provider's clients do: an error when a client
	// would reject it (bad signature, broken envelope).
	Read func(status int, h http.Header, body []byte) (Answer, error)
	// SeedVectors books the orders the real-client vectors name.
	SeedVectors func(t testing.TB, core *sim.Simulator, p gateway.Provider)
	// SeedOrder books a paid order id of amount fen for the test merchant.
	SeedOrder func(t testing.TB, core *sim.Simulator, p gateway.Provider, id string, amount sim.Amount)
	// Refund sends one signed refund of order with request id refundID and returns the
	// answer's status, header and body. It runs on many goroutines at once, so it must
	// not stop the test: a transport failure is status 0 with the error as body.
	Refund func(t testing.TB, baseURL, order, refundID string, amount sim.Amount) (int, http.Header, []byte)
	// Script sends a fixed sequence of signed requests (pay, query, refund, ...) to a
	// fresh server and returns the answers' bodies.
	Script func(t testing.TB, baseURL string) []string
}

// Answer is an answer as the suite judges it.
type Answer struct {
	// Refused is set for any refusal; BadSignature for the provider's signature error.
	Refused, BadSignature bool
	// Code is the provider's result code, for messages.
	Code string
}

// Conformance runs every invariant each provider must hold.
func Conformance(t *testing.T, a Adapter) {
	t.Run("real-client vectors verify and do business", func(t *testing.T) { conformVectors(t, a) })
	t.Run("tampered vectors are refused and change nothing", func(t *testing.T) { conformTampered(t, a) })
	t.Run("bad input is refused in the provider's shape and changes nothing", func(t *testing.T) { conformBadInput(t, a) })
	t.Run("101 concurrent refunds never exceed the payment", func(t *testing.T) { conformRace(t, a) })
	t.Run("identical concurrent retries get the one stored answer", func(t *testing.T) { conformRetries(t, a) })
	t.Run("the same seed gives the same bytes", func(t *testing.T) { conformDeterminism(t, a) })
	t.Run("every network fault does what it says, booked or not", func(t *testing.T) { conformFaults(t, a) })
}

type conformEnv struct {
	core *sim.Simulator
	gw   *gateway.Gateway
	p    gateway.Provider
	url  string
}

// conformHold is how long the suite's timeout faults hold a connection: long enough to be
// a hold, short enough for a test.
const conformHold = 300 * time.Millisecond

func (a Adapter) env(t testing.TB, opts ...sim.Option) *conformEnv {
	t.Helper()
	core, _ := NewCore(t, Scenarios(), opts...)
	p, err := a.Build(core)
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.New(core, gateway.VerifyStrict, gateway.WithFaultMaxHold(conformHold))
	return &conformEnv{core: core, gw: gw, p: p, url: ServeGateway(t, gw, p).URL}
}

// send makes one request and reads the answer as a client would; a client-rejected
// answer fails the test.
func (a Adapter) send(t testing.TB, method, url string, header map[string]string, body []byte) (Answer, http.Header) {
	t.Helper()
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	resp, raw, err := Exchange(http.DefaultClient, method, url, h, nil, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	ans, err := a.Read(resp.StatusCode, resp.Header, raw)
	if err != nil {
		t.Fatalf("%s %s: the answer is not one a %s client accepts: %v\n%s", method, url, a.Name, err, raw)
	}
	return ans, resp.Header
}

func conformVectors(t *testing.T, a Adapter) {
	for name, v := range Vectors(t, a.Name, "requests") {
		t.Run(name, func(t *testing.T) {
			e := a.env(t)
			a.SeedVectors(t, e.core, e.p)
			ans, h := a.send(t, v.Method, e.url+v.Path, v.Headers, []byte(v.Body))
			if ans.BadSignature {
				t.Fatalf("a real client's request was refused as badly signed: %s", h.Get(gateway.DiagnosticHeader))
			}
		})
	}
}

func conformTampered(t *testing.T, a Adapter) {
	for name, v := range Vectors(t, a.Name, "tampered") {
		t.Run(name, func(t *testing.T) {
			e := a.env(t)
			a.SeedVectors(t, e.core, e.p)
			before := Snapshot(e.core)
			ans, h := a.send(t, v.Method, e.url+v.Path, v.Headers, []byte(v.Body))
			if !ans.BadSignature {
				t.Errorf("a tampered request was not refused as badly signed (code %s)", ans.Code)
			}
			if h.Get(gateway.DiagnosticHeader) == "" {
				t.Error("the refusal does not explain itself in X-Paysim-Diagnostic")
			}
			if after := Snapshot(e.core); after != before {
				t.Errorf("a refused request changed state:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// conformBadInput sends what no client should, to every path the provider serves.
func conformBadInput(t *testing.T, a Adapter) {
	e := a.env(t)
	a.SeedVectors(t, e.core, e.p)
	m := e.p.Mount(gateway.New(e.core, gateway.VerifyStrict))
	type probe struct {
		method, path, contentType string
		body                      []byte
	}
	var probes []probe
	for _, path := range m.Paths() {
		probes = append(probes,
			probe{http.MethodGet, path, "", nil},
			probe{http.MethodPost, path, "application/json", nil},
			probe{http.MethodPost, path, "application/json", []byte("{not json")},
			probe{http.MethodPost, path, "application/x-www-form-urlencoded", []byte("a=%zz&&=")},
			probe{http.MethodPost, path, "application/json", []byte(`{"sign":"` + strings.Repeat("A", 64) + `"}`)},
			probe{http.MethodPost, path, "text/plain", []byte("\xff\xfe\x00")},
		)
	}
	for _, prefix := range m.Prefixes {
		probes = append(probes, probe{http.MethodPost, prefix + "no-such-path", "application/json", []byte("{}")})
	}
	before := Snapshot(e.core)
	for _, pr := range probes {
		name := fmt.Sprintf("%s %s %q", pr.method, pr.path, sim.Clip(string(pr.body), 20))
		ans, h := a.send(t, pr.method, e.url+pr.path, map[string]string{"Content-Type": pr.contentType}, pr.body)
		if !ans.Refused {
			t.Errorf("%s: served (code %s), want a refusal", name, ans.Code)
		}
		if h.Get(gateway.DiagnosticHeader) == "" {
			t.Errorf("%s: refused (code %s) without X-Paysim-Diagnostic", name, ans.Code)
		}
	}
	if after := Snapshot(e.core); after != before {
		t.Errorf("bad input changed state:\nbefore %s\nafter  %s", before, after)
	}
}

// conformRace: 101 refunds of 1 fen against a payment of 100 fen, all at once: exactly
// 100 are accepted, and no read in between ever shows more refunded than paid.
func conformRace(t *testing.T, a Adapter) {
	e := a.env(t)
	a.SeedOrder(t, e.core, e.p, "race-order", 100)
	var mu sync.Mutex
	labels, err := Race(101, func(i int) string {
		status, h, body := a.Refund(t, e.url, "race-order", fmt.Sprintf("race-refund-%03d", i), 1)
		ans, rerr := a.Read(status, h, body)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case rerr != nil:
			return "unreadable: " + rerr.Error()
		case ans.Refused:
			return "refused"
		}
		return "accepted"
	}, NeverOverRefunded(func() (sim.PaymentView, error) {
		return e.core.QueryPayment(a.Name, a.Merchant, sim.ByID("race-order"), false)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if labels["accepted"] != 100 || labels["refused"] != 1 {
		t.Fatalf("answers %v, want 100 accepted and 1 refused", labels)
	}
	v, err := e.core.QueryPayment(a.Name, a.Merchant, sim.ByID("race-order"), false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Refunded+v.Pending != 100 {
		t.Errorf("refunded %s + pending %s, want the whole 1.00 booked", v.Refunded, v.Pending)
	}
}

// conformRetries: one refund request sent 16 times at once is booked once, and every
// answer is the same bytes.
func conformRetries(t *testing.T, a Adapter) {
	e := a.env(t)
	a.SeedOrder(t, e.core, e.p, "retry-order", 100)
	bodies := make([][]byte, 16)
	var wg sync.WaitGroup
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, bodies[i] = a.Refund(t, e.url, "retry-order", "retry-refund", 40)
		}()
	}
	wg.Wait()
	for i, b := range bodies[1:] {
		if string(b) != string(bodies[0]) {
			t.Errorf("answer %d differs from answer 0:\n%s\n%s", i+1, b, bodies[0])
		}
	}
	v, err := e.core.QueryPayment(a.Name, a.Merchant, sim.ByID("retry-order"), false)
	if err != nil {
		t.Fatal(err)
	}
	if v.Refunded+v.Pending != 40 {
		t.Errorf("refunded %s + pending %s, want 0.40 booked once", v.Refunded, v.Pending)
	}
}

func conformDeterminism(t *testing.T, a Adapter) {
	Deterministic(t, func(seed int64) []string {
		e := a.env(t, sim.WithSeed(seed))
		return a.Script(t, e.url)
	})
}

// conformFaults arms each fault for the next refund, sends one, and checks what the
// client saw, whether the refund was booked, and that a retry of a booked one gets the
// answer that was lost, once, however many retries arrive at once.
func conformFaults(t *testing.T, a Adapter) {
	for _, tt := range []struct {
		fault  string
		booked bool
		// answered: the client reads a whole answer it accepts; else it sees an error or
		// a non-provider status.
		answered bool
		status   int
	}{
		{"delay:50ms", true, true, http.StatusOK},
		{"timeout", false, false, 0},
		{"reset", false, false, 0},
		{"empty", false, false, 0},
		{"http:502", false, false, http.StatusBadGateway},
		{"truncate", true, false, 0},
		{"bad-signature", true, false, http.StatusOK},
		{"commit-then-reset", true, false, 0},
		{"commit-then-timeout", true, false, 0},
		{"commit-then-empty", true, false, 0},
	} {
		t.Run(tt.fault, func(t *testing.T) {
			e := a.env(t)
			a.SeedOrder(t, e.core, e.p, "fault-order", 100)
			armed, err := e.gw.ArmFault(gateway.FaultSpec{Fault: tt.fault, Provider: a.Name, Operation: "refund"})
			if err != nil {
				t.Fatal(err)
			}
			status, h, body := a.Refund(t, e.url, "fault-order", "fault-refund", 30)
			if tt.fault == "bad-signature" && len(e.gw.ArmedFaults()) == 1 {
				// Still armed: the provider does not sign its answers, so it never takes one.
				t.Skipf("%s answers are not signed", a.Name)
			}
			ans, rerr := a.Read(status, h, body)
			switch {
			case tt.answered && rerr != nil:
				t.Fatalf("the client should read the answer, got %v", rerr)
			case !tt.answered && rerr == nil && status == http.StatusOK:
				t.Fatalf("the client read a whole answer (code %s), want the fault to stop it", ans.Code)
			case tt.status != 0 && status != tt.status:
				t.Fatalf("status %d, want %d", status, tt.status)
			}
			v, err := e.core.QueryPayment(a.Name, a.Merchant, sim.ByID("fault-order"), false)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Refunded + v.Pending; (got == 30) != tt.booked {
				t.Fatalf("refunded %s + pending %s after %s; booked should be %v", v.Refunded, v.Pending, tt.fault, tt.booked)
			}
			// The entry is written once the handler is done, which may be after the client
			// saw its connection cut.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			entry, ok, seen := e.gw.Journal().Wait(ctx, journal.Filter{Order: "fault-refund"})
			if !ok || entry.Fault != tt.fault || entry.FaultFrom == "" {
				t.Fatalf("the journal should hold the refund with fault %s (armed #%d), got %+v (seen %+v)", tt.fault, armed.ID, entry, seen)
			}
			if !tt.booked {
				return
			}
			// The retries of a booked request (the app's retry logic) get the answer that
			// was lost, and book nothing more, however many arrive at once.
			bodies := make([][]byte, 8)
			var wg sync.WaitGroup
			for i := range bodies {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _, bodies[i] = a.Refund(t, e.url, "fault-order", "fault-refund", 30)
				}()
			}
			wg.Wait()
			lost := entry.Answer
			for i, b := range bodies {
				if string(b) != lost {
					t.Errorf("retry %d got\n%s\nnot the answer the faulted request was given:\n%s", i, b, lost)
				}
			}
			v, _ = e.core.QueryPayment(a.Name, a.Merchant, sim.ByID("fault-order"), false)
			if v.Refunded+v.Pending != 30 {
				t.Errorf("refunded %s + pending %s after the retries, want 0.30 booked once", v.Refunded, v.Pending)
			}
		})
	}
}
