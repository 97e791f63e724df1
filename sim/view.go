package sim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"
)

// EntityView is a consistent copy of an entity, taken under its lock, for a provider to
// render. Providers never hold pointers into the ledger.
type EntityView struct {
	Key
	ProviderID string
	Aliases    map[string]string
	Amount     Amount
	Status     Status
	State      string
	Scenario   string
	CreatedAt  time.Time
	// FinishedAt is when the entity reached its final status (zero while it has not).
	FinishedAt time.Time
	// Fields are the wire fields the provider stored at creation.
	Fields map[string]string
	// Overrides are the current scenario state's response overrides for this provider.
	Overrides map[string]string
	Queries   int
	// Replayed is set when a create request was a retry of an earlier identical one.
	Replayed bool
	// SelectedBy says why the entity got its scenario.
	SelectedBy string
	// Fault is the network fault the scenario puts on this answer: the scenario's own on
	// the answer that creates the entity, the current state's on a status query's.
	Fault string
	// Answer is what was sent to the request that created the entity, for a retry to
	// get the same bytes.
	Answer *StoredAnswer
}

// PaymentView is a payment as of one instant.
type PaymentView struct {
	EntityView
	Flow     Flow
	Refunded Amount // successful refunds
	Pending  Amount // refunds still being decided
	// RefundCount is the number of successful refunds.
	RefundCount int
	// ClosedBy is the id of the close or reversal that closed the payment.
	ClosedBy string
	// Closure says how a closed payment was closed.
	Closure Closure
	// ExpiresAt is when an undecided payment will be closed (zero: never).
	ExpiresAt time.Time
	// Delayed is a delayed payment (延时交易), whose funds confirms move (ConfirmFunds).
	Delayed bool
	ConfirmFunds
	// LastClose is the status of the latest close of the payment ("" when there is none).
	LastClose Status
}

// Refundable is what may still be refunded.
func (v PaymentView) Refundable() Amount { return v.Amount - v.Refunded - v.Pending }

// RefundView is a refund with its payment, as of one instant.
type RefundView struct {
	EntityView
	Payment PaymentView
}

// CloseView is a close with its payment, as of one instant.
type CloseView struct {
	EntityView
	Payment PaymentView
}

func (e *entity) view() EntityView {
	return EntityView{
		Key: e.key, ProviderID: e.providerID, Aliases: maps.Clone(e.aliases), Amount: e.amount,
		Status: e.m.status(), State: e.stateName(), Scenario: e.m.scenario.Name,
		CreatedAt: e.createdAt, FinishedAt: e.m.finishedAt(),
		Fields: maps.Clone(e.fields), Overrides: maps.Clone(e.m.fields(e.key.Provider)), Queries: e.m.total,
		SelectedBy: e.selectedBy, Fault: e.stateFault(),
	}
}

// stateFault is the current state's fault; none once something outside the scenario
// (a close, a reversal, an expiry) decided the entity.
func (e *entity) stateFault() string {
	if e.m.override != "" {
		return ""
	}
	return e.m.current().Fault
}

func (e *entity) stateName() string {
	if e.m.override != "" {
		return string(e.m.override)
	}
	return e.m.current().Name
}

func (p *payment) view() PaymentView {
	v := PaymentView{EntityView: p.entity.view(), Flow: p.flow, Refunded: p.refunded, Pending: p.reserved, RefundCount: p.refundN,
		Closure: p.closure, ExpiresAt: p.expiresAt, Delayed: p.delayed, ConfirmFunds: p.confirmBook.view()}
	if c := p.closedBy(); c != nil {
		v.ClosedBy = c.key.ID
	}
	if n := len(p.closes); n > 0 {
		v.LastClose = p.closes[n-1].m.status()
	}
	return v
}

func (r *refund) view() RefundView {
	return RefundView{EntityView: r.entity.view(), Payment: r.payment.view()}
}

func (c *closeOp) view() CloseView {
	return CloseView{EntityView: c.entity.view(), Payment: c.payment.view()}
}

