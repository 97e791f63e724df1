// Package gateway is the one request pipeline every provider request runs through:
// recover, method, body limit, decode, identify the caller, verify per the verify mode,
// admit, the X-Paysim-Scenario check, serve, encode and sign, the stored answer of a
// create, diagnostics and the log line. A provider plugs in a Protocol (its envelope, its
// signature scheme, its refusal-to-code table) and a list of endpoints; it never writes
// any of these steps itself.
package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/fault"
	"github.com/paysim/paysim/sim/journal"
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

// Gateway is the policy every provider's pipeline shares, with what the pipeline keeps:
// the request journal and the armed faults.
type Gateway struct {
	core   *sim.Simulator
	verify VerifyMode
	log    *slog.Logger
	// replayWait bounds how long an identical retry waits for the first answer's bytes.
	replayWait time.Duration
	journal    *journal.Journal
	faults     *faults
	// maxHold bounds how long a fault holds a connection with no answer.
	maxHold time.Duration
	// drained is closed by Drain: every held answer ends at once.
	drainOnce sync.Once
	drained   chan struct{}
	// quiet keeps refusals to one log line a second per cause.
	quiet *quietLog
	// observer, when set, is told how every request ended (the metrics).
	observer Observer
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithJournalSize bounds the request journal (journal.DefaultSize when n < 1).
func WithJournalSize(n int) Option { return func(g *Gateway) { g.journal = journal.New(n) } }

// WithFaultMaxHold bounds how long a timeout fault holds a connection (default 2m).
func WithFaultMaxHold(d time.Duration) Option {
	return func(g *Gateway) {
		if d > 0 {
			g.maxHold = d
		}
	}
}

// DefaultFaultMaxHold is how long a timeout fault holds a connection at most.
const DefaultFaultMaxHold = 2 * time.Minute

// New builds the pipeline policy over core. An empty mode is strict.
func New(core *sim.Simulator, verify VerifyMode, opts ...Option) *Gateway {
	if verify == "" {
		verify = VerifyStrict
	}
	g := &Gateway{core: core, verify: verify, log: core.Logger(), replayWait: 10 * time.Second,
		maxHold: DefaultFaultMaxHold, drained: make(chan struct{}), quiet: newQuietLog()}
	for _, o := range opts {
		o(g)
	}
	if g.journal == nil {
		g.journal = journal.New(journal.DefaultSize)
	}
	g.faults = newFaults(core)
	core.OnReset(func(provider string) {
		if provider == "" {
			g.journal.Reset()
			g.faults.disarm()
		}
	})
	return g
}

// Core is the simulator behind the gateway.
func (g *Gateway) Core() *sim.Simulator { return g.core }

// Verify is the verify mode in force.
func (g *Gateway) Verify() VerifyMode { return g.verify }

// Journal is the request journal.
func (g *Gateway) Journal() *journal.Journal { return g.journal }

// FaultMaxHold is how long a fault holds a connection at most.
func (g *Gateway) FaultMaxHold() time.Duration { return g.maxHold }

// Drain ends every answer a fault is holding, and every one it would hold from now on, at
// once: call it before shutting the server down, which would otherwise wait for them.
func (g *Gateway) Drain() { g.drainOnce.Do(func() { close(g.drained) }) }

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
	RefuseHeader                               // an X-Paysim-Scenario or X-Paysim-Fault that names nothing paysim has
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
	// Scenario goes to X-Paysim-Scenario: the scenario of the entity answered about;
	// ScenarioWhy, to the journal, says why the entity got it.
	Scenario, ScenarioWhy string
	// Fault is a network fault the scenario puts on this answer (sim.EntityView.Fault).
	Fault string
	// Code is the provider's result code, for the log line of a refusal.
	Code string
	// Kind is the neutral kind of a refusal (sim.ErrInvalidParams for a parameter error),
	// for the metrics; empty for a business answer, and for a refusal the provider made
	// itself with no neutral error behind it, which the metrics count as declined.
	Kind sim.ErrorKind
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

// Description is what a request is about, for the journal and for matching armed
// faults; the provider reads it from its decoded request.
type Description struct {
	// Operation is neutral: payment, query, refund, refund_query, close, close_query,
	// reversal or terminal.
	Operation string
	Merchant  string
	// IDs are the ids the request brings (the merchant's new request id, a device id).
	IDs []string
	// Refers are the ids of what the request names as existing (the original order, the
	// refund asked about): a miss on one of them is explained with what paysim holds.
	Refers []string
}

// Operations lists the neutral operation names of a Description.
var Operations = []string{"payment", "query", "refund", "refund_query", "close", "close_query", "reversal", "terminal", "confirm", "confirm_query", "confirm_refund", "confirm_refund_query"}

// Protocol is one provider's wire format.
type Protocol[Q any, A Answer] interface {
	// Name is the provider's name ("huifu"), Title the way diagnostics write it ("Huifu").
	Name() string
	Title() string
	// Decode reads the envelope of a request whose body has been read; a false ok
	// returns the refusal to send.
	Decode(in *Inbound) (q Q, refusal A, ok bool)
	// Describe says what a decoded request is about (path is the request's).
	Describe(q Q, path string) Description
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

// Tamperer is a Protocol that signs its answers: Tamper returns an encoded answer whose
// signature no longer verifies, well-formed otherwise (the bad-signature fault).
type Tamperer interface {
	Tamper(body []byte) []byte
}

// Redactor is a Protocol whose answers can carry a secret (a terminal key): Redact
// returns the body as the journal may keep it.
type Redactor interface {
	Redact(body []byte) []byte
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
	return &pipeline[Q, A]{g: g, proto: proto, refuse: func(r *http.Request) Refusal {
		return Refusal{Kind: kind, Detail: detail(r)}
	}}
}

type pipeline[Q any, A Answer] struct {
	g     *Gateway
	proto Protocol[Q, A]
	serve Endpoint[Q, A]
	// refuse, when set, answers every request with this refusal (a catch-all).
	refuse func(r *http.Request) Refusal
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

// exchange is one request on its way through the pipeline, with its journal entry.
type exchange[Q any, A Answer] struct {
	p       *pipeline[Q, A]
	w       http.ResponseWriter
	r       *http.Request
	q       Q
	decoded bool
	start   time.Time
	e       journal.Entry
	fault   *fault.Fault
	// refusedBy is the pipeline's own refusal, when it made one.
	refusedBy RefusalKind
	// kind is the answer's Meta.Kind; inadmissible says Admit refused the request.
	kind         sim.ErrorKind
	inadmissible bool
}

func (p *pipeline[Q, A]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := &exchange[Q, A]{p: p, w: w, r: r, start: time.Now(), e: journal.Entry{
		At: p.g.core.Now(), Provider: p.proto.Name(), Method: r.Method, Path: r.URL.Path,
		RequestHeader: journalHeaders(r.Header), ProxyHost: ProxyHost(r.Context())}}
	defer x.record()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v) // a connection cut on purpose
			}
			p.g.log.Error(p.proto.Title()+" handler panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			x.refuse(RefuseInternal, "internal error: %v", v)
		}
	}()
	if p.refuse != nil {
		rf := p.refuse(r)
		x.refuse(rf.Kind, "%s", rf.Detail)
		return
	}
	x.run()
}

