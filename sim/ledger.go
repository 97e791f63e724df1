package sim

import (
	"sync"
	"time"
)

// Key identifies an entity the way the merchant does: provider, merchant and the
// merchant's own request id for the operation.
type Key struct {
	Provider string `json:"provider"`
	Merchant string `json:"merchant"`
	ID       string `json:"id"`
}

// Locator finds an entity of a merchant: by the merchant's own id (Name empty) or by one of
// the ids the provider minted for it (Name is the alias, e.g. "hf_seq_id").
type Locator struct {
	Name  string
	Value string
}

// ByID locates an entity by the merchant's own request id.
func ByID(id string) Locator { return Locator{Value: id} }

// ByAlias locates an entity by a provider-minted id.
func ByAlias(name, value string) Locator { return Locator{Name: name, Value: value} }

type aliasKey struct {
	op       Operation
	provider string
	merchant string
	name     string
	value    string
}

// entity is what payments, refunds and closes have in common.
type entity struct {
	key         Key
	providerID  string
	aliases     map[string]string
	amount      Amount
	createdAt   time.Time
	fields      map[string]string
	fingerprint string
	answer      *StoredAnswer
	selectedBy  string
	m           machine
	// announced is set once the entity's final status was reported to its provider.
	announced bool
}

// payment owns its refunds and closes; its mutex guards their state, so a refund's
// reservation against the payment's balance is one atomic step. The refunds and closes
// slices only grow while the simulator's mutex is held too, so either lock may read them.
type payment struct {
	mu sync.Mutex
	entity
	seq     uint64 // creation order
	flow    Flow
	refunds []*refund
	// open is the refunds not yet settled or not yet announced: the only ones a settle,
	// a deadline or an announcement has to look at, so touching a payment with thousands
	// of finished refunds costs what its few open ones cost.
	open     []*refund
	closes   []*closeOp
	refunded Amount // successful refunds
	reserved Amount // refunds still being decided
	refundN  int
	// expiresAt closes the payment if it is still undecided then (zero: never).
	expiresAt time.Time
	closure   Closure
	// wakeAt is when a settle of the payment is scheduled (zero: none).
	wakeAt time.Time
	// forgotten is set when a reset dropped the payment; a pending wake-up then does nothing.
	forgotten bool
	// delayed holds the funds unconfirmed until confirms move them (confirm.go).
	delayed bool
	confirmBook
}

type refund struct {
	entity
	payment *payment
	settled bool // its amount has moved from reserved to refunded, or been released
}

type closeOp struct {
	entity
	payment *payment
	reverse bool
	settled bool
}

// ledger holds every entity, indexed by merchant id and by provider-minted ids.
type ledger struct {
	payments map[Key]*payment
	refunds  map[Key]*refund
	closes   map[Key]*closeOp
	confirms map[confirmKey]*confirmOp
	aliases  map[aliasKey]any
	// byID finds the payment any id belongs to (its own, its refunds' and closes', the
	// provider's and the aliases), so a lookup by id never scans.
	byID map[string][]*payment
	// order is the payments in creation order, for eviction and listing; forgotten ones
	// are skipped, and dropped by compact.
	order   []*payment
	removed int
	seq     uint64
	// count is the payments, refunds and closes held.
	count int
	// evicted remembers the ids forgotten to stay within the bound, to explain a lookup.
	evicted      map[string]evictedEntry
	evictedOrder []string
}

func newLedger() *ledger {
	return &ledger{
		payments: map[Key]*payment{},
		refunds:  map[Key]*refund{},
		closes:   map[Key]*closeOp{},
		confirms: map[confirmKey]*confirmOp{},
		aliases:  map[aliasKey]any{},
		byID:     map[string][]*payment{},
		evicted:  map[string]evictedEntry{},
	}
}

func (l *ledger) index(op Operation, e *entity, target any) {
	for name, value := range e.aliases {
		if value != "" {
			l.aliases[aliasKey{op, e.key.Provider, e.key.Merchant, name, value}] = target
		}
	}
}

