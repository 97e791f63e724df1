package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"
)

// The core's part of a state file. These types are the file's contract: they are plain
// values with JSON names of their own, copied from and to the in-memory ledger, so that
// a change of an in-memory type never changes the file by accident. A change of them that
// an older paysim could not read needs a new format version (the file's envelope, written
// by the embedding program, carries it).
//
// Amounts are in fen, times RFC 3339 with their offset. A scenario is named, and its state
// too: both must exist in the scenario set of the simulator the state is restored into.

// CoreState is everything the core holds: the clock, the generator's position, every entity
// with its scenario progress, what is armed and every notification.
type CoreState struct {
	Clock     ClockState     `json:"clock"`
	Seed      int64          `json:"seed"`
	Generator GeneratorState `json:"generator"`
	Ledger    LedgerState    `json:"ledger"`
	Armed     []ArmedState   `json:"armed"`
	ArmSeq    int            `json:"arm_seq"`
	Outbox    OutboxState    `json:"outbox"`
	Evicted   []EvictedState `json:"evicted,omitempty"`
	// Payments come last, so that WriteJSON streams them one by one.
	Payments []PaymentState `json:"payments,omitempty"`
	// unkept counts entities whose first answer was not stored yet when the copy was
	// taken: the pipeline stores it just after the core is done, so a writer that saw
	// one takes another copy soon.
	unkept int
}

// Unkept is the number of entities whose first answer was still being sent when the state
// was copied; a copy taken a moment later holds their bytes.
func (st *CoreState) Unkept() int { return st.unkept }

// ClockState is the clock when the state was copied.
type ClockState struct {
	Mode string    `json:"mode"` // real or virtual
	Now  time.Time `json:"now"`
}

// GeneratorState is where the seeded generator stands: the next id drawn after a restore
// is the one that would have been drawn without the restart.
type GeneratorState struct {
	// PCG is the faker's math/rand/v2 PCG source, as its MarshalBinary writes it.
	PCG    []byte `json:"pcg"`
	Serial uint64 `json:"serial"`
}

// LedgerState is the ledger's counters.
type LedgerState struct {
	Seq       uint64 `json:"seq"` // the last payment's creation number
	Evictions int64  `json:"evictions"`
}

// EntityState is what payments, refunds and closes have in common.
type EntityState struct {
	Provider    string            `json:"provider"`
	Merchant    string            `json:"merchant"`
	ID          string            `json:"id"`
	ProviderID  string            `json:"provider_id,omitempty"`
	Aliases     map[string]string `json:"aliases,omitempty"`
	Amount      Amount            `json:"amount"`
	CreatedAt   time.Time         `json:"created_at"`
	Fields      map[string]string `json:"fields,omitempty"`
	Fingerprint string            `json:"fingerprint,omitempty"`
	// Answer is the bytes sent to the creating request, for an identical retry: as
	// text when they are UTF-8 (every provider's answers are), else in AnswerBase64.
	Answer       Text         `json:"answer,omitempty"`
	AnswerBase64 []byte       `json:"answer_base64,omitempty"`
	SelectedBy   string       `json:"selected_by"`
	Machine      MachineState `json:"machine"`
	// Announced is set once the final status was reported to the provider (which then
	// queued its notification).
	Announced bool `json:"announced,omitempty"`
}

// MachineState is an entity's run through its scenario.
type MachineState struct {
	Scenario string `json:"scenario"`
	State    string `json:"state"`
	// Status is the status when the state was saved, for a reader of the file; a
	// restore takes the status of the scenario's state.
	Status    Status    `json:"status"`
	EnteredAt time.Time `json:"entered_at"`
	Queries   int       `json:"queries,omitempty"` // since the state was entered
	Total     int       `json:"total_queries,omitempty"`
	Frozen    bool      `json:"frozen,omitempty"`
	// Override is a status decided outside the scenario (closed by a close, expired).
	Override Status            `json:"override,omitempty"`
	History  []TransitionState `json:"history"`
}