func (x *exchange[Q, A]) refuse(kind RefusalKind, format string, args ...any) {
	x.refusedBy = kind
	x.send(x.p.proto.Refuse(x.q, Refusal{Kind: kind, Detail: fmt.Sprintf(format, args...)}), statusOf(kind))
}

// run is the pipeline up to the answer; x.q is kept as soon as it is decoded, so that a
// panic later is still answered for the right caller.
func (x *exchange[Q, A]) run() {
	p, r := x.p, x.r
	if r.Method != http.MethodPost {
		x.refuse(RefuseMethod, "%s %s: %s serves POST only", r.Method, r.URL.Path, p.proto.Title())
		return
	}
	body, err := readBody(r)
	x.e.Request = string(body)
	if err == errTooLarge {
		x.refuse(RefuseBodyTooLarge, "request body is larger than %d bytes", MaxBodyBytes)
		return
	} else if err != nil {
		x.refuse(RefuseBodyUnread, "reading request body: %v", err)
		return
	}
	in := &Inbound{Method: r.Method, Path: r.URL.Path, Header: r.Header, Body: body,
		Scenario: r.Header.Get(ScenarioHeader), ctx: r.Context()}
	q, a, ok := p.proto.Decode(in)
	if !ok {
		x.send(a, http.StatusOK)
		return
	}
	x.q, x.decoded = q, true
	x.describe()
	// A fault asked for by header or armed acts as the network would: one that serves
	// nothing is applied before the gateway has even looked at the signature.
	if !x.pickFault() {
		return
	}
	if x.fault != nil && !x.fault.Serves() {
		x.withhold()
		return
	}
	known, err := p.proto.Authenticate(q, p.g.verify != VerifyOff)
	x.e.Verify = verifyNote(p.g.verify, known, err)
	switch {
	case p.g.verify == VerifyStrict && !known:
		x.refuse(RefuseUnknownCaller, "%v", err)
		return
	case p.g.verify == VerifyStrict && err != nil:
		x.refuse(RefuseBadSignature, "%v", err)
		return
	case p.g.verify == VerifyLog && err != nil:
		p.g.log.Warn(p.proto.Title()+" request does not authenticate; serving anyway (verify mode log)", "path", r.URL.Path, "detail", err.Error())
	}
	if a, ok := p.proto.Admit(q); !ok {
		x.inadmissible = true
		x.send(a, http.StatusOK)
		return
	}
	if err := p.g.core.CheckScenarioHeader(in.Scenario); err != nil {
		x.refuse(RefuseHeader, "%s", detailOf(err))
		return
	}
	x.send(p.serve(q), http.StatusOK)
}