// Report explains an entity for the control plane: what it is, which scenario it got and
// why, where it stands and what will move it next.
type Report struct {
	Key
	Operation  Operation         `json:"operation"`
	ProviderID string            `json:"provider_id,omitempty"`
	Aliases    map[string]string `json:"aliases,omitempty"`
	Amount     string            `json:"amount"`
	Status     Status            `json:"status"`
	State      string            `json:"state"`
	Scenario   string            `json:"scenario"`
	Source     string            `json:"scenario_source"`
	SelectedBy string            `json:"selected_by"`
	Next       string            `json:"next,omitempty"`
	Queries    int               `json:"queries"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt time.Time         `json:"finished_at,omitzero"`
	History    []Transition      `json:"history"`
	Fields     map[string]string `json:"fields,omitempty"`
	Refunded   string            `json:"refunded,omitempty"`
	Pending    string            `json:"pending_refunds,omitempty"`
	Refundable string            `json:"refundable,omitempty"`
	Closure    Closure           `json:"closure,omitempty"`
	ExpiresAt  time.Time         `json:"expires_at,omitzero"`
	Refunds    []Report          `json:"refunds,omitempty"`
	Closes     []Report          `json:"closes,omitempty"`
	// Delayed payments only: their funds and their confirms and confirm refunds.
	Delayed  DelayedReport `json:"delayed,omitzero"`
	Confirms []Report      `json:"confirms,omitempty"`
}

func (e *entity) report(op Operation) Report {
	return Report{
		Key: e.key, Operation: op, ProviderID: e.providerID, Aliases: maps.Clone(e.aliases),
		Amount: e.amount.Yuan(), Status: e.m.status(), State: e.stateName(),
		Scenario: e.m.scenario.Name, Source: e.m.scenario.Source, SelectedBy: e.selectedBy,
		Next: e.m.explainNext(), Queries: e.m.total, CreatedAt: e.createdAt, FinishedAt: e.m.finishedAt(),
		History: append([]Transition(nil), e.m.history...), Fields: maps.Clone(e.fields),
	}
}

func (p *payment) report() Report {
	r := p.entity.report(OpPayment)
	r.Refunded, r.Pending, r.Refundable = p.refunded.Yuan(), p.reserved.Yuan(), p.refundable().Yuan()
	r.Closure, r.ExpiresAt = p.closure, p.expiresAt
	if r.Next != "" && !p.expiresAt.IsZero() && !p.m.status().Final() {
		r.Next += "; closed as expired at " + p.expiresAt.Format(time.RFC3339) + " if still undecided"
	}
	for _, x := range p.refunds {
		r.Refunds = append(r.Refunds, x.entity.report(OpRefund))
	}
	for _, x := range p.closes {
		r.Closes = append(r.Closes, x.entity.report(OpClose))
	}
	p.reportConfirms(&r)
	return r
}

func (m *machine) explainNext() string {
	switch {
	case m.override != "":
		return ""
	case m.frozen:
		return "waiting for a pending close to be decided"
	}
	st := m.current()
	if st.Next == "" {
		if st.Status.Final() {
			return ""
		}
		return fmt.Sprintf("stays %s: state %q has no next state", st.Status, st.Name)
	}
	var parts []string
	if st.Until.Queries > 0 {
		parts = append(parts, fmt.Sprintf("after %d more status quer%s", st.Until.Queries-m.queries, plural(st.Until.Queries-m.queries, "y", "ies")))
	}
	if st.Until.Elapsed > 0 {
		parts = append(parts, "at "+m.enteredAt.Add(st.Until.Elapsed).Format(time.RFC3339))
	}
	msg := fmt.Sprintf("moves to %q ", st.Next)
	if len(parts) == 2 {
		return msg + parts[0] + " or " + parts[1] + ", whichever comes first"
	}
	return msg + parts[0]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Inspect reports the payments of provider (all providers when empty) whose merchant id,
// provider id or alias equals id, together with any payment owning a refund or close with
// that id. With id empty it reports every payment of provider.
func (s *Simulator) Inspect(provider, merchant, id string) []Report {
	s.mu.Lock()
	var found []*payment
	keep := func(p *payment) bool {
		return !p.forgotten && (provider == "" || p.key.Provider == provider) && (merchant == "" || p.key.Merchant == merchant)
	}
	if id != "" {
		for _, p := range s.ledger.byID[id] { // an index: no scan, however much is held
			if keep(p) {
				found = append(found, p)
			}
		}
		slices.SortFunc(found, func(a, b *payment) int { return cmp.Compare(a.seq, b.seq) })
	} else {
		for _, p := range s.ledger.order {
			if keep(p) {
				found = append(found, p)
			}
		}
	}
	s.mu.Unlock()
	return s.reports(found)
}

// List pages through the payments of provider and merchant (empty: all), newest first:
// up to limit of those created before cursor (0: from the newest), and the cursor of the
// next page (0: there is none).
func (s *Simulator) List(provider, merchant string, cursor uint64, limit int) ([]Report, uint64) {
	s.mu.Lock()
	var found []*payment
	var next uint64
	for i := len(s.ledger.order) - 1; i >= 0; i-- {
		p := s.ledger.order[i]
		if p.forgotten || (cursor > 0 && p.seq >= cursor) || (provider != "" && p.key.Provider != provider) ||
			(merchant != "" && p.key.Merchant != merchant) {
			continue
		}
		if len(found) == limit {
			next = found[len(found)-1].seq
			break
		}
		found = append(found, p)
	}
	s.mu.Unlock()
	return s.reports(found), next
}

func (s *Simulator) reports(found []*payment) []Report {
	now := s.clock.Now()
	out := make([]Report, 0, len(found))
	var evs []Event
	defer s.emit(&evs)
	for _, p := range found {
		p.mu.Lock()
		p.settle(now)
		out = append(out, p.report())
		s.releaseRead(p, &evs)
	}
	return out
}
