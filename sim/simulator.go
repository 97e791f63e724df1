package sim

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// Simulator is the provider-neutral core: the ledger, the scenarios, the clock and the
// seeded generator every provider draws from. It is safe for concurrent use.
type Simulator struct {
	clock     Clock
	seed      int64
	logger    *slog.Logger
	scenarios atomic.Pointer[ScenarioSet]
	reload    func() (*ScenarioSet, error)

	mu     sync.Mutex // guards ledger indexes and armed; taken before any payment's mu
	ledger *ledger
	armed  []*Armed
	armSeq int

	onReset []func(provider string)
	hooks   map[string][]func(Event)

	sched  *scheduler
	outbox *outbox
	sender Sender
	hints  Hints

	maxEntities int
	evictions   int64
	chosen      choices // scenarios chosen, for the metrics

	genMu  sync.Mutex // guards fake and serial
	fake   *gofakeit.Faker
	serial uint64
}

// Option configures a Simulator.
type Option func(*Simulator)

// WithClock sets the clock (default: the real clock).
func WithClock(c Clock) Option { return func(s *Simulator) { s.clock = c } }

// WithSeed seeds every generated value, so a run can be replayed byte for byte.
func WithSeed(seed int64) Option { return func(s *Simulator) { s.seed = seed } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(s *Simulator) { s.logger = l } }

// WithScenarios sets the scenario set, and how to load it again on reload (nil: reload is
// refused).
func WithScenarios(set *ScenarioSet, reload func() (*ScenarioSet, error)) Option {
	return func(s *Simulator) {
		s.scenarios.Store(set)
		s.reload = reload
	}
}

// Hints say how to change the setup, in the words of the program embedding the core (the
// command names its flags, Go code its options): the core says what is wrong, a hint how
// to get what was asked for.
type Hints struct {
	// VirtualClock says how to run on a virtual clock, for a refused clock move.
	VirtualClock string
	// ScenarioDir says how to serve scenarios from a folder, for a refused reload.
	ScenarioDir string
	// MaxEntities says how to hold more, for a creation refused or a lookup of an evicted id.
	MaxEntities string
}

// WithHints sets the hints; empty ones keep the defaults.
func WithHints(h Hints) Option {
	return func(s *Simulator) {
		if h.VirtualClock != "" {
			s.hints.VirtualClock = h.VirtualClock
		}
		if h.ScenarioDir != "" {
			s.hints.ScenarioDir = h.ScenarioDir
		}
		if h.MaxEntities != "" {
			s.hints.MaxEntities = h.MaxEntities
		}
	}
}

// New builds a simulator. With no options it runs on the real clock with seed 1 and no
// scenarios (every operation succeeds at once), and sends no notifications.
func New(opts ...Option) *Simulator {
	s := &Simulator{clock: RealClock{}, seed: 1, ledger: newLedger(),
		hints: Hints{VirtualClock: "run paysim on a virtual clock", ScenarioDir: "serve scenarios from a folder",
			MaxEntities: "raise the bound to hold more"},
		maxEntities: DefaultMaxEntities,
		logger:      slog.New(slog.NewTextHandler(io.Discard, nil))}
	s.scenarios.Store(&ScenarioSet{byName: map[string]*Scenario{}})
	for _, o := range opts {
		o(s)
	}
	s.fake = gofakeit.New(uint64(s.seed))
	s.hooks = map[string][]func(Event){}
	s.sched = newScheduler(s.clock)
	s.outbox = newOutbox(s.clock, s.sched, s.sender, func(msg string, args ...any) { s.logger.Info(msg, args...) })
	return s
}

func (s *Simulator) Clock() Clock             { return s.clock }
func (s *Simulator) Now() time.Time           { return s.clock.Now() }
func (s *Simulator) Seed() int64              { return s.seed }
func (s *Simulator) Logger() *slog.Logger     { return s.logger }
func (s *Simulator) Scenarios() *ScenarioSet  { return s.scenarios.Load() }
func (s *Simulator) CanReloadScenarios() bool { return s.reload != nil }

