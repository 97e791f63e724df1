// Package gateway is the one request pipeline every provider request runs through:
// recover, method, body limit, decode, identify the caller, verify per the verify mode,
// admit, the X-Paysim-Scenario check, serve, encode and sign, the stored answer of a
// create, diagnostics and the log line. A provider plugs in a Protocol (its envelope, its
// signature scheme, its refusal-to-code table) and a list of endpoints; it never writes
// any of these steps itself.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/paysim/paysim/sim"
)

// Headers paysim adds to provider answers.
const (
	// DiagnosticHeader says, in English, why paysim refused a request: for a signature
	// failure, the exact text it expected to be signed.
	DiagnosticHeader = "X-Paysim-Diagnostic"
	// ScenarioHeader asks for a scenario on a request, and names the one an answer's new
	// entity got.
	ScenarioHeader = "X-Paysim-Scenario"
)

// MaxBodyBytes is the largest request body the pipeline reads. Real requests are a few
// kilobytes; anything near this is a client bug, answered in the provider's shape.
const MaxBodyBytes = 1 << 20

// VerifyMode says what to do with a request whose signature does not verify.
type VerifyMode string

const (
	VerifyStrict VerifyMode = "strict" // refuse it with the provider's signature error
	VerifyLog    VerifyMode = "log"    // log the failure and serve the request anyway
	VerifyOff    VerifyMode = "off"    // do not check signatures at all
)

// ParseVerifyMode checks a verify mode's name.
func ParseVerifyMode(s string) (VerifyMode, error) {
	switch m := VerifyMode(s); m {
	case VerifyStrict, VerifyLog, VerifyOff:
		return m, nil
	}
	return "", fmt.Errorf("verify mode %q is not one of strict, log, off", s)
}

// Gateway is the policy every provider's pipeline shares.
type Gateway struct {
	core   *sim.Simulator
	verify VerifyMode
	log    *slog.Logger
	// replayWait bounds how long an identical retry waits for the first answer's bytes.
	replayWait time.Duration
}

// New builds the pipeline policy over core. An empty mode is strict.
func New(core *sim.Simulator, verify VerifyMode) *Gateway {
	if verify == "" {
		verify = VerifyStrict
	}
	return &Gateway{core: core, verify: verify, log: core.Logger(), replayWait: 10 * time.Second}
}

// Core is the simulator behind the gateway.
func (g *Gateway) Core() *sim.Simulator { return g.core }

// Verify is the verify mode in force.
func (g *Gateway) Verify() VerifyMode { return g.verify }

// Inbound is a provider request as read off the wire, before any provider looks at it.
type Inbound struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Scenario is the X-Paysim-Scenario header; the pipeline has checked that it names
	// a loaded scenario.
	Scenario string
	ctx      context.Context
}

// Context is the request's context: it ends when the client goes away.
func (in *Inbound) Context() context.Context { return in.ctx }

// RefusalKind is a refusal the pipeline makes itself, before or around an endpoint.
type RefusalKind int

const (
	RefuseMethod        RefusalKind = iota + 1 // not POST: answered 405 with Allow
	RefuseBodyTooLarge                         // over MaxBodyBytes
	RefuseBodyUnread                           // the body could not be read
	RefuseUnknownPath                          // under the provider's prefixes, not one of its paths: 404
	RefuseUnknownCaller                        // nobody with that identity, so no key to verify with
	RefuseBadSignature                         // the signature does not verify
	RefuseScenario                             // X-Paysim-Scenario names no loaded scenario
	RefuseInternal                             // a bug: an endpoint panicked
)

// Refusal is what the pipeline refused and why, for the provider to render in its own
// error shape.
type Refusal struct {
	Kind RefusalKind
	// Detail is the diagnostic, in English.
	Detail string
}

// Meta is what the pipeline needs to know of an answer besides its bytes.
type Meta struct {
	// Diagnostic goes to X-Paysim-Diagnostic and the log: why the request was refused.
	Diagnostic string
	// Scenario goes to X-Paysim-Scenario: the scenario of the entity answered about.
	Scenario string
	// Code is the provider's result code, for the log line of a refusal.
	Code string
	// Answer is the stored answer of the entity a create request made (nil for
	// anything else). Retry says the request was an identical retry: the stored bytes
	// are sent instead of the rendered ones.
	Answer *sim.StoredAnswer
	Retry  bool
}

// Answer is a provider's answer value.
type Answer interface {
	Meta() Meta
}

// Protocol is one provider's wire format.
type Protocol[Q any, A Answer] interface {
	// Title is the provider's name as the diagnostics and the log write it ("Huifu").
	Title() string
	// Decode reads the envelope of a request whose body has been read; a false ok
	// returns the refusal to send.
	Decode(in *Inbound) (q Q, refusal A, ok bool)
	// Authenticate finds who signed q from the envelope alone, and, when verify is set,
	// checks the signature. known is false when paysim holds no key for the claimed
	// identity; err says why the request does not authenticate. Whatever it returns, q
	// is left with an identity to serve as (a fallback one when unknown), because the
	// log and off modes serve such requests anyway.
	Authenticate(q Q, verify bool) (known bool, err error)
	// Admit runs the checks that need an authenticated request (the merchant named in the
	// body belongs to the signer, the envelope's own fields); a false ok refuses.
	Admit(q Q) (refusal A, ok bool)
	// Refuse renders a refusal of the pipeline in the provider's error shape. q is the
	// zero value when the request was not decoded.
	Refuse(q Q, r Refusal) A
	// Encode renders an answer as the bytes on the wire, signed the way the provider's
	// clients verify it. q is the zero value when the request was not decoded.
	Encode(q Q, a A) []byte
	// ContentType of every answer.
	ContentType() string
}

