package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/journal"
)

// caller is who signs a request of the table.
type caller int

const (
	signer    caller = iota // known, signs right
	badSigner               // known, signs wrong
	stranger                // unknown
)

type recorder struct {
	mu  sync.Mutex
	got []Observation
}

func (r *recorder) Observe(o Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, o)
}

func (r *recorder) last(t *testing.T) Observation {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.got, "the request was observed")
	return r.got[len(r.got)-1]
}

// Every request is observed once, after its journal entry, with an outcome that refines
// the journal's: served, bad_signature and fault are the journal's own, its refused is
// split into invalid, declined and error. (The journal tells a refusal by its diagnostic,
// which every provider's refusal has; the fake's Admit refusal has none, and is still
// invalid.)
func TestObservedOutcomes(t *testing.T) {
	refusals := map[string]Meta{
		"invalid-params":   {Diagnostic: "amount is missing", Kind: sim.ErrInvalidParams},
		"unknown-merchant": {Diagnostic: "no merchant M9", Kind: sim.ErrUnknownMerchant},
		"not-found":        {Diagnostic: "no order P9", Kind: sim.ErrNotFound},
		"balance":          {Diagnostic: "over the refundable balance", Kind: sim.ErrInsufficientBalance},
		"provider-own":     {Diagnostic: "a paid order cannot be closed"}, // no neutral error behind it
		"full":             {Diagnostic: "paysim holds its bound", Kind: sim.ErrSystem},
		"scripted":         {Diagnostic: "refused by scenario", Kind: sim.ErrInvalidParams, Scenario: "fake-slow"},
		"scripted-fault":   {Fault: "http:502"},
	}
	tests := []struct {
		name    string
		method  string
		body    string
		header  []string
		caller  caller
		want    Outcome
		journal string
		op      string
	}{
		{"served", http.MethodPost, "body", nil, signer, OutcomeServed, journal.Served, "refund"},
		{"method", http.MethodGet, "", nil, signer, OutcomeInvalid, journal.Refused, ""},
		{"body too large", http.MethodPost, strings.Repeat("x", MaxBodyBytes+1), nil, signer, OutcomeInvalid, journal.Refused, ""},
		{"undecodable", http.MethodPost, "undecodable", nil, signer, OutcomeInvalid, journal.Refused, ""},
		{"inadmissible", http.MethodPost, "inadmissible", nil, signer, OutcomeInvalid, journal.Served, "refund"},
		{"scenario header", http.MethodPost, "body", []string{ScenarioHeader, "no-such"}, signer, OutcomeInvalid, journal.Refused, "refund"},
		{"fault header", http.MethodPost, "body", []string{FaultHeader, "no-such"}, signer, OutcomeInvalid, journal.Refused, "refund"},
		{"unknown caller", http.MethodPost, "body", nil, stranger, OutcomeBadSignature, journal.BadSignature, "refund"},
		{"bad signature", http.MethodPost, "body", nil, badSigner, OutcomeBadSignature, journal.BadSignature, "refund"},
		{"fault", http.MethodPost, "body", []string{FaultHeader, "http:503"}, signer, OutcomeFaulted, journal.Faulted, "refund"},
		{"fault on a refusal", http.MethodPost, "not-found", []string{FaultHeader, "delay:1ms"}, signer, OutcomeFaulted, journal.Faulted, "refund"},
		{"panic", http.MethodPost, "boom", nil, signer, OutcomeError, journal.Refused, "refund"},
		{"invalid params", http.MethodPost, "invalid-params", nil, signer, OutcomeInvalid, journal.Refused, "refund"},
		{"unknown merchant", http.MethodPost, "unknown-merchant", nil, signer, OutcomeInvalid, journal.Refused, "refund"},
		{"not found", http.MethodPost, "not-found", nil, signer, OutcomeDeclined, journal.Refused, "refund"},
		{"balance", http.MethodPost, "balance", nil, signer, OutcomeDeclined, journal.Refused, "refund"},
		{"provider's own refusal", http.MethodPost, "provider-own", nil, signer, OutcomeDeclined, journal.Refused, "refund"},
		{"entity bound full", http.MethodPost, "full", nil, signer, OutcomeError, journal.Refused, "refund"},
		{"scripted by a scenario", http.MethodPost, "scripted", nil, signer, OutcomeDeclined, journal.Refused, "refund"},
		{"scenario's fault", http.MethodPost, "scripted-fault", nil, signer, OutcomeFaulted, journal.Faulted, "refund"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			gw := New(newCore(t), VerifyStrict, WithObserver(rec))
			h := Handle(gw, &fake{known: tt.caller != stranger, badSign: tt.caller == badSigner}, func(q *fakeReq) fakeAns {
				if q.body == "boom" {
					panic("endpoint bug")
				}
				if m, ok := refusals[q.body]; ok {
					return fakeAns{text: q.body, meta: m}
				}
				return served(q)
			})
			r := httptest.NewRequest(tt.method, "/x", strings.NewReader(tt.body))
			for i := 0; i+1 < len(tt.header); i += 2 {
				r.Header.Set(tt.header[i], tt.header[i+1])
			}
			h.ServeHTTP(httptest.NewRecorder(), r)

			o := rec.last(t)
			assert.Len(t, rec.got, 1, "observed once")
			assert.Equal(t, tt.want, o.Outcome, "got %s", o.Outcome)
			assert.Equal(t, "fake", o.Provider)
			assert.Equal(t, tt.op, o.Operation)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			e, ok, _ := gw.Journal().Wait(ctx, journal.Filter{})
			require.True(t, ok, "journaled before it is observed")
			assert.Equal(t, tt.journal, e.Outcome, "the journal's outcome, which the observed one refines")
			assert.Equal(t, e.Took, o.Took, "the journal's time")
		})
	}
}

// Outcome names are the metrics' labels: fixed, and each one distinct.
func TestOutcomeNames(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Outcomes() {
		name := o.String()
		assert.NotEqual(t, "unknown", name)
		assert.False(t, seen[name], "%s twice", name)
		seen[name] = true
	}
	assert.Equal(t, []string{"served", "bad_signature", "invalid", "declined", "error", "fault"},
		[]string{OutcomeServed.String(), OutcomeBadSignature.String(), OutcomeInvalid.String(), OutcomeDeclined.String(), OutcomeError.String(), OutcomeFaulted.String()})
	assert.Equal(t, "unknown", Outcome(200).String())
}

// Without an observer nothing is asked of one.
func TestNoObserver(t *testing.T) {
	gw := New(newCore(t), VerifyStrict)
	w := post(Handle(gw, &fake{known: true}, served), "body")
	assert.Equal(t, http.StatusOK, w.Code)
}