// ReloadScenarios loads the scenario folder again. A set with problems is reported and the
// set in force stays.
func (s *Simulator) ReloadScenarios() (*ScenarioSet, error) {
	if s.reload == nil {
		return nil, fmt.Errorf("the scenarios in force were not loaded from a folder, so there is nothing to reload; %s", s.hints.ScenarioDir)
	}
	set, err := s.reload()
	if err != nil {
		return nil, err
	}
	s.scenarios.Store(set)
	return set, nil
}

// Generate runs fn with the simulator's seeded generator. Values drawn through it are the
// same for the same seed and the same sequence of requests.
func (s *Simulator) Generate(fn func(f *gofakeit.Faker) string) string {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	s.Touch()
	return fn(s.fake)
}

// NextSerial returns 1, 2, 3, ... for minting provider ids.
func (s *Simulator) NextSerial() uint64 {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	s.Touch()
	s.serial++
	return s.serial
}

// Reset forgets every entity of provider (all providers when empty) and returns how many
// payments were dropped. A full reset also re-seeds the generator and the serials, so a
// test that resets first sees the same ids every run.
func (s *Simulator) Reset(provider string) int {
	s.mu.Lock()
	n := s.ledger.forget(provider)
	if provider == "" {
		s.armed = nil
	}
	s.mu.Unlock()
	if provider == "" {
		s.genMu.Lock()
		s.fake = gofakeit.New(uint64(s.seed))
		s.serial = 0
		s.genMu.Unlock()
	}
	s.outbox.reset(provider)
	s.Touch()
	for _, fn := range s.onReset {
		fn(provider)
	}
	freeMemory()
	return n
}

// OnReset registers fn to run on every Reset, with the provider reset ("" for all), so a
// provider can forget state of its own (terminals, sessions). Register before serving.
func (s *Simulator) OnReset(fn func(provider string)) { s.onReset = append(s.onReset, fn) }

// PaymentRequest creates a payment.
type PaymentRequest struct {
	Key
	ProviderID string
	// Aliases are further provider-minted ids the payment can be found by.
	Aliases map[string]string
	Amount  Amount
	Flow    Flow
	// Fields are the provider's wire fields worth keeping (dates, trade type, notify url).
	Fields map[string]string
	// Fingerprint identifies the request's business content: a retry with the same key
	// and fingerprint is a replay, with another fingerprint a duplicate.
	Fingerprint string
	// Scenario is the name asked for by the X-Paysim-Scenario header, if any.
	Scenario string
	// ExpiresAfter closes the payment if it is still undecided this long after creation
	// (an unpaid QR order timing out, a pay in progress auto-cancelled). 0: never.
	ExpiresAfter time.Duration
	// Delayed holds the paid funds unconfirmed until confirms move them (confirm.go).
	Delayed bool
}

// RefundRequest creates a refund of the payment Payment locates.
type RefundRequest struct {
	Key
	Payment     Locator
	ProviderID  string
	Aliases     map[string]string
	Amount      Amount
	Fields      map[string]string
	Fingerprint string
	Scenario    string
}

// CloseRequest closes the unpaid payment Payment locates. With Reverse set it is a
// reversal (撤销/冲正), which also takes back a paid payment as long as nothing of it has
// been refunded.
type CloseRequest struct {
	Key
	Payment     Locator
	ProviderID  string
	Fields      map[string]string
	Fingerprint string
	Scenario    string
	Reverse     bool
	// RecordRefusal books a close of a payment that is already final as a failed close,
	// for a provider whose close query then reports it (Huifu), instead of only refusing.
	RecordRefusal bool
}

