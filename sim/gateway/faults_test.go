package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/journal"
)

// signingFake is the fake protocol with a signature to break.
type signingFake struct{ *fake }

func (signingFake) Tamper(body []byte) []byte { return append([]byte("tampered "), body...) }

type faultEnv struct {
	gw     *Gateway
	url    string
	served atomic.Int32
}

func newFaultEnv(t *testing.T, proto Protocol[*fakeReq, fakeAns], opts ...Option) *faultEnv {
	t.Helper()
	e := &faultEnv{gw: New(newCore(t), VerifyStrict, opts...)}
	h := Handle(e.gw, proto, func(q *fakeReq) fakeAns {
		e.served.Add(1)
		a := fakeAns{text: "served " + q.body}
		if q.body == "scenario-fault" {
			a.meta.Fault = "http:504"
		}
		return a
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// call posts body with an X-Paysim-Fault header, as a client with a timeout would.
func (e *faultEnv) call(t *testing.T, faultName, body string, timeout time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
	require.NoError(t, err)
	if faultName != "" {
		req.Header.Set(FaultHeader, faultName)
	}
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

func (e *faultEnv) entry(t *testing.T) journal.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, ok, _ := e.gw.Journal().Wait(ctx, journal.Filter{})
	require.True(t, ok, "the request is journaled")
	return got
}

// What a client with a timeout sees for each fault, on the wire, and whether the request
// was served.
func TestFaultsOnTheWire(t *testing.T) {
	tests := []struct {
		fault  string
		served bool
		check  func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{"delay:30ms", true, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, "served body #1", string(body))
			assert.Equal(t, "delay:30ms", resp.Header.Get(FaultHeader))
		}},
		{"timeout", false, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			var ne net.Error
			require.ErrorAs(t, err, &ne, "the client gives up")
			assert.True(t, ne.Timeout())
		}},
		{"reset", false, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			require.Error(t, err)
			assert.True(t, errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "reset"), "%v", err)
		}},
		{"empty", false, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			require.Error(t, err)
			assert.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF"), "%v", err)
		}},
		{"http:503", false, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			assert.Contains(t, string(body), "<title>503 Service Unavailable</title>")
			assert.Equal(t, "nginx", resp.Header.Get("Server"))
		}},
		{"truncate", true, func(t *testing.T, resp *http.Response, body []byte, err error) {
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "the body ends before its Content-Length")
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "served ", string(body), "half of the answer")
		}},
		{"bad-signature", true, func(t *testing.T, _ *http.Response, body []byte, err error) {
			require.NoError(t, err)
			assert.Equal(t, "tampered served body #1", string(body))
		}},
		{"commit-then-reset", true, func(t *testing.T, _ *http.Response, _ []byte, err error) { require.Error(t, err) }},
		{"commit-then-empty", true, func(t *testing.T, _ *http.Response, _ []byte, err error) { require.Error(t, err) }},
		{"commit-then-timeout", true, func(t *testing.T, _ *http.Response, _ []byte, err error) {
			var ne net.Error
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			e := newFaultEnv(t, signingFake{&fake{known: true}}, WithFaultMaxHold(10*time.Second))
			resp, body, err := e.call(t, tt.fault, "body", 200*time.Millisecond)
			tt.check(t, resp, body, err)
			got := e.entry(t)
			assert.Equal(t, tt.fault, got.Fault)
			assert.Equal(t, "X-Paysim-Fault header", got.FaultFrom)
			assert.Equal(t, journal.Faulted, got.Outcome)
			assert.Equal(t, tt.served, e.served.Load() == 1, "served")
		})
	}
}

// A hold ends when the client gives up, and at the latest after the bound; Drain ends
// every hold at once.
func TestHoldBoundAndDrain(t *testing.T) {
	e := newFaultEnv(t, &fake{known: true}, WithFaultMaxHold(50*time.Millisecond))
	_, _, err := e.call(t, "timeout", "body", 10*time.Second)
	require.Error(t, err, "after the bound the connection is closed with no answer")
	assert.NotErrorIs(t, err, context.DeadlineExceeded)

	e = newFaultEnv(t, &fake{known: true}, WithFaultMaxHold(time.Hour))
	done := make(chan error, 1)
	go func() {
		_, _, err := e.call(t, "timeout", "body", time.Hour)
		done <- err
	}()
	for e.gw.Journal().Count(journal.Filter{}) == 0 {
		e.gw.Drain()
		select {
		case err := <-done:
			require.Error(t, err, "drained: closed with no answer")
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestFaultRefusals(t *testing.T) {
	e := newFaultEnv(t, &fake{known: true})
	resp, body, err := e.call(t, "explode", "body", time.Second)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("refused %d #1", RefuseHeader), string(body))
	assert.Contains(t, resp.Header.Get(DiagnosticHeader), `X-Paysim-Fault: fault "explode" is not one of`)

	resp, body, err = e.call(t, "bad-signature", "body", time.Second)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("refused %d #2", RefuseHeader), string(body))
	assert.Contains(t, resp.Header.Get(DiagnosticHeader), "Fake answers are not signed", "an unsigned provider has no signature to break")
	assert.Zero(t, e.served.Load(), "nothing served")
}

// A scenario's fault comes with the answer: the request is served, then faulted.
func TestScenarioFault(t *testing.T) {
	e := newFaultEnv(t, &fake{known: true})
	resp, _, err := e.call(t, "", "scenario-fault", time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
	got := e.entry(t)
	assert.Equal(t, "http:504", got.Fault)
	assert.Contains(t, got.FaultFrom, "scenario")
}

// Armed faults match provider and operation, are spent, and a probability draws from a
// generator seeded like the simulator, so the same seed gives the same pattern.
func TestArmedFaults(t *testing.T) {
	pattern := func() string {
		e := newFaultEnv(t, &fake{known: true})
		_, err := e.gw.ArmFault(FaultSpec{Fault: "http:502", Provider: "fake", Operation: "refund", Times: 100, Probability: 0.5})
		require.NoError(t, err)
		var b strings.Builder
		for range 40 {
			resp, _, err := e.call(t, "", "body", time.Second)
			require.NoError(t, err)
			if resp.StatusCode == http.StatusBadGateway {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	assert.Equal(t, a, b, "the same seed, the same faults")
	assert.Contains(t, a, "x")
	assert.Contains(t, a, ".")

	e := newFaultEnv(t, &fake{known: true})
	_, err := e.gw.ArmFault(FaultSpec{Fault: "http:502", Operation: "query"})
	require.NoError(t, err)
	resp, _, err := e.call(t, "", "body", time.Second)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the fake's requests are refunds, not queries")
	_, err = e.gw.ArmFault(FaultSpec{Fault: "reset", Times: 1})
	require.NoError(t, err)
	_, _, err = e.call(t, "", "body", time.Second)
	assert.Error(t, err)
	_, _, err = e.call(t, "", "body", time.Second)
	assert.NoError(t, err, "used up after one")
	assert.Len(t, e.gw.ArmedFaults(), 1, "the query fault is still armed")
	assert.Equal(t, 1, e.gw.DisarmFaults())

	for _, bad := range []FaultSpec{
		{Fault: "explode"}, {Fault: "reset", Operation: "fly"}, {Fault: "reset", Times: MaxFaultTimes + 1},
		{Fault: "reset", TTL: 25 * time.Hour}, {Fault: "reset", Probability: 1.5},
	} {
		_, err := e.gw.ArmFault(bad)
		assert.Error(t, err, "%+v", bad)
	}
}