func verifyNote(mode VerifyMode, known bool, err error) string {
	switch {
	case mode == VerifyOff:
		return "not checked (verify mode off)"
	case !known:
		return "unknown caller: " + err.Error()
	case err != nil:
		return "failed: " + err.Error()
	}
	return "ok"
}

// describe fills the journal entry with what the request is about.
func (x *exchange[Q, A]) describe() {
	if !x.decoded {
		return
	}
	d := x.p.proto.Describe(x.q, x.r.URL.Path)
	x.e.Operation, x.e.Merchant = d.Operation, d.Merchant
	x.e.IDs = x.e.IDs[:0]
	for _, id := range append(d.IDs, d.Refers...) {
		if id != "" && !slices.Contains(x.e.IDs, id) {
			x.e.IDs = append(x.e.IDs, id)
		}
	}
}

// send encodes, signs and sends an answer, through the fault if one applies. The answer
// of a create is stored before it is sent; an identical retry sends the stored bytes.
func (x *exchange[Q, A]) send(a A, status int) {
	p := x.p
	m := a.Meta()
	var body []byte
	if m.Answer != nil && m.Retry {
		ctx, cancel := context.WithTimeout(x.r.Context(), p.g.replayWait)
		body = m.Answer.Wait(ctx)
		cancel()
	}
	if body == nil {
		body = p.proto.Encode(x.q, a)
		if m.Answer != nil && !m.Retry {
			m.Answer.Keep(body)
		}
	}
	x.describe() // the endpoint may have learnt more (the merchant a terminal acts for)
	x.e.Diagnostic, x.e.Scenario, x.e.ScenarioWhy = m.Diagnostic, m.Scenario, m.ScenarioWhy
	x.kind = m.Kind
	if x.fault == nil && m.Fault != "" {
		if f, err := fault.Parse(m.Fault); err == nil {
			x.fault, x.e.FaultFrom = &f, "scenario "+m.Scenario
		}
	}
	h := x.w.Header()
	if m.Diagnostic != "" {
		h.Set(DiagnosticHeader, HeaderSafe(m.Diagnostic))
		if ok, held := p.g.quiet.allow(p.proto.Name() + " " + x.r.URL.Path + " " + m.Code); ok {
			args := []any{"path", x.r.URL.Path, "code", m.Code, "diagnostic", m.Diagnostic}
			if held > 0 {
				args = append(args, "same_cause_held_back", held)
			}
			p.g.log.Info(p.proto.Title()+" request refused", args...)
		}
	}
	if m.Scenario != "" {
		h.Set(ScenarioHeader, m.Scenario)
	}
	if status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	h.Set("Content-Type", p.proto.ContentType())
	x.e.Answer = string(x.redact(body))
	x.deliver(status, body)
}

func (x *exchange[Q, A]) redact(body []byte) []byte {
	if r, ok := x.p.proto.(Redactor); ok {
		return r.Redact(body)
	}
	return body
}

// record writes the journal entry once the answer is out (or withheld).
func (x *exchange[Q, A]) record() {
	e := &x.e
	e.Took = time.Since(x.start)
	switch {
	case e.Fault != "":
		e.Outcome = journal.Faulted
	case x.refusedBy == RefuseUnknownCaller || x.refusedBy == RefuseBadSignature:
		e.Outcome = journal.BadSignature
	case e.Diagnostic != "":
		e.Outcome = journal.Refused
	default:
		e.Outcome = journal.Served
	}
	if e.Outcome == journal.Refused && x.decoded {
		d := x.p.proto.Describe(x.q, x.r.URL.Path)
		for _, id := range d.Refers {
			if hint := x.p.g.core.Nearest(e.Provider, d.Merchant, id); hint != "" {
				e.Nearest = hint
				break
			}
		}
	}
	x.p.g.journal.Add(*e)
	x.observe()
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
	// Sized from Content-Length when the client sent one, so the body is read into one
	// buffer instead of a doubling series; the limit still holds if it lied.
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= MaxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, MaxBodyBytes+1)); err != nil {
		return nil, err
	}
	body := buf.Bytes()
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return body, nil
}