// CreatePayment books a new payment and starts its scenario. A retry of the same request
// returns the stored payment with Replayed set; the same id with other content is a
// duplicate_request error.
func (s *Simulator) CreatePayment(req PaymentRequest) (PaymentView, error) {
	var evs []Event
	defer s.emit(&evs) // after every lock below is released
	if req.Amount <= 0 {
		return PaymentView{}, Errorf(ErrInvalidParams, "payment amount must be positive, got %s", req.Amount)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.ledger.payments[req.Key]; p != nil {
		return s.replayPayment(p, req.Fingerprint, now, &evs)
	}
	if req.ExpiresAfter < 0 {
		return PaymentView{}, Errorf(ErrInvalidParams, "expiry must not be negative, got %s", req.ExpiresAfter)
	}
	sc, by, use, err := s.selectLocked(selection{provider: req.Provider, op: OpPayment, amount: req.Amount, id: req.ID, flow: req.Flow, header: req.Scenario})
	if err != nil {
		return PaymentView{}, err
	}
	if err := s.makeRoomLocked(nil, now); err != nil {
		return PaymentView{}, err
	}
	use()
	p := &payment{flow: req.Flow, delayed: req.Delayed}
	p.entity = newEntity(req.Key, req.ProviderID, req.Aliases, req.Amount, req.Fields, req.Fingerprint, sc, by, now)
	if req.ExpiresAfter > 0 {
		p.expiresAt = now.Add(req.ExpiresAfter)
	}
	s.ledger.addPayment(p)
	p.mu.Lock()
	defer s.release(p, &evs)
	v := p.view()
	p.created(&v.EntityView)
	return v, nil
}

func (s *Simulator) replayPayment(p *payment, fingerprint string, now time.Time, evs *[]Event) (PaymentView, error) {
	p.mu.Lock()
	defer s.release(p, evs)
	if err := p.sameRequest(OpPayment, fingerprint); err != nil {
		return PaymentView{}, err
	}
	p.settle(now)
	v := p.view()
	p.markReplay(&v.EntityView)
	return v, nil
}

// SeedPayment books a payment that is already paid, bypassing scenarios: the control
// plane's way to give a test something to refund.
func (s *Simulator) SeedPayment(req PaymentRequest) (PaymentView, error) {
	if req.Amount <= 0 {
		return PaymentView{}, Errorf(ErrInvalidParams, "amount must be positive, got %s", req.Amount)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ledger.payments[req.Key] != nil {
		return PaymentView{}, Errorf(ErrDuplicateRequest, "payment %s of merchant %s on %s already exists", req.ID, req.Merchant, req.Provider)
	}
	// The provider's ids must stay unique, or queries and refunds would find the wrong
	// order.
	for name, value := range req.Aliases {
		if value == "" {
			continue
		}
		for _, q := range s.ledger.byID[value] {
			if !q.forgotten && q.key.Provider == req.Provider && q.key.Merchant == req.Merchant {
				return PaymentView{}, Errorf(ErrDuplicateRequest, "%s %s is already held by payment %s of merchant %s", name, value, q.key.ID, q.key.Merchant)
			}
		}
	}
	if err := s.makeRoomLocked(nil, now); err != nil {
		return PaymentView{}, err
	}
	p := &payment{flow: req.Flow, delayed: req.Delayed}
	p.entity = newEntity(req.Key, req.ProviderID, req.Aliases, req.Amount, req.Fields, "", seededPaid, "seeded through the control plane", now)
	p.announced = true // seeded as already paid: nothing to notify
	s.ledger.addPayment(p)
	s.Touch()
	return p.view(), nil
}

var seededPaid = &Scenario{
	Name:        "builtin:seeded-paid",
	Description: "Seeded through the control plane as already paid.",
	States:      []State{{Name: "paid", Status: StatusSuccess}},
	Source:      "builtin",
}

// QueryPayment reads a payment. counted says whether this read is a status query that
// scenarios count ("succeeds on the 2nd query").
func (s *Simulator) QueryPayment(provider, merchant string, loc Locator, counted bool) (PaymentView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	p := s.ledger.findPayment(provider, merchant, loc)
	s.mu.Unlock()
	if p == nil {
		return PaymentView{}, s.notFound("payment", provider, merchant, loc)
	}
	p.mu.Lock()
	defer s.release(p, &evs)
	p.settle(now)
	if counted && p.m.advance(now, true) {
		p.settle(now)
	}
	return p.view(), nil
}

// CreateRefund books a refund against a paid payment, reserving its amount until the
// refund is decided, so that concurrent refunds can never exceed what was paid.
func (s *Simulator) CreateRefund(req RefundRequest) (RefundView, error) {
	var evs []Event
	defer s.emit(&evs)
	if req.Amount <= 0 {
		return RefundView{}, Errorf(ErrInvalidParams, "refund amount must be positive, got %s", req.Amount)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.ledger.refunds[req.Key]; r != nil {
		r.payment.mu.Lock()
		defer s.release(r.payment, &evs)
		if err := r.sameRequest(OpRefund, req.Fingerprint); err != nil {
			return RefundView{}, err
		}
		r.payment.settle(now)
		v := r.view()
		r.markReplay(&v.EntityView)
		return v, nil
	}
	p, err := s.lockParent(req.Provider, req.Merchant, req.Payment, now)
	if err != nil {
		return RefundView{}, err
	}
	defer s.release(p, &evs)
	sc, by, use, err := s.selectLocked(selection{provider: req.Provider, op: OpRefund, amount: req.Amount, id: req.ID, header: req.Scenario})
	if err != nil {
		return RefundView{}, err
	}
	if st := p.m.status(); st != StatusSuccess {
		return RefundView{}, Errorf(ErrInvalidState, "payment %s is %s, only a paid payment can be refunded", p.key.ID, st)
	}
	if c := p.pendingClose(); c != nil {
		return RefundView{}, Errorf(ErrInvalidState, "payment %s is being reversed by %s and cannot be refunded", p.key.ID, c.key.ID)
	}
	if err := p.checkDelayedRefund(req.Amount); err != nil {
		return RefundView{}, err
	}
	if req.Amount > p.refundable() {
		return RefundView{}, Errorf(ErrInsufficientBalance, "refund of %s exceeds the refundable balance %s of payment %s (paid %s, refunded %s, pending %s)",
			req.Amount, p.refundable(), p.key.ID, p.amount, p.refunded, p.reserved)
	}
	use()
	r := &refund{payment: p}
	r.entity = newEntity(req.Key, req.ProviderID, req.Aliases, req.Amount, req.Fields, req.Fingerprint, sc, by, now)
	p.refunds = append(p.refunds, r)
	p.open = append(p.open, r)
	p.reserved += r.amount
	p.applyRefund(r)
	s.ledger.addRefund(r)
	v := r.view()
	r.created(&v.EntityView)
	return v, nil
}

// QueryRefund reads a refund; every call is a status query of it.
func (s *Simulator) QueryRefund(provider, merchant string, loc Locator) (RefundView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	r := s.ledger.findRefund(provider, merchant, loc)
	s.mu.Unlock()
	if r == nil {
		return RefundView{}, s.notFound("refund", provider, merchant, loc)
	}
	p := r.payment
	p.mu.Lock()
	defer s.release(p, &evs)
	p.settle(now)
	if r.m.advance(now, true) {
		p.applyRefund(r)
	}
	return r.view(), nil
}

// CreateClose asks to close an unpaid payment. While the close is being decided the
// payment stands still; if a close is already being decided, that close is returned.
func (s *Simulator) CreateClose(req CloseRequest) (CloseView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ledger.closes[req.Key]; c != nil {
		c.payment.mu.Lock()
		defer s.release(c.payment, &evs)
		if err := c.sameRequest(OpClose, req.Fingerprint); err != nil {
			return CloseView{}, err
		}
		c.payment.settle(now)
		v := c.view()
		c.markReplay(&v.EntityView)
		return v, nil
	}
	p, err := s.lockParent(req.Provider, req.Merchant, req.Payment, now)
	if err != nil {
		return CloseView{}, err
	}
	defer s.release(p, &evs)
	if c := p.closedBy(); c != nil {
		return CloseView{}, &Error{Kind: ErrInvalidState, Detail: fmt.Sprintf("payment %s was already closed by %s", p.key.ID, c.key.ID),
			Reason: ReasonAlreadyClosed}
	}
	switch st := p.m.status(); {
	case req.Reverse && st == StatusSuccess && len(p.refunds) > 0:
		return CloseView{}, &Error{Kind: ErrInvalidState, Detail: fmt.Sprintf("payment %s has refunds and can no longer be reversed", p.key.ID),
			Reason: ReasonRefunded}
	case req.Reverse && st == StatusSuccess:
	case st.Final() && req.RecordRefusal:
		return s.recordFailedClose(p, req, now), nil
	case st.Final():
		return CloseView{}, &Error{Kind: ErrInvalidState, Detail: fmt.Sprintf("payment %s is already final (%s) and cannot be closed", p.key.ID, st),
			Reason: ReasonPaymentFinal}
	}
	if c := p.pendingClose(); c != nil {
		return c.view(), nil
	}
	sc, by, use, err := s.selectLocked(selection{provider: req.Provider, op: OpClose, id: req.ID, header: req.Scenario})
	if err != nil {
		return CloseView{}, err
	}
	use()
	c := &closeOp{payment: p, reverse: req.Reverse}
	c.entity = newEntity(req.Key, req.ProviderID, nil, p.amount, req.Fields, req.Fingerprint, sc, by, now)
	p.closes = append(p.closes, c)
	p.m.frozen = true
	p.applyClose(c)
	s.ledger.addClose(c)
	v := c.view()
	c.created(&v.EntityView)
	return v, nil
}

// closeOfFinal is the scenario of a close booked against a payment that was already
// final: it failed at once.
var closeOfFinal = &Scenario{
	Name:        "builtin:close-of-final-payment",
	Description: "The payment was already final when the close came, so the close failed at once.",
	Operation:   OpClose,
	States:      []State{{Name: "failed", Status: StatusFailed, Notify: false}},
	Source:      "builtin",
}

// recordFailedClose books a close that failed because its payment was already final.
// The caller holds s.mu and p.mu.
func (s *Simulator) recordFailedClose(p *payment, req CloseRequest, now time.Time) CloseView {
	c := &closeOp{payment: p, reverse: req.Reverse, settled: true}
	c.entity = newEntity(req.Key, req.ProviderID, nil, p.amount, req.Fields, req.Fingerprint, closeOfFinal,
		fmt.Sprintf("payment %s was already %s", p.key.ID, p.m.status()), now)
	c.announced = true
	p.closes = append(p.closes, c)
	s.ledger.addClose(c)
	v := c.view()
	c.created(&v.EntityView)
	return v
}

// QueryClose reads the latest close of the payment loc finds; every call is a status
// query of that close. It fails with not_found when the payment has never been closed.
func (s *Simulator) QueryClose(provider, merchant string, loc Locator) (CloseView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	p := s.ledger.findPayment(provider, merchant, loc)
	s.mu.Unlock()
	if p == nil {
		return CloseView{}, s.notFound("original payment", provider, merchant, loc)
	}
	p.mu.Lock()
	defer s.release(p, &evs)
	p.settle(now)
	if len(p.closes) == 0 {
		return CloseView{}, &Error{Kind: ErrNotFound, Detail: fmt.Sprintf("payment %s has no close request", p.key.ID),
			Reason: ReasonNoClose}
	}
	c := p.closes[len(p.closes)-1]
	if c.m.advance(now, true) {
		p.applyClose(c)
	}
	return c.view(), nil
}

// sameRequest tells a retry of the request that created e (same fingerprint) from another
// request reusing its id, which is a duplicate.
func (e *entity) sameRequest(op Operation, fingerprint string) error {
	if e.fingerprint != fingerprint {
		return Errorf(ErrDuplicateRequest, "%s %s of merchant %s already exists with different content", op, e.key.ID, e.key.Merchant)
	}
	return nil
}

// markReplay marks a view as the answer to a retry, whose bytes are those sent the first
// time.
// A retry gets no fault: it is answered with what the first request was sent.
func (e *entity) markReplay(v *EntityView) { v.Replayed, v.Answer, v.Fault = true, e.answer, "" }

// created gives the view of a new entity the slot its answer is kept in, and the fault
// its scenario puts on that answer.
func (e *entity) created(v *EntityView) { v.Answer, v.Fault = e.answer, e.m.scenario.Fault }

func newEntity(key Key, providerID string, aliases map[string]string, amount Amount, fields map[string]string, fingerprint string, sc *Scenario, by string, now time.Time) entity {
	return entity{key: key, providerID: providerID, aliases: maps.Clone(aliases), amount: amount,
		createdAt: now, answer: newStoredAnswer(), fields: maps.Clone(fields), fingerprint: fingerprint, selectedBy: by, m: newMachine(sc, now)}
}

func notFound(what, merchant string, loc Locator) *Error {
	by := "id"
	if loc.Name != "" {
		by = loc.Name
	}
	return Errorf(ErrNotFound, "no %s of merchant %s with %s %q", what, merchant, by, loc.Value)
}

// Bounds of arming, so that a typo cannot arm a scenario for ever.
const (
	MaxArmTimes = 100000
	MaxArmTTL   = 24 * time.Hour
)

// Armed is a scenario armed through the control plane for the next matching operations.
type Armed struct {
	ID        int       `json:"id"`
	Scenario  string    `json:"scenario"`
	Provider  string    `json:"provider,omitempty"`
	Operation Operation `json:"operation"`
	Remaining int       `json:"remaining"`
	Expires   time.Time `json:"expires,omitzero"`
}

// Arm makes the named scenario apply to the next times operations of its kind (on provider,
// or any provider when empty), until ttl has passed on the simulator's clock (0: no limit).
func (s *Simulator) Arm(name, provider string, times int, ttl time.Duration) (Armed, error) {
	sc, ok := s.Scenarios().Lookup(name)
	if !ok {
		return Armed{}, fmt.Errorf("no scenario named %q; loaded: %s", name, strings.Join(s.Scenarios().Names(), ", "))
	}
	if provider != "" && !sc.AppliesTo(provider) {
		return Armed{}, fmt.Errorf("scenario %q is limited to providers %s", name, strings.Join(sc.Providers, ", "))
	}
	if times < 1 || times > MaxArmTimes {
		return Armed{}, fmt.Errorf("times must be from 1 to %d, got %d", MaxArmTimes, times)
	}
	if ttl < 0 || ttl > MaxArmTTL {
		return Armed{}, fmt.Errorf("ttl must be from 0 (no limit) to %s, got %s", MaxArmTTL, ttl)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armSeq++
	a := &Armed{ID: s.armSeq, Scenario: name, Provider: provider, Operation: sc.Operation, Remaining: times}
	if ttl > 0 {
		a.Expires = s.clock.Now().Add(ttl)
	}
	s.armed = append(s.armed, a)
	s.Touch()
	return *a, nil
}

// ArmedScenarios lists what is armed and not yet used up or expired.
func (s *Simulator) ArmedScenarios() []Armed {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneArmedLocked(now)
	out := make([]Armed, len(s.armed))
	for i, a := range s.armed {
		out[i] = *a
	}
	return out
}

// Disarm drops every armed scenario and returns how many there were.
func (s *Simulator) Disarm() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.armed)
	s.armed = nil
	s.Touch()
	return n
}

func (s *Simulator) pruneArmedLocked(now time.Time) {
	kept := s.armed[:0]
	for _, a := range s.armed {
		if a.Remaining > 0 && (a.Expires.IsZero() || now.Before(a.Expires)) {
			kept = append(kept, a)
		}
	}
	s.armed = kept
}

type selection struct {
	provider string
	op       Operation
	amount   Amount
	id       string
	flow     Flow
	header   string
}

// selectLocked picks the scenario for a new entity, first match wins: the request header,
// an armed scenario, a scenario whose trigger matches (in name order), the most specific
// default, and finally immediate success. A reject scenario is returned as its error, and
// counts as used. Otherwise the caller calls use once the entity is booked, so that an
// armed scenario is not spent on an operation refused for another reason. The caller
// holds s.mu.
func (s *Simulator) selectLocked(sel selection) (sc *Scenario, by string, use func(), err error) {
	set := s.Scenarios()
	if named, ok := set.Lookup(sel.header); ok {
		// A header that names a scenario of another operation or provider is a mistake
		// like a typo: silently using the default instead would hide it.
		switch {
		case named.Operation != sel.op:
			return nil, "", nil, Errorf(ErrInvalidParams, "X-Paysim-Scenario names %q, a %s scenario, but this request creates a %s", named.Name, named.Operation, sel.op)
		case !named.AppliesTo(sel.provider):
			return nil, "", nil, Errorf(ErrInvalidParams, "X-Paysim-Scenario names %q, which is limited to %s, not %s", named.Name, strings.Join(named.Providers, ", "), sel.provider)
		}
	}
	sc, by, arm := s.pickLocked(set, sel)
	use = func() {
		if arm != nil {
			arm.Remaining--
		}
		s.chosen.add(sel.provider, sel.op, sc.Name)
	}
	if sc.Reject != nil {
		use()
		return nil, "", nil, &Error{Kind: sc.Reject.Error, Scenario: sc.Name, Fields: sc.Reject.Fields[sel.provider],
			Detail: fmt.Sprintf("refused by scenario %q (%s)", sc.Name, by)}
	}
	return sc, by, use, nil
}

func (s *Simulator) pickLocked(set *ScenarioSet, sel selection) (*Scenario, string, *Armed) {
	if sel.header != "" {
		if sc, ok := set.Lookup(sel.header); ok && sc.Operation == sel.op && sc.AppliesTo(sel.provider) {
			return sc, "X-Paysim-Scenario header", nil
		}
	}
	s.pruneArmedLocked(s.clock.Now())
	for _, a := range s.armed {
		if a.Operation != sel.op || (a.Provider != "" && a.Provider != sel.provider) {
			continue
		}
		if sc, ok := set.Lookup(a.Scenario); ok && sc.AppliesTo(sel.provider) {
			return sc, fmt.Sprintf("armed through the control plane (arm #%d)", a.ID), a
		}
	}
	for _, sc := range set.ordered {
		if !sc.Default && !sc.When.empty() && sc.Operation == sel.op && sc.AppliesTo(sel.provider) && sc.When.matches(sel) {
			return sc, "when: " + sc.When.String(), nil
		}
	}
	var best *Scenario
	for _, sc := range set.ordered {
		if sc.Default && sc.Operation == sel.op && sc.AppliesTo(sel.provider) && sc.When.matches(sel) &&
			(best == nil || defaultSpecificity(sc) > defaultSpecificity(best)) {
			best = sc
		}
	}
	if best != nil {
		return best, "default for " + string(sel.op), nil
	}
	return immediateSuccess, "no scenario matched", nil
}

// CheckScenarioHeader tells a provider whether an X-Paysim-Scenario value names a loaded
// scenario, so that a typo is answered loudly instead of silently ignored.
func (s *Simulator) CheckScenarioHeader(name string) error {
	if name == "" {
		return nil
	}
	if _, ok := s.Scenarios().Lookup(name); !ok {
		return Errorf(ErrInvalidParams, "X-Paysim-Scenario names no loaded scenario %q (loaded: %s)", name, strings.Join(s.Scenarios().Names(), ", "))
	}
	return nil
}

func (w When) matches(sel selection) bool {
	if w.Amount != nil && *w.Amount != sel.amount {
		return false
	}
	if w.IDPrefix != "" && !strings.HasPrefix(sel.id, w.IDPrefix) {
		return false
	}
	if w.Flow != "" && w.Flow != sel.flow {
		return false
	}
	return true
}

func (w When) String() string {
	var parts []string
	if w.Amount != nil {
		parts = append(parts, "amount "+w.Amount.Yuan())
	}
	if w.IDPrefix != "" {
		parts = append(parts, "id_prefix "+w.IDPrefix)
	}
	if w.Flow != "" {
		parts = append(parts, "flow "+string(w.Flow))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// lockParent finds the payment a new refund, close or confirm is booked against, makes
// room for the new entity and locks and settles the payment. On success the caller holds
// p.mu and ends with s.release.
func (s *Simulator) lockParent(provider, merchant string, loc Locator, now time.Time) (*payment, error) {
	p := s.ledger.findPayment(provider, merchant, loc)
	if p == nil {
		return nil, s.notFound("original payment", provider, merchant, loc)
	}
	return p, s.lockForChild(p, now)
}

// lockForChild makes room for a new entity of p, then locks p and brings it up to now.
// The caller holds s.mu.
func (s *Simulator) lockForChild(p *payment, now time.Time) error {
	if err := s.makeRoomLocked(p, now); err != nil {
		return err
	}
	p.mu.Lock()
	p.settle(now)
	return nil
}
