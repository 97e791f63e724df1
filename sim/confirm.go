package sim

import (
	"fmt"
	"time"
)

// Delayed payments (延时交易): a payment made delayed keeps its paid funds unconfirmed
// until confirms move them to their receivers; a refund may only take back what is still
// unconfirmed, and a confirm refund takes back funds a confirm moved. Confirms and confirm
// refunds are entities of the payment like its refunds: each runs its own scenario, is
// found by the merchant's id or the provider's, and is announced once final.

// Reasons that refine ErrInsufficientBalance and ErrInvalidState for delayed payments.
const (
	// ReasonUnconfirmed: a refund or confirm above what the payment still holds unconfirmed.
	ReasonUnconfirmed = "exceeds_unconfirmed"
	// ReasonConfirmed: a confirm refund above what its confirm still holds.
	ReasonConfirmed = "exceeds_confirmed"
	// ReasonNotDelayed: a confirm of a payment that was not made delayed.
	ReasonNotDelayed = "not_delayed"
)

// confirmKey indexes confirms and confirm refunds in one map: a confirm and a confirm
// refund may share a merchant id, as a payment and a refund may.
type confirmKey struct {
	op Operation
	Key
}

// confirmBook is what a delayed payment owns beyond its refunds. The totals are kept as
// running sums, so that a check against them costs the same however many confirms the
// payment has; only the open ones (not yet settled or not yet announced) are looked at
// when the payment is settled, scheduled or announced.
type confirmBook struct {
	confirms     []*confirmOp // confirms and confirm refunds, in creation order
	openConfirms []*confirmOp
	confirmed    Amount // successful confirms
	confirmPend  Amount // confirms still being decided
	takenBack    Amount // successful confirm refunds
	takingBack   Amount // confirm refunds still being decided
}

// confirmOp is a confirm (op OpConfirm) or a confirm refund (op OpConfirmRefund).
type confirmOp struct {
	entity
	op      Operation
	payment *payment
	// of is, for a confirm refund, the confirm whose funds it takes back.
	of      *confirmOp
	settled bool // its amount has moved from pending to done, or been released
	// takenBack and takingBack are, for a confirm, what its confirm refunds took back
	// and are taking back.
	takenBack, takingBack Amount
}

// ConfirmFunds are a delayed payment's funds as confirms moved them.
type ConfirmFunds struct {
	Confirmed      Amount // successful confirms
	ConfirmPending Amount // confirms still being decided
	TakenBack      Amount // successful confirm refunds
	TakingBack     Amount // confirm refunds still being decided
}

func (b *confirmBook) view() ConfirmFunds {
	return ConfirmFunds{Confirmed: b.confirmed, ConfirmPending: b.confirmPend, TakenBack: b.takenBack, TakingBack: b.takingBack}
}

// Unconfirmed is what a delayed payment still holds: paid, less refunds and confirms,
// decided or pending. It is zero for a payment that is not delayed.
func (v PaymentView) Unconfirmed() Amount {
	if !v.Delayed {
		return 0
	}
	return v.Amount - v.Refunded - v.Pending - v.Confirmed - v.ConfirmPending
}

// unconfirmed is PaymentView.Unconfirmed under p.mu.
func (p *payment) unconfirmed() Amount { return p.refundable() - p.confirmed - p.confirmPend }

// ConfirmView is a confirm or a confirm refund with its payment, as of one instant.
type ConfirmView struct {
	EntityView
	Operation Operation
	Payment   PaymentView
	// Confirm is, for a confirm refund, the confirm it takes back from.
	Confirm *ConfirmView
	// TakenBack and TakingBack are, for a confirm, what its confirm refunds took back
	// and are taking back.
	TakenBack, TakingBack Amount
}

// Remaining is what confirm refunds may still take back of a confirm.
func (v ConfirmView) Remaining() Amount { return v.Amount - v.TakenBack - v.TakingBack }

func (c *confirmOp) remaining() Amount { return c.amount - c.takenBack - c.takingBack }

