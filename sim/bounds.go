package sim

import (
	"fmt"
	"runtime/debug"
	"slices"
	"time"
)

// DefaultMaxEntities bounds what a simulator holds unless told otherwise: payments,
// refunds and closes together. At the measured cost per payment (BENCHMARKS.md) a full
// simulator stays well under 1 GB.
const DefaultMaxEntities = 200000

// evictedMemory bounds how many evicted ids are remembered to explain a lookup.
const evictedMemory = 100000

// evictScan bounds how many of the oldest payments one creation looks at for one that is
// finished: a simulator full of undecided ones refuses instead of walking everything.
const evictScan = 1000

// WithMaxEntities bounds the payments, refunds and closes held (DefaultMaxEntities when
// n < 1). When full, the oldest finished payments are forgotten, with their refunds and
// closes; if none is finished, a creation is refused.
func WithMaxEntities(n int) Option {
	return func(s *Simulator) {
		if n > 0 {
			s.maxEntities = n
		}
	}
}

// evictedEntry says what an id belonged to when it was forgotten.
type evictedEntry struct {
	key Key
	at  time.Time
}

// addPayment books p in every index.
func (l *ledger) addPayment(p *payment) {
	l.seq++
	p.seq = l.seq
	l.payments[p.key] = p
	l.index(OpPayment, &p.entity, p)
	l.indexIDs(&p.entity, p)
	l.order = append(l.order, p)
	l.count++
}

func (l *ledger) addRefund(r *refund) {
	l.refunds[r.key] = r
	l.index(OpRefund, &r.entity, r)
	l.indexIDs(&r.entity, r.payment)
	l.count++
}

func (l *ledger) addClose(c *closeOp) {
	l.closes[c.key] = c
	l.indexIDs(&c.entity, c.payment)
	l.count++
}

// indexIDs makes every id of e (the merchant's, the provider's, its aliases) find p.
func (l *ledger) indexIDs(e *entity, p *payment) {
	for _, id := range e.ids() {
		if list := l.byID[id]; !slices.Contains(list, p) {
			l.byID[id] = append(list, p)
		}
	}
}

func (e *entity) ids() []string {
	out := []string{e.key.ID}
	if e.providerID != "" {
		out = append(out, e.providerID)
	}
	for _, v := range e.aliases {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// entities of p: itself, its refunds and closes.
func (p *payment) entities() []*entity {
	out := []*entity{&p.entity}
	for _, r := range p.refunds {
		out = append(out, &r.entity)
	}
	for _, c := range p.closes {
		out = append(out, &c.entity)
	}
	for _, c := range p.confirms {
		out = append(out, &c.entity)
	}
	return out
}

// finished reports whether nothing can change p any more: it and everything it owns are
// final. The caller holds p.mu.
func (p *payment) finished() bool {
	if !p.m.status().Final() {
		return false
	}
	for _, r := range p.open { // a refund leaves open only once settled, hence final
		if !r.m.status().Final() {
			return false
		}
	}
	for _, c := range p.closes {
		if !c.m.status().Final() {
			return false
		}
	}
	return p.confirmsFinished()
}

// remove forgets p and everything it owns; evicted remembers their ids, to explain a
// later lookup. The caller holds p.mu.
func (l *ledger) remove(p *payment, now time.Time, evicted bool) {
	for _, e := range p.entities() {
		for _, id := range e.ids() {
			list := slices.DeleteFunc(l.byID[id], func(x *payment) bool { return x == p })
			if len(list) == 0 {
				delete(l.byID, id)
			} else {
				l.byID[id] = list
			}
			if evicted {
				l.rememberEvicted(id, e.key, now)
			}
		}
		for name, value := range e.aliases {
			for _, op := range operations {
				delete(l.aliases, aliasKey{op, e.key.Provider, e.key.Merchant, name, value})
			}
		}
		l.count--
	}
	for _, r := range p.refunds {
		delete(l.refunds, r.key)
	}
	for _, c := range p.closes {
		delete(l.closes, c.key)
	}
	for _, c := range p.confirms {
		delete(l.confirms, confirmKey{c.op, c.key})
	}
	delete(l.payments, p.key)
	p.forgotten = true
	l.removed++
}

func (l *ledger) rememberEvicted(id string, key Key, now time.Time) {
	if _, ok := l.evicted[id]; !ok {
		l.evictedOrder = append(l.evictedOrder, id)
	}
	l.evicted[id] = evictedEntry{key: key, at: now}
	if over := len(l.evictedOrder) - evictedMemory; over > 0 {
		for _, old := range l.evictedOrder[:over] {
			delete(l.evicted, old)
		}
		l.evictedOrder = slices.Delete(l.evictedOrder, 0, over)
	}
}

// compact drops forgotten payments from the creation order once they are most of it.
func (l *ledger) compact() {
	if l.removed < 1024 || l.removed < len(l.order)/2 {
		return
	}
	l.order = slices.DeleteFunc(l.order, func(p *payment) bool { return p.forgotten })
	l.removed = 0
}

// makeRoomLocked forgets the oldest finished payments until one more entity fits,
// never keep (the payment the new entity belongs to). The caller holds s.mu.
func (s *Simulator) makeRoomLocked(keep *payment, now time.Time) error {
	l := s.ledger
	scanned := 0
	for i := 0; l.count >= s.maxEntities && i < len(l.order); i++ {
		p := l.order[i]
		if p.forgotten || p == keep {
			continue
		}
		if scanned++; scanned > evictScan {
			break
		}
		p.mu.Lock()
		p.settle(now)
		done := p.finished()
		if done {
			l.remove(p, now, true)
			s.evictions++
		}
		p.mu.Unlock()
	}
	l.compact()
	if l.count >= s.maxEntities {
		return Errorf(ErrSystem, "paysim holds %d payments, refunds and closes, its bound, and none of the oldest %d payments is finished, so none can be forgotten to make room; %s",
			l.count, min(scanned, evictScan), s.hints.MaxEntities)
	}
	return nil
}

// notFound explains a miss, naming an eviction when the id was forgotten to keep the
// simulator within its bound.
func (s *Simulator) notFound(what, provider, merchant string, loc Locator) *Error {
	e := notFound(what, merchant, loc)
	if ev, ok := s.ledger.evicted[loc.Value]; ok && ev.key.Provider == provider && ev.key.Merchant == merchant {
		e.Detail += fmt.Sprintf("; it was evicted at %s: paysim holds at most %d payments, refunds and closes and forgets the oldest finished ones first (%s)",
			ev.at.Format(time.RFC3339), s.maxEntities, s.hints.MaxEntities)
	}
	return e
}

// Bounds reports what the simulator holds against its bound, and how many payments were
// forgotten to stay within it.
func (s *Simulator) Bounds() (held, bound int, evicted int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ledger.count, s.maxEntities, s.evictions
}

// freeMemory hands freed memory back to the operating system after a reset, so that a
// long-running paysim's footprint follows what it holds.
func freeMemory() { debug.FreeOSMemory() }
