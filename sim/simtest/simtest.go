// Package simtest holds what the tests of every provider package share: the request
// vectors captured from real clients, waiting for a notification through the control
// plane, and snapshots that prove a refused request changed nothing.
package simtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/outbound"
)

// Vector is one request captured from a real client (testdata/vectors/README.md).
type Vector struct {
	Provider string            `json:"provider"`
	Client   string            `json:"client"`
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers"`
	Body     string            `json:"body"`
	Expect   string            `json:"expect"`
}

// moduleRoot is the repository's root, wherever the test runs from.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Keys is the repository's keys/ folder, the tree paysim embeds. Tests inside a
// provider package use it: they cannot import the root package, which imports them.
func Keys() fs.FS { return os.DirFS(filepath.Join(moduleRoot(), "keys")) }

// Scenarios is the repository's scenarios/ folder, the set paysim embeds.
func Scenarios() fs.FS { return os.DirFS(filepath.Join(moduleRoot(), "scenarios")) }

// vectorDir is testdata/vectors at the module root.
func vectorDir() string { return filepath.Join(moduleRoot(), "testdata", "vectors") }

// Vectors loads provider's vectors from dir ("requests" or "tampered"), by file name.
// Finding none is a failure: a test that replays nothing proves nothing.
func Vectors(t testing.TB, provider, dir string) map[string]Vector {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(vectorDir(), dir, provider+"--*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s vectors under testdata/vectors/%s (%v)", provider, dir, err)
	}
	out := map[string]Vector{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v Vector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = v
	}
	return out
}

// VectorBodies is every body of provider's real and tampered vectors: the seed corpus of
// a fuzz test.
func VectorBodies(t testing.TB, provider string) [][]byte {
	t.Helper()
	var out [][]byte
	for _, dir := range []string{"requests", "tampered"} {
		for _, v := range Vectors(t, provider, dir) {
			out = append(out, []byte(v.Body))
		}
	}
	return out
}

// Snapshot renders every entity of core, to compare before and after a request.
func Snapshot(core *sim.Simulator) string {
	return fmt.Sprintf("%+v", core.Inspect("", "", ""))
}

// WaitNotification waits through the control plane at baseURL, as a CI job would, until
// a notification of order is in state.
func WaitNotification(t testing.TB, baseURL, order, state string) sim.Notification {
	t.Helper()
	resp, err := http.Get(baseURL + "/__paysim/notifications/wait?order=" + url.QueryEscape(order) + "&state=" + state + "&timeout=5s")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("no notification of %s reached %s: %d %s", order, state, resp.StatusCode, body)
	}
	var n sim.Notification
	if err := json.Unmarshal(body, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// WaitFor polls cond for up to 5 s: for effects that happen on another goroutine, such
// as a receiver getting a notification.
func WaitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Race sends n requests at once, send(i) labelling each answer (its code, say), while
// every check runs over and over until the last answer is in. It returns how many
// answers had each label and the first problem a check found.
func Race(n int, send func(i int) string, checks ...func() error) (map[string]int, error) {
	stop := make(chan struct{})
	problems := make(chan error, len(checks))
	var checkers sync.WaitGroup
	for _, check := range checks {
		checkers.Add(1)
		go func() {
			defer checkers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := check(); err != nil {
					problems <- err
					return
				}
			}
		}()
	}
	labels := make(chan string, n)
	var senders sync.WaitGroup
	for i := range n {
		senders.Add(1)
		go func() {
			defer senders.Done()
			labels <- send(i)
		}()
	}
	senders.Wait()
	close(stop)
	checkers.Wait()
	close(labels)
	close(problems)
	count := map[string]int{}
	for l := range labels {
		count[l]++
	}
	return count, <-problems
}

// NeverOverRefunded is a Race check: the payment read never shows more refunded and
// pending than was paid.
func NeverOverRefunded(read func() (sim.PaymentView, error)) func() error {
	return func() error {
		v, err := read()
		if err == nil && v.Refunded+v.Pending > v.Amount {
			return fmt.Errorf("refunded %s + pending %s exceed paid %s", v.Refunded, v.Pending, v.Amount)
		}
		return nil
	}
}

// Exchange sends one request with header (and the values of extra, added last) and
// returns the answer with its body read: the transport part every provider's test client
// shares, before it verifies the answer its own way.
func Exchange(client *http.Client, method, url string, header, extra http.Header, body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for _, h := range []http.Header{header, extra} {
		for k, vs := range h {
			req.Header[k] = vs
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

// Deterministic runs script on a fresh simulator seeded 42 twice and once seeded 43: the
// same seed must give the same bytes, answer by answer, and another seed other values.
func Deterministic(t *testing.T, script func(seed int64) []string) {
	t.Helper()
	a, b := script(42), script(42)
	if len(a) != len(b) {
		t.Fatalf("two runs gave %d and %d answers", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("answer %d differs between two runs with the same seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	if c := script(43); len(c) > 0 && len(a) > 0 && c[0] == a[0] {
		t.Errorf("another seed gave the same first answer: generated values ignore the seed")
	}
}

// Providers are the provider names scenario files may use.
var Providers = []string{"huifu", "huishouqian", "shouqianba", "umpay"}

// NewCore builds a simulator on a virtual clock standing at sim.DefaultVirtualStart,
// with the scenarios in fsys (paysim.DefaultScenarios() for the shipped set), sending
// notifications to loopback receivers only.
func NewCore(t testing.TB, scenarios fs.FS, opts ...sim.Option) (*sim.Simulator, *sim.VirtualClock) {
	t.Helper()
	set, err := sim.LoadScenarios(scenarios, ".", Providers)
	if err != nil {
		t.Fatal(err)
	}
	clock := sim.NewVirtualClock(sim.DefaultVirtualStart)
	base := []sim.Option{sim.WithClock(clock), sim.WithScenarios(set, nil), sim.WithSender(outbound.New())}
	return sim.New(append(base, opts...)...), clock
}

// Serve puts core and p behind a real listening server, with the control plane, for the
// test's lifetime, verifying requests in mode (strict when empty).
func Serve(t testing.TB, core *sim.Simulator, p gateway.Provider, mode gateway.VerifyMode) *httptest.Server {
	t.Helper()
	return ServeGateway(t, gateway.New(core, mode), p)
}

// ServeGateway is Serve with a gateway of the test's own (a journal size, a fault hold).
func ServeGateway(t testing.TB, gw *gateway.Gateway, p gateway.Provider) *httptest.Server {
	t.Helper()
	h, err := server.New(gw, []gateway.Provider{p}, "test")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