func (c *confirmOp) view() ConfirmView {
	v := ConfirmView{EntityView: c.entity.view(), Operation: c.op, Payment: c.payment.view(), TakenBack: c.takenBack, TakingBack: c.takingBack}
	if c.of != nil {
		of := c.of.view()
		v.Confirm = &of
	}
	return v
}

// ConfirmRequest confirms Amount of the delayed payment Payment locates.
type ConfirmRequest struct {
	Key
	Payment     Locator
	ProviderID  string
	Aliases     map[string]string
	Amount      Amount
	Fields      map[string]string
	Fingerprint string
	Scenario    string
}

// ConfirmRefundRequest takes back Amount of the funds the confirm Confirm locates moved;
// Amount 0 takes back whatever the confirm still holds.
type ConfirmRefundRequest struct {
	Key
	Confirm     Locator
	ProviderID  string
	Aliases     map[string]string
	Amount      Amount
	Fields      map[string]string
	Fingerprint string
	Scenario    string
}

// CreateConfirm books a confirm of a paid delayed payment, reserving its amount against
// what the payment holds unconfirmed until the confirm is decided, so that concurrent
// confirms and refunds can never move more than was paid. An identical retry gets the
// stored confirm; the same id with other content is a duplicate_request error.
func (s *Simulator) CreateConfirm(req ConfirmRequest) (ConfirmView, error) {
	var evs []Event
	defer s.emit(&evs)
	if req.Amount <= 0 {
		return ConfirmView{}, Errorf(ErrInvalidParams, "confirm amount must be positive, got %s", req.Amount)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.ledger.confirms[confirmKey{OpConfirm, req.Key}]; c != nil {
		return s.replayConfirm(c, req.Fingerprint, now, &evs)
	}
	p, err := s.lockParent(req.Provider, req.Merchant, req.Payment, now)
	if err != nil {
		return ConfirmView{}, err
	}
	defer s.release(p, &evs)
	sc, by, use, err := s.selectLocked(selection{provider: req.Provider, op: OpConfirm, amount: req.Amount, id: req.ID, header: req.Scenario})
	if err != nil {
		return ConfirmView{}, err
	}
	switch st := p.m.status(); {
	case !p.delayed:
		return ConfirmView{}, &Error{Kind: ErrInvalidState, Reason: ReasonNotDelayed,
			Detail: fmt.Sprintf("payment %s was not made as a delayed payment, so its funds were never held for confirmation", p.key.ID)}
	case st != StatusSuccess:
		return ConfirmView{}, Errorf(ErrInvalidState, "payment %s is %s, only a paid delayed payment can be confirmed", p.key.ID, st)
	case req.Amount > p.unconfirmed():
		return ConfirmView{}, &Error{Kind: ErrInsufficientBalance, Reason: ReasonUnconfirmed,
			Detail: fmt.Sprintf("confirm of %s exceeds the %s payment %s still holds unconfirmed (%s)", req.Amount, p.unconfirmed(), p.key.ID, p.fundsText())}
	}
	use()
	c := &confirmOp{op: OpConfirm, payment: p}
	c.entity = newEntity(req.Key, req.ProviderID, req.Aliases, req.Amount, req.Fields, req.Fingerprint, sc, by, now)
	p.confirmPend += c.amount
	s.bookConfirm(p, c)
	v := c.view()
	c.created(&v.EntityView)
	return v, nil
}

// CreateConfirmRefund books a confirm refund against a confirm that succeeded, reserving
// its amount against what that confirm still holds until it is decided.
func (s *Simulator) CreateConfirmRefund(req ConfirmRefundRequest) (ConfirmView, error) {
	var evs []Event
	defer s.emit(&evs)
	if req.Amount < 0 {
		return ConfirmView{}, Errorf(ErrInvalidParams, "confirm refund amount must not be negative, got %s", req.Amount)
	}
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.ledger.confirms[confirmKey{OpConfirmRefund, req.Key}]; r != nil {
		return s.replayConfirm(r, req.Fingerprint, now, &evs)
	}
	c := s.ledger.findConfirm(OpConfirm, req.Provider, req.Merchant, req.Confirm)
	if c == nil {
		return ConfirmView{}, s.notFound("original confirm", req.Provider, req.Merchant, req.Confirm)
	}
	p := c.payment
	if err := s.lockForChild(p, now); err != nil {
		return ConfirmView{}, err
	}
	defer s.release(p, &evs)
	amount := req.Amount
	if amount == 0 {
		amount = c.remaining()
	}
	sc, by, use, err := s.selectLocked(selection{provider: req.Provider, op: OpConfirmRefund, amount: amount, id: req.ID, header: req.Scenario})
	if err != nil {
		return ConfirmView{}, err
	}
	switch st := c.m.status(); {
	case st != StatusSuccess:
		return ConfirmView{}, Errorf(ErrInvalidState, "confirm %s is %s; only a confirm that succeeded has moved funds to take back", c.key.ID, st)
	case amount <= 0 || amount > c.remaining():
		return ConfirmView{}, &Error{Kind: ErrInsufficientBalance, Reason: ReasonConfirmed,
			Detail: fmt.Sprintf("taking back %s exceeds the %s confirm %s still holds (confirmed %s, taken back %s, being taken back %s)",
				amount, c.remaining(), c.key.ID, c.amount, c.takenBack, c.takingBack)}
	}
	use()
	r := &confirmOp{op: OpConfirmRefund, payment: p, of: c}
	r.entity = newEntity(req.Key, req.ProviderID, req.Aliases, amount, req.Fields, req.Fingerprint, sc, by, now)
	p.takingBack += amount
	c.takingBack += amount
	s.bookConfirm(p, r)
	v := r.view()
	r.created(&v.EntityView)
	return v, nil
}

// bookConfirm adds c, whose amount is already reserved, to p and the ledger. The caller
// holds s.mu and p.mu.
func (s *Simulator) bookConfirm(p *payment, c *confirmOp) {
	p.confirms = append(p.confirms, c)
	p.openConfirms = append(p.openConfirms, c)
	p.applyConfirm(c)
	l := s.ledger
	l.confirms[confirmKey{c.op, c.key}] = c
	l.index(c.op, &c.entity, c)
	l.indexIDs(&c.entity, p)
	l.count++
}

func (s *Simulator) replayConfirm(c *confirmOp, fingerprint string, now time.Time, evs *[]Event) (ConfirmView, error) {
	c.payment.mu.Lock()
	defer s.release(c.payment, evs)
	if err := c.sameRequest(c.op, fingerprint); err != nil {
		return ConfirmView{}, err
	}
	c.payment.settle(now)
	v := c.view()
	c.markReplay(&v.EntityView)
	return v, nil
}

// QueryConfirm reads a confirm (op OpConfirm) or a confirm refund (OpConfirmRefund);
// every call is a status query of it.
func (s *Simulator) QueryConfirm(op Operation, provider, merchant string, loc Locator) (ConfirmView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	c := s.ledger.findConfirm(op, provider, merchant, loc)
	s.mu.Unlock()
	if c == nil {
		what := "confirm"
		if op == OpConfirmRefund {
			what = "confirm refund"
		}
		return ConfirmView{}, s.notFound(what, provider, merchant, loc)
	}
	p := c.payment
	p.mu.Lock()
	defer s.release(p, &evs)
	p.settle(now)
	if c.m.advance(now, true) {
		p.applyConfirm(c)
	}
	return c.view(), nil
}

func (l *ledger) findConfirm(op Operation, provider, merchant string, loc Locator) *confirmOp {
	if loc.Name == "" {
		return l.confirms[confirmKey{op, Key{provider, merchant, loc.Value}}]
	}
	c, _ := l.aliases[aliasKey{op, provider, merchant, loc.Name, loc.Value}].(*confirmOp)
	return c
}

// applyConfirm moves a confirm's or confirm refund's reservation once it is decided.
// The caller holds p.mu.
func (p *payment) applyConfirm(c *confirmOp) {
	st := c.m.status()
	if c.settled || (st != StatusSuccess && st != StatusFailed) {
		return
	}
	c.settled = true
	ok := st == StatusSuccess
	if c.op == OpConfirm {
		p.confirmPend -= c.amount
		if ok {
			p.confirmed += c.amount
		}
		return
	}
	p.takingBack -= c.amount
	c.of.takingBack -= c.amount
	if ok {
		p.takenBack += c.amount
		c.of.takenBack += c.amount
	}
}

// checkDelayedRefund refuses a refund of a delayed payment above what it still holds
// unconfirmed: confirmed funds are with their receivers, and only a confirm refund takes
// them back. The caller holds p.mu.
func (p *payment) checkDelayedRefund(amount Amount) error {
	if !p.delayed || amount <= p.unconfirmed() {
		return nil
	}
	return &Error{Kind: ErrInsufficientBalance, Reason: ReasonUnconfirmed,
		Detail: fmt.Sprintf("refund of %s exceeds the %s delayed payment %s still holds unconfirmed (%s); confirmed funds are taken back by a confirm refund",
			amount, p.unconfirmed(), p.key.ID, p.fundsText())}
}

func (p *payment) fundsText() string {
	return fmt.Sprintf("paid %s, refunded %s, refunds pending %s, confirmed %s, confirms pending %s",
		p.amount, p.refunded, p.reserved, p.confirmed, p.confirmPend)
}

// settleConfirms brings p's open confirms and confirm refunds up to now. The caller holds
// p.mu.
func (p *payment) settleConfirms(now time.Time) {
	for _, c := range p.openConfirms {
		c.m.advance(now, false)
		p.applyConfirm(c)
	}
}

// collectConfirms appends an event for each confirm or confirm refund of p that became
// final since the last look, and drops from the open ones those that are done with. The
// caller holds p.mu.
func (p *payment) collectConfirms(evs *[]Event) {
	open := p.openConfirms[:0]
	for _, c := range p.openConfirms {
		if !c.announced && c.m.status().Final() {
			c.announced = true
			cv := c.view()
			ev := p.event(c.op, &c.entity, nil, nil)
			ev.Confirm = &cv
			*evs = append(*evs, ev)
		}
		if !c.settled || !c.announced {
			open = append(open, c)
		}
	}
	clear(p.openConfirms[len(open):])
	p.openConfirms = open
}

// confirmDeadline is the earliest time an open confirm or confirm refund of p moves by
// itself (zero: never).
func (p *payment) confirmDeadline() time.Time {
	var next time.Time
	for _, c := range p.openConfirms {
		if d := c.m.deadline(); !c.settled && !d.IsZero() && (next.IsZero() || d.Before(next)) {
			next = d
		}
	}
	return next
}

// confirmsFinished reports whether every confirm and confirm refund of p is final. A
// settled one is final, so only the open ones need a look.
func (p *payment) confirmsFinished() bool {
	for _, c := range p.openConfirms {
		if !c.m.status().Final() {
			return false
		}
	}
	return true
}

// DelayedReport is a delayed payment's funds, for the control plane.
type DelayedReport struct {
	Unconfirmed    string `json:"unconfirmed"`
	Confirmed      string `json:"confirmed"`
	ConfirmPending string `json:"confirms_pending"`
	TakenBack      string `json:"confirm_refunded"`
	TakingBack     string `json:"confirm_refunds_pending"`
}

// reportConfirms adds p's delayed funds and its confirms to r. The caller holds p.mu.
func (p *payment) reportConfirms(r *Report) {
	if !p.delayed {
		return
	}
	r.Delayed = DelayedReport{Unconfirmed: p.unconfirmed().Yuan(), Confirmed: p.confirmed.Yuan(), ConfirmPending: p.confirmPend.Yuan(),
		TakenBack: p.takenBack.Yuan(), TakingBack: p.takingBack.Yuan()}
	for _, c := range p.confirms {
		r.Confirms = append(r.Confirms, c.entity.report(c.op))
	}
}
