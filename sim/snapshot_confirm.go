package sim

import "fmt"

// The delayed payments' part of a state: a payment's confirms and confirm refunds, with
// their running totals (confirm.go).

// DelayedState is what a delayed payment holds beyond its refunds.
type DelayedState struct {
	Confirmed      Amount         `json:"confirmed,omitempty"`        // successful confirms
	ConfirmPending Amount         `json:"confirms_pending,omitempty"` // confirms still being decided
	TakenBack      Amount         `json:"taken_back,omitempty"`       // successful confirm refunds
	TakingBack     Amount         `json:"taking_back,omitempty"`      // confirm refunds still being decided
	Confirms       []ConfirmState `json:"confirms,omitempty"`         // in creation order
}

// ConfirmState is a confirm (operation confirm) or a confirm refund (confirm_refund).
type ConfirmState struct {
	EntityState
	Operation Operation `json:"operation"`
	// Of is, for a confirm refund, the merchant's id of the confirm it takes back from.
	Of      string `json:"of,omitempty"`
	Settled bool   `json:"settled,omitempty"`
	// TakenBack and TakingBack are, for a confirm, what its confirm refunds took back
	// and are taking back.
	TakenBack  Amount `json:"taken_back,omitempty"`
	TakingBack Amount `json:"taking_back,omitempty"`
}

// savedDelayed copies p's confirms; nil for a payment that is not delayed. The caller
// holds p.mu.
func (p *payment) savedDelayed(unkept *int) *DelayedState {
	if !p.delayed {
		return nil
	}
	d := &DelayedState{Confirmed: p.confirmed, ConfirmPending: p.confirmPend, TakenBack: p.takenBack, TakingBack: p.takingBack}
	for _, c := range p.confirms {
		cs := ConfirmState{EntityState: c.entity.saved(unkept), Operation: c.op, Settled: c.settled, TakenBack: c.takenBack, TakingBack: c.takingBack}
		if c.of != nil {
			cs.Of = c.of.key.ID
		}
		d.Confirms = append(d.Confirms, cs)
	}
	return d
}

// restoreDelayed gives p its saved confirms and books them in l once p is booked.
func (l *ledger) restoreDelayed(p *payment, d *DelayedState, what string, lookup func(string) (*Scenario, error)) error {
	if d == nil {
		return nil
	}
	p.delayed = true
	if d.Confirmed < 0 || d.ConfirmPending < 0 || d.TakenBack < 0 || d.TakingBack < 0 ||
		p.refunded+p.reserved+d.Confirmed+d.ConfirmPending > p.amount || d.TakenBack+d.TakingBack > d.Confirmed {
		return fmt.Errorf("%s: its confirmed and confirm-refunded totals do not fit its amount %s", what, p.amount)
	}
	p.confirmed, p.confirmPend, p.takenBack, p.takingBack = d.Confirmed, d.ConfirmPending, d.TakenBack, d.TakingBack
	byID := map[string]*confirmOp{}
	for i := range d.Confirms {
		cs := &d.Confirms[i]
		if cs.Operation != OpConfirm && cs.Operation != OpConfirmRefund {
			return fmt.Errorf("%s: confirm %s: operation %q is not confirm or confirm_refund", what, cs.ID, cs.Operation)
		}
		c := &confirmOp{op: cs.Operation, payment: p, settled: cs.Settled, takenBack: cs.TakenBack, takingBack: cs.TakingBack}
		var err error
		if c.entity, err = restoreEntity(cs.Operation, &cs.EntityState, lookup); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := l.owned(c.key, p.key, l.confirms[confirmKey{c.op, c.key}] != nil); err != nil {
			return fmt.Errorf("%s: %s %w", what, c.op, err)
		}
		if c.takenBack < 0 || c.takingBack < 0 || c.takenBack+c.takingBack > c.amount {
			return fmt.Errorf("%s: confirm %s: what was taken back does not fit its amount %s", what, c.key.ID, c.amount)
		}
		switch {
		case c.op == OpConfirm:
			byID[c.key.ID] = c
		case byID[cs.Of] == nil:
			return fmt.Errorf("%s: confirm refund %s takes back from confirm %q, which is not one of the payment's earlier confirms", what, c.key.ID, cs.Of)
		default:
			c.of = byID[cs.Of]
		}
		p.confirms = append(p.confirms, c)
		if !c.settled || !c.announced {
			p.openConfirms = append(p.openConfirms, c)
		}
		l.confirms[confirmKey{c.op, c.key}] = c // for the duplicate check; indexed in bookConfirms
	}
	return nil
}

// bookConfirms indexes p's restored confirms, once p itself is booked.
func (l *ledger) bookConfirms(p *payment) {
	for _, c := range p.confirms {
		l.index(c.op, &c.entity, c)
		l.indexIDs(&c.entity, p)
		l.count++
	}
}