// TransitionState is one recorded move.
type TransitionState struct {
	From  string    `json:"from,omitempty"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

// PaymentState is a payment with its refunds and closes.
type PaymentState struct {
	EntityState
	Seq         uint64        `json:"seq"`
	Flow        Flow          `json:"flow,omitempty"`
	Refunded    Amount        `json:"refunded,omitempty"` // successful refunds
	Reserved    Amount        `json:"reserved,omitempty"` // refunds still being decided
	RefundCount int           `json:"refund_count,omitempty"`
	ExpiresAt   time.Time     `json:"expires_at,omitzero"`
	Closure     Closure       `json:"closure,omitempty"`
	Refunds     []RefundState `json:"refunds,omitempty"`
	Closes      []CloseState  `json:"closes,omitempty"`
	// Delayed is set for a delayed payment (延时交易), with its confirms.
	Delayed *DelayedState `json:"delayed,omitempty"`
}

// RefundState is a refund; Settled says its amount has moved out of the reservation.
type RefundState struct {
	EntityState
	Settled bool `json:"settled,omitempty"`
}

// CloseState is a close or, with Reverse, a reversal.
type CloseState struct {
	EntityState
	Reverse bool `json:"reverse,omitempty"`
	Settled bool `json:"settled,omitempty"`
}

// ArmedState is a scenario armed through the control plane.
type ArmedState struct {
	ID        int       `json:"id"`
	Scenario  string    `json:"scenario"`
	Provider  string    `json:"provider,omitempty"`
	Operation Operation `json:"operation"`
	Remaining int       `json:"remaining"`
	Expires   time.Time `json:"expires,omitzero"`
}

// EvictedState is an id forgotten to stay within the bound, kept to explain a lookup.
type EvictedState struct {
	ID string    `json:"id"`
	Of Key       `json:"of"`
	At time.Time `json:"at"`
}

// Changes counts the changes of everything a state file holds, in the core and in what
// plugs into it (Touch); a writer that sees the same number twice has nothing to write.
func (s *Simulator) Changes() uint64 { return s.outbox.changes.Load() }

// Touch records a change of state kept outside the core (a provider's terminals, the
// gateway's armed faults), so that the state writer saves it.
func (s *Simulator) Touch() { s.outbox.changes.Add(1) }

// emitDrainLimit bounds how long a snapshot waits for announcements under way.
const emitDrainLimit = 5 * time.Second

// Snapshot copies everything the core holds into a CoreState. It holds the simulator's lock
// throughout, and each payment's lock while copying it, so the copy is one instant of the
// ledger; the notifications are copied right after.
func (s *Simulator) Snapshot() (*CoreState, error) {
	s.genMu.Lock()
	pcg, err := marshalSource(s.fake)
	serial := s.serial
	s.genMu.Unlock()
	if err != nil {
		return nil, err
	}
	st := &CoreState{Clock: ClockState{Mode: s.clock.Mode()}, Seed: s.seed, Generator: GeneratorState{PCG: pcg, Serial: serial}}
	s.mu.Lock()
	st.Clock.Now = s.clock.Now()
	st.Ledger = LedgerState{Seq: s.ledger.seq, Evictions: s.evictions}
	st.Payments = make([]PaymentState, 0, len(s.ledger.payments))
	for _, p := range s.ledger.order {
		if p.forgotten {
			continue
		}
		p.mu.Lock()
		st.Payments = append(st.Payments, p.saved(&st.unkept))
		p.mu.Unlock()
	}
	s.pruneArmedLocked(st.Clock.Now)
	st.Armed = make([]ArmedState, len(s.armed))
	for i, a := range s.armed {
		st.Armed[i] = ArmedState(*a)
	}
	st.ArmSeq = s.armSeq
	for _, id := range s.ledger.evictedOrder {
		ev := s.ledger.evicted[id]
		st.Evicted = append(st.Evicted, EvictedState{ID: id, Of: ev.key, At: ev.at})
	}
	s.mu.Unlock()
	// An entity copied as announced has its notification in the outbox copy.
	s.outbox.emitting.drain(emitDrainLimit)
	st.Outbox = s.outbox.saved(st.Clock.Now)
	return st, nil
}

// marshalSource writes the faker's source. gofakeit seeds a math/rand/v2 PCG, which
// marshals itself exactly; counting draws and replaying them would cost a restore as
// much time as the run took.
func marshalSource(f *gofakeit.Faker) ([]byte, error) {
	pcg, ok := f.Rand.(*rand.PCG)
	if !ok {
		return nil, fmt.Errorf("the generator's source is a %T, not the PCG whose position a state file keeps", f.Rand)
	}
	return pcg.MarshalBinary()
}

func (p *payment) saved(unkept *int) PaymentState {
	ps := PaymentState{EntityState: p.entity.saved(unkept), Seq: p.seq, Flow: p.flow, Refunded: p.refunded,
		Reserved: p.reserved, RefundCount: p.refundN, ExpiresAt: p.expiresAt, Closure: p.closure}
	for _, r := range p.refunds {
		ps.Refunds = append(ps.Refunds, RefundState{EntityState: r.entity.saved(unkept), Settled: r.settled})
	}
	for _, c := range p.closes {
		ps.Closes = append(ps.Closes, CloseState{EntityState: c.entity.saved(unkept), Reverse: c.reverse, Settled: c.settled})
	}
	ps.Delayed = p.savedDelayed(unkept)
	return ps
}

func (e *entity) saved(unkept *int) EntityState {
	// The maps are shared, not copied: an entity's fields and aliases never change once
	// it is booked, and the copy is only read.
	es := EntityState{Provider: e.key.Provider, Merchant: e.key.Merchant, ID: e.key.ID, ProviderID: e.providerID,
		Aliases: e.aliases, Amount: e.amount, CreatedAt: e.createdAt, Fields: e.fields,
		Fingerprint: e.fingerprint, SelectedBy: e.selectedBy, Announced: e.announced, Machine: e.m.saved()}
	if e.answer != nil {
		select {
		case <-e.answer.done:
			es.Answer, es.AnswerBase64 = textOrBinary(e.answer.bytes) // never changed once kept
		default:
			if e.m.scenario != seededPaid { // seeded through the control plane: no request to answer
				*unkept++
			}
		}
	}
	return es
}

func (m *machine) saved() MachineState {
	ms := MachineState{Scenario: m.scenario.Name, State: m.current().Name, Status: m.status(), EnteredAt: m.enteredAt, Queries: m.queries,
		Total: m.total, Frozen: m.frozen, Override: m.override, History: make([]TransitionState, len(m.history))}
	for i, t := range m.history {
		ms.History[i] = TransitionState(t)
	}
	return ms
}

// builtinScenarios are the scenarios the core gives entities itself; a state names them
// like any other.
var builtinScenarios = map[string]*Scenario{
	immediateSuccess.Name: immediateSuccess,
	seededPaid.Name:       seededPaid,
	closeOfFinal.Name:     closeOfFinal,
}

// Restore replaces what a new simulator holds with st: entities, armed scenarios, the
// generator's position, the virtual clock's time and the notifications, whose pending
// attempts are scheduled again. Deadlines that passed meanwhile are settled at once, and
// finished entities not yet announced are announced. It refuses, changing nothing, a
// state that names a scenario or state the simulator does not have, that was saved with
// another seed or clock, or that contradicts itself; and it refuses a simulator that
// already holds something.
func (s *Simulator) Restore(st *CoreState) error {
	if st == nil {
		return errors.New("the state is empty")
	}
	if st.Seed != s.seed {
		return fmt.Errorf("it was saved with seed %d and this paysim has seed %d (ids and every generated value depend on the seed)", st.Seed, s.seed)
	}
	if st.Clock.Mode != s.clock.Mode() {
		return fmt.Errorf("it was saved on the %s clock and this paysim runs on the %s clock (every deadline in it is measured on the clock it was saved on)", orNone(st.Clock.Mode), s.clock.Mode())
	}
	var pcg rand.PCG
	if err := pcg.UnmarshalBinary(st.Generator.PCG); err != nil {
		return fmt.Errorf("generator: %v", err)
	}
	set := s.Scenarios()
	lookup := func(name string) (*Scenario, error) {
		if sc, ok := set.Lookup(name); ok {
			return sc, nil
		}
		if sc, ok := builtinScenarios[name]; ok {
			return sc, nil
		}
		return nil, fmt.Errorf("scenario %q is not loaded (loaded: %s)", name, joinNames(set.Names()))
	}
	l := newLedger()
	for i := range st.Payments {
		if err := l.restorePayment(&st.Payments[i], lookup); err != nil {
			return err
		}
	}
	if st.Ledger.Seq < l.seq {
		return fmt.Errorf("ledger: seq %d is below the payments' highest, %d", st.Ledger.Seq, l.seq)
	}
	l.seq = st.Ledger.Seq
	for _, ev := range st.Evicted {
		if _, dup := l.evicted[ev.ID]; dup || ev.ID == "" {
			return fmt.Errorf("evicted: id %q is empty or listed twice", ev.ID)
		}
		l.evicted[ev.ID] = evictedEntry{key: ev.Of, at: ev.At.In(Beijing)}
		l.evictedOrder = append(l.evictedOrder, ev.ID)
	}
	armed := make([]*Armed, 0, len(st.Armed))
	for _, a := range st.Armed {
		sc, err := lookup(a.Scenario)
		switch {
		case err != nil:
			return fmt.Errorf("armed #%d: %v", a.ID, err)
		case sc.Operation != a.Operation:
			return fmt.Errorf("armed #%d: scenario %q is a %s scenario, not a %s one", a.ID, a.Scenario, sc.Operation, a.Operation)
		case a.ID < 1 || a.ID > st.ArmSeq || a.Remaining < 0 || a.Remaining > MaxArmTimes:
			return fmt.Errorf("armed #%d: id or remaining uses (%d) out of range", a.ID, a.Remaining)
		}
		x := Armed(a)
		x.Expires = inBeijing(x.Expires)
		armed = append(armed, &x)
	}
	restoreOutbox, err := s.outbox.prepare(st.Outbox)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.ledger.count > 0 || len(s.armed) > 0 {
		s.mu.Unlock()
		return errors.New("this simulator already holds payments or armed scenarios; a state is restored into a new one")
	}
	if vc, ok := s.clock.(*VirtualClock); ok {
		vc.mu.Lock()
		vc.now = st.Clock.Now.In(Beijing)
		vc.mu.Unlock()
	}
	s.ledger, s.armed, s.armSeq, s.evictions = l, armed, st.ArmSeq, st.Ledger.Evictions
	s.genMu.Lock()
	s.fake, s.serial = gofakeit.NewFaker(&pcg, true), st.Generator.Serial
	s.genMu.Unlock()
	payments := slices.Clone(l.order)
	s.mu.Unlock()
	restoreOutbox()
	// Every payment's wake-up is armed again from its deadlines; one whose deadline
	// passed while paysim was down, or that finished without being announced, is
	// settled now.
	now := s.clock.Now()
	for _, p := range payments {
		p.mu.Lock()
		due := p.unannounced()
		if d := p.nextDeadline(); !d.IsZero() && !d.After(now) {
			due = true
		}
		if !due {
			s.armWake(p)
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		s.wake(p)
	}
	s.Touch()
	return nil
}

func orNone(mode string) string {
	if mode == "" {
		return "(none)"
	}
	return mode
}

func joinNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func inBeijing(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(Beijing)
}

// unannounced reports whether an entity of p is final but was not reported yet.
func (p *payment) unannounced() bool {
	for _, e := range p.entities() {
		if !e.announced && e.m.status().Final() {
			return true
		}
	}
	return false
}

func (l *ledger) restorePayment(ps *PaymentState, lookup func(string) (*Scenario, error)) error {
	p := &payment{flow: ps.Flow, refunded: ps.Refunded, reserved: ps.Reserved, refundN: ps.RefundCount,
		expiresAt: inBeijing(ps.ExpiresAt), closure: ps.Closure}
	var err error
	if p.entity, err = restoreEntity(OpPayment, &ps.EntityState, lookup); err != nil {
		return err
	}
	what := fmt.Sprintf("payment %s/%s/%s", ps.Provider, ps.Merchant, ps.ID)
	switch {
	case l.payments[p.key] != nil:
		return fmt.Errorf("%s is listed twice", what)
	case ps.Seq <= l.seq:
		return fmt.Errorf("%s: seq %d does not follow the previous payment's %d", what, ps.Seq, l.seq)
	case ps.Refunded < 0 || ps.Reserved < 0 || ps.Refunded+ps.Reserved > p.amount || ps.RefundCount < 0:
		return fmt.Errorf("%s: refunded %s and reserved %s do not fit its amount %s", what, ps.Refunded, ps.Reserved, p.amount)
	}
	if ps.Flow != "" && !slices.Contains(flows, ps.Flow) {
		return fmt.Errorf("%s: flow %q is not one of %v", what, ps.Flow, flows)
	}
	switch ps.Closure {
	case ClosureNone, ClosureClosed, ClosureReversed, ClosureExpired:
	default:
		return fmt.Errorf("%s: closure %q is not closed, reversed or expired", what, ps.Closure)
	}
	for i := range ps.Refunds {
		rs := &ps.Refunds[i]
		r := &refund{payment: p, settled: rs.Settled}
		if r.entity, err = restoreEntity(OpRefund, &rs.EntityState, lookup); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := l.owned(r.key, p.key, l.refunds[r.key] != nil); err != nil {
			return fmt.Errorf("%s: refund %w", what, err)
		}
		p.refunds = append(p.refunds, r)
		if !r.settled || !r.announced {
			p.open = append(p.open, r)
		}
		l.refunds[r.key] = r // booked for the duplicate check; addRefund indexes it below
	}
	for i := range ps.Closes {
		cs := &ps.Closes[i]
		c := &closeOp{payment: p, reverse: cs.Reverse, settled: cs.Settled}
		if c.entity, err = restoreEntity(OpClose, &cs.EntityState, lookup); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := l.owned(c.key, p.key, l.closes[c.key] != nil); err != nil {
			return fmt.Errorf("%s: close %w", what, err)
		}
		p.closes = append(p.closes, c)
		l.closes[c.key] = c
	}
	if err := l.restoreDelayed(p, ps.Delayed, what, lookup); err != nil {
		return err
	}
	l.seq = ps.Seq - 1
	l.addPayment(p)
	for _, r := range p.refunds {
		l.addRefund(r)
	}
	for _, c := range p.closes {
		l.addClose(c)
	}
	l.bookConfirms(p)
	return nil
}

// owned checks that an entity a payment owns is of the payment's provider and merchant,
// and listed once.
func (l *ledger) owned(k, of Key, dup bool) error {
	switch {
	case dup:
		return fmt.Errorf("%s is listed twice", k.ID)
	case k.Provider != of.Provider || k.Merchant != of.Merchant:
		return fmt.Errorf("%s belongs to %s/%s, not to its payment's %s/%s", k.ID, k.Provider, k.Merchant, of.Provider, of.Merchant)
	}
	return nil
}

func restoreEntity(op Operation, es *EntityState, lookup func(string) (*Scenario, error)) (entity, error) {
	what := fmt.Sprintf("%s %s/%s/%s", op, es.Provider, es.Merchant, es.ID)
	if es.Provider == "" || es.Merchant == "" || es.ID == "" {
		return entity{}, fmt.Errorf("%s: provider, merchant and id are required", what)
	}
	if es.Amount <= 0 {
		return entity{}, fmt.Errorf("%s: amount %d fen is not positive", what, es.Amount)
	}
	sc, err := lookup(es.Machine.Scenario)
	if err != nil {
		return entity{}, fmt.Errorf("%s: %w", what, err)
	}
	if sc.Operation != "" && sc.Operation != op {
		return entity{}, fmt.Errorf("%s: scenario %q is a %s scenario", what, sc.Name, sc.Operation)
	}
	ms := es.Machine
	state := sc.stateIndex(ms.State)
	if state < 0 {
		return entity{}, fmt.Errorf("%s: scenario %q has no state %q (it has %s)", what, sc.Name, ms.State, stateNames(sc))
	}
	if ms.Override != "" && !slices.Contains(statuses, ms.Override) {
		return entity{}, fmt.Errorf("%s: status %q is not one of %v", what, ms.Override, statuses)
	}
	if ms.Queries < 0 || ms.Total < ms.Queries || len(ms.History) == 0 {
		return entity{}, fmt.Errorf("%s: query counts (%d, %d in all) or empty history do not add up", what, ms.Queries, ms.Total)
	}
	m := machine{scenario: sc, state: state, enteredAt: ms.EnteredAt.In(Beijing), queries: ms.Queries, total: ms.Total,
		frozen: ms.Frozen, override: ms.Override, history: make([]Transition, len(ms.History))}
	for i, t := range ms.History {
		m.history[i] = Transition{From: t.From, To: t.To, At: t.At.In(Beijing), Cause: t.Cause}
	}
	e := entity{key: Key{es.Provider, es.Merchant, es.ID}, providerID: es.ProviderID, aliases: maps.Clone(es.Aliases),
		amount: es.Amount, createdAt: es.CreatedAt.In(Beijing), fields: maps.Clone(es.Fields), fingerprint: es.Fingerprint,
		answer: newStoredAnswer(), selectedBy: es.SelectedBy, m: m, announced: es.Announced}
	// An answer that was still being sent when the state was saved is lost: a retry then
	// renders its own instead of waiting for bytes that will never come.
	e.answer.Keep(fromTextOrBinary(es.Answer, es.AnswerBase64))
	return e, nil
}

func stateNames(sc *Scenario) string {
	names := make([]string, len(sc.States))
	for i, st := range sc.States {
		names[i] = st.Name
	}
	return strings.Join(names, ", ")
}

// Text is bytes a state file holds as a JSON string: exactly, since they are UTF-8, and
// readable, unlike base64.
type Text []byte

func (t Text) MarshalText() ([]byte, error) { return t, nil }

func (t *Text) UnmarshalText(b []byte) error {
	*t = append(Text(nil), b...)
	return nil
}

// textOrBinary keeps bytes as Text when they are UTF-8, and in base64 otherwise (JSON
// would replace what is not UTF-8).
func textOrBinary(b []byte) (Text, []byte) {
	if utf8.Valid(b) {
		return b, nil
	}
	return nil, b
}

func fromTextOrBinary(text Text, binary []byte) []byte {
	if len(text) > 0 {
		return text
	}
	return binary
}

// WriteJSON writes st as one JSON document, the payments one at a time, so that a large
// ledger is never held as one buffer. HTML characters are written as they are: the
// stored answers are kept byte for byte.
func (st *CoreState) WriteJSON(w io.Writer) error {
	head := *st
	head.Payments = nil
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	var buf bytes.Buffer
	henc := json.NewEncoder(&buf)
	henc.SetEscapeHTML(false)
	if err := henc.Encode(&head); err != nil {
		return err
	}
	// {...} and a newline: the payments go before the closing brace.
	b := bytes.TrimSuffix(bytes.TrimSpace(buf.Bytes()), []byte("}"))
	if _, err := w.Write(b); err != nil {
		return err
	}
	if _, err := io.WriteString(w, `,"payments":[`); err != nil {
		return err
	}
	for i := range st.Payments {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := enc.Encode(&st.Payments[i]); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}")
	return err
}