func (l *ledger) findPayment(provider, merchant string, loc Locator) *payment {
	if loc.Name == "" {
		return l.payments[Key{provider, merchant, loc.Value}]
	}
	p, _ := l.aliases[aliasKey{OpPayment, provider, merchant, loc.Name, loc.Value}].(*payment)
	return p
}

func (l *ledger) findRefund(provider, merchant string, loc Locator) *refund {
	if loc.Name == "" {
		return l.refunds[Key{provider, merchant, loc.Value}]
	}
	r, _ := l.aliases[aliasKey{OpRefund, provider, merchant, loc.Name, loc.Value}].(*refund)
	return r
}

// forget drops every entity of provider, or all of them when provider is empty.
func (l *ledger) forget(provider string) int {
	if provider == "" {
		n := len(l.payments)
		for _, p := range l.payments {
			p.mu.Lock()
			p.forgotten = true
			p.mu.Unlock()
		}
		*l = *newLedger()
		return n
	}
	n := 0
	for _, p := range l.order {
		if !p.forgotten && p.key.Provider == provider {
			p.mu.Lock()
			l.remove(p, time.Time{}, false)
			p.mu.Unlock()
			n++
		}
	}
	l.compact()
	return n
}

// settle brings a payment and everything it owns up to now: scenario moves that are due,
// refunds booked or released, closes applied. The caller holds p.mu.
func (p *payment) settle(now time.Time) {
	for _, c := range p.closes {
		c.m.advance(now, false)
		p.applyClose(c)
	}
	if !p.expiresAt.IsZero() && !now.Before(p.expiresAt) && !p.m.frozen {
		p.m.advance(p.expiresAt, false)
		if !p.m.status().Final() {
			p.m.force(StatusClosed, p.expiresAt, "expired")
			p.closure = ClosureExpired
		}
	}
	p.m.advance(now, false)
	for _, r := range p.open {
		r.m.advance(now, false)
		p.applyRefund(r)
	}
	p.settleConfirms(now)
}

// applyRefund moves a refund's reservation once the refund is decided.
func (p *payment) applyRefund(r *refund) {
	if r.settled {
		return
	}
	switch r.m.status() {
	case StatusSuccess:
		p.reserved -= r.amount
		p.refunded += r.amount
		p.refundN++
		r.settled = true
	case StatusFailed:
		p.reserved -= r.amount
		r.settled = true
	}
}

// applyClose closes the payment once its close succeeds, and lets it move on again if the
// close failed.
func (p *payment) applyClose(c *closeOp) {
	if c.settled {
		return
	}
	switch c.m.status() {
	case StatusSuccess:
		p.m.frozen = false
		switch {
		case c.reverse && p.m.status() != StatusClosed && p.m.status() != StatusFailed:
			p.m.force(StatusClosed, c.m.enteredAt, "reversed by "+c.key.ID)
			p.closure = ClosureReversed
		case !p.m.status().Final():
			p.m.force(StatusClosed, c.m.enteredAt, "closed by "+c.key.ID)
			p.closure = ClosureClosed
		}
		c.settled = true
	case StatusFailed:
		p.m.frozen = false
		c.settled = true
		if c.m.override == "" && c.m.current().Payment == StatusSuccess && !p.m.status().Final() {
			// The payer paid while the close was being decided: that is why it failed.
			p.m.force(StatusSuccess, c.m.enteredAt, "paid by the payer while "+c.key.ID+" was being decided")
		}
	}
}

func (p *payment) refundable() Amount { return p.amount - p.refunded - p.reserved }

// pendingClose is the close still being decided, if any.
func (p *payment) pendingClose() *closeOp {
	for _, c := range p.closes {
		if !c.settled {
			return c
		}
	}
	return nil
}

func (p *payment) closedBy() *closeOp {
	for _, c := range p.closes {
		if c.settled && c.m.status() == StatusSuccess {
			return c
		}
	}
	return nil
}
