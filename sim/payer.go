package sim

import "fmt"

// PayerAction is what the payer does with an order waiting for them.
type PayerAction string

const (
	PayerPays  PayerAction = "pay"  // scans and confirms: the payment succeeds
	PayerFails PayerAction = "fail" // cancels, or their balance is short: the payment fails
)

// ActAsPayer plays the payer of an undecided payment: it is decided now, whatever its
// scenario would have done, and its notification goes out. A payment already final, or
// being closed, is refused with the reason.
func (s *Simulator) ActAsPayer(provider, merchant, id string, act PayerAction) (PaymentView, error) {
	var evs []Event
	defer s.emit(&evs)
	now := s.clock.Now()
	s.mu.Lock()
	p := s.ledger.findPayment(provider, merchant, ByID(id))
	if p == nil {
		for _, q := range s.ledger.byID[id] { // a provider id or alias names it too
			if !q.forgotten && q.key.Provider == provider && q.key.Merchant == merchant {
				p = q
				break
			}
		}
	}
	s.mu.Unlock()
	if p == nil {
		return PaymentView{}, s.notFound("payment", provider, merchant, ByID(id))
	}
	p.mu.Lock()
	defer s.release(p, &evs)
	p.settle(now)
	switch st := p.m.status(); {
	case st.Final():
		return PaymentView{}, &Error{Kind: ErrInvalidState, Reason: ReasonPaymentFinal,
			Detail: fmt.Sprintf("payment %s is already %s: its payer has nothing left to do", p.key.ID, st)}
	case p.pendingClose() != nil:
		return PaymentView{}, Errorf(ErrInvalidState, "payment %s is being closed by %s; a close scenario with payment: success plays the payer who pays meanwhile",
			p.key.ID, p.pendingClose().key.ID)
	}
	switch act {
	case PayerPays:
		p.m.force(StatusSuccess, now, "paid by the payer (control plane)")
	case PayerFails:
		p.m.force(StatusFailed, now, "failed by the payer (control plane)")
	default:
		return PaymentView{}, Errorf(ErrInvalidParams, "payer action %q is not pay or fail", act)
	}
	return p.view(), nil
}