// Endpoint is one business operation: it gets an admitted request and answers it.
type Endpoint[Q any, A Answer] func(q Q) A

// Handle builds the handler that runs the whole pipeline for one endpoint of proto.
func Handle[Q any, A Answer](g *Gateway, proto Protocol[Q, A], serve Endpoint[Q, A]) http.Handler {
	return &pipeline[Q, A]{g: g, proto: proto, serve: serve}
}

// Refuse builds a handler that answers every request with one refusal, in proto's shape:
// the catch-all under a provider's prefixes.
func Refuse[Q any, A Answer](g *Gateway, proto Protocol[Q, A], kind RefusalKind, detail func(r *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &pipeline[Q, A]{g: g, proto: proto}
		var zero Q
		p.write(w, r, zero, proto.Refuse(zero, Refusal{Kind: kind, Detail: detail(r)}), statusOf(kind))
	})
}

type pipeline[Q any, A Answer] struct {
	g     *Gateway
	proto Protocol[Q, A]
	serve Endpoint[Q, A]
}

func statusOf(kind RefusalKind) int {
	switch kind {
	case RefuseMethod:
		return http.StatusMethodNotAllowed
	case RefuseUnknownPath:
		return http.StatusNotFound
	}
	return http.StatusOK
}

func (p *pipeline[Q, A]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var q Q
	defer func() {
		if v := recover(); v != nil {
			p.g.log.Error(p.proto.Title()+" handler panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			p.write(w, r, q, p.proto.Refuse(q, Refusal{Kind: RefuseInternal, Detail: fmt.Sprintf("internal error: %v", v)}), http.StatusOK)
		}
	}()
	a, status := p.run(r, &q)
	p.write(w, r, q, a, status)
}

// run is the pipeline up to the answer value; q is filled in as soon as it is decoded,
// so that a panic later is still answered for the right caller.
func (p *pipeline[Q, A]) run(r *http.Request, q *Q) (A, int) {
	refuse := func(kind RefusalKind, format string, args ...any) (A, int) {
		return p.proto.Refuse(*q, Refusal{Kind: kind, Detail: fmt.Sprintf(format, args...)}), statusOf(kind)
	}
	if r.Method != http.MethodPost {
		return refuse(RefuseMethod, "%s %s: %s serves POST only", r.Method, r.URL.Path, p.proto.Title())
	}
	body, err := readBody(r)
	if err == errTooLarge {
		return refuse(RefuseBodyTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
	} else if err != nil {
		return refuse(RefuseBodyUnread, "reading request body: %v", err)
	}
	in := &Inbound{Method: r.Method, Path: r.URL.Path, Header: r.Header, Body: body,
		Scenario: r.Header.Get(ScenarioHeader), ctx: r.Context()}
	decoded, a, ok := p.proto.Decode(in)
	if !ok {
		return a, http.StatusOK
	}
	*q = decoded
	known, err := p.proto.Authenticate(*q, p.g.verify != VerifyOff)
	switch {
	case p.g.verify == VerifyStrict && !known:
		return refuse(RefuseUnknownCaller, "%v", err)
	case p.g.verify == VerifyStrict && err != nil:
		return refuse(RefuseBadSignature, "%v", err)
	case p.g.verify == VerifyLog && err != nil:
		p.g.log.Warn(p.proto.Title()+" request does not authenticate; serving anyway (verify mode log)", "path", r.URL.Path, "detail", err.Error())
	}
	if a, ok := p.proto.Admit(*q); !ok {
		return a, http.StatusOK
	}
	if err := p.g.core.CheckScenarioHeader(in.Scenario); err != nil {
		return refuse(RefuseScenario, "%s", detailOf(err))
	}
	return p.serve(*q), http.StatusOK
}

// write encodes, signs and sends an answer. The answer of a create is stored before it
// is sent; an identical retry sends the stored bytes.
func (p *pipeline[Q, A]) write(w http.ResponseWriter, r *http.Request, q Q, a A, status int) {
	m := a.Meta()
	var body []byte
	if m.Answer != nil && m.Retry {
		ctx, cancel := context.WithTimeout(r.Context(), p.g.replayWait)
		body = m.Answer.Wait(ctx)
		cancel()
	}
	if body == nil {
		body = p.proto.Encode(q, a)
		if m.Answer != nil && !m.Retry {
			m.Answer.Keep(body)
		}
	}
	h := w.Header()
	if m.Diagnostic != "" {
		h.Set(DiagnosticHeader, HeaderSafe(m.Diagnostic))
		p.g.log.Info(p.proto.Title()+" request refused", "path", r.URL.Path, "code", m.Code, "diagnostic", m.Diagnostic)
	}
	if m.Scenario != "" {
		h.Set(ScenarioHeader, m.Scenario)
	}
	if status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	h.Set("Content-Type", p.proto.ContentType())
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// detailOf is the explanation of a core refusal, without its kind.
func detailOf(err error) string {
	var e *sim.Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return err.Error()
}

var errTooLarge = fmt.Errorf("request body is larger than %d bytes", MaxBodyBytes)

// readBody reads the whole body once, up to MaxBodyBytes: signature schemes need the
// raw bytes, so nothing may read or bind it before.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return body, nil
}
