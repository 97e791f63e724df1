package sim

import (
	"context"
	"fmt"
	"time"
)

// Event tells a provider that a payment, refund or close reached its final status, so
// that the provider can send its asynchronous notification.
type Event struct {
	Operation Operation
	Payment   PaymentView
	Refund    *RefundView  // set for refunds
	Close     *CloseView   // set for closes and reversals
	Confirm   *ConfirmView // set for confirms and confirm refunds
	// Notify is false when the final state says `notify: false`.
	Notify bool
	// Duplicate is set when the final state asks for a duplicate delivery.
	Duplicate bool
	// Synchronous is set when the entity was final as soon as it was created, so the
	// creating call already told the merchant the outcome.
	Synchronous bool
}

// Entity is the key of the entity the event is about.
func (e Event) Entity() Key {
	switch {
	case e.Refund != nil:
		return e.Refund.Key
	case e.Close != nil:
		return e.Close.Key
	case e.Confirm != nil:
		return e.Confirm.Key
	}
	return e.Payment.Key
}

// OnFinal registers fn to receive provider's events. fn runs after the simulator's locks
// are released, on the goroutine that caused the change; it may build and sign a
// notification and hand it to Notify. Register before serving.
func (s *Simulator) OnFinal(provider string, fn func(Event)) {
	s.hooks[provider] = append(s.hooks[provider], fn)
}

func (s *Simulator) emit(evs *[]Event) {
	if len(*evs) > 0 {
		defer s.outbox.emitting.leave(evs)
	}
	for _, ev := range *evs {
		for _, fn := range s.hooks[ev.Payment.Provider] {
			fn(ev)
		}
	}
}

// release ends a change to p: it collects the events of everything the change
// finished, makes sure p is woken at its next deadline, and unlocks p. The caller emits
// the events once every lock is released.
func (s *Simulator) release(p *payment, evs *[]Event) {
	s.Touch() // for the state file
	s.releaseRead(p, evs)
}

// releaseRead is release after a read, which leaves nothing new for the state file: what
// time alone moved moves again the same way after a restore, and an announcement reaches
// the outbox, which counts its own changes. A console polling the orders then makes an
// idle paysim write nothing.
func (s *Simulator) releaseRead(p *payment, evs *[]Event) {
	if !p.forgotten {
		had := len(*evs)
		p.collect(evs)
		if had == 0 && len(*evs) > 0 {
			s.outbox.emitting.enter(evs) // a snapshot waits for these to reach the outbox
		}
		s.armWake(p)
	}
	p.mu.Unlock()
}

// armWake schedules a settle of p at its next deadline, so a refund that succeeds "after
// 30 s" does so, and notifies, even if nobody reads it.
func (s *Simulator) armWake(p *payment) {
	d := p.nextDeadline()
	if d.IsZero() || (!p.wakeAt.IsZero() && !d.Before(p.wakeAt)) {
		return
	}
	p.wakeAt = d
	s.sched.schedule(d, func(time.Time) { s.wake(p) })
}

func (s *Simulator) wake(p *payment) {
	var evs []Event
	defer s.emit(&evs)
	p.mu.Lock()
	p.wakeAt = time.Time{}
	p.settle(s.clock.Now())
	s.release(p, &evs)
}

// collect appends an event for each of p's entities that became final since the last
// look. The caller holds p.mu.
func (p *payment) collect(evs *[]Event) {
	if !p.announced && p.m.status().Final() {
		p.announced = true
		*evs = append(*evs, p.event(OpPayment, &p.entity, nil, nil))
	}
	open := p.open[:0]
	for _, r := range p.open {
		if !r.announced && r.m.status().Final() {
			r.announced = true
			rv := r.view()
			*evs = append(*evs, p.event(OpRefund, &r.entity, &rv, nil))
		}
		if !r.settled || !r.announced {
			open = append(open, r)
		}
	}
	clear(p.open[len(open):])
	p.open = open
	for _, c := range p.closes {
		if !c.announced && c.m.status().Final() {
			c.announced = true
			cv := c.view()
			*evs = append(*evs, p.event(OpClose, &c.entity, nil, &cv))
		}
	}
	p.collectConfirms(evs)
}

func (p *payment) event(op Operation, e *entity, r *RefundView, c *CloseView) Event {
	notify, dup := e.m.notifyFlags()
	return Event{Operation: op, Payment: p.view(), Refund: r, Close: c, Notify: notify, Duplicate: dup,
		Synchronous: len(e.m.history) == 1}
}

// nextDeadline is the earliest time anything of p moves by itself (zero: never).
func (p *payment) nextDeadline() time.Time {
	var next time.Time
	earliest := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	earliest(p.m.deadline())
	if !p.expiresAt.IsZero() && !p.m.frozen && !p.m.status().Final() {
		earliest(p.expiresAt)
	}
	for _, r := range p.open {
		if !r.settled {
			earliest(r.m.deadline())
		}
	}
	for _, c := range p.closes {
		if !c.settled {
			earliest(c.m.deadline())
		}
	}
	earliest(p.confirmDeadline())
	return next
}

// AdvanceClock moves a virtual clock forward and runs everything that became due: entity
// deadlines and notification attempts.
func (s *Simulator) AdvanceClock(d time.Duration) (time.Time, error) {
	vc, ok := s.clock.(*VirtualClock)
	if !ok {
		return time.Time{}, s.errRealClock()
	}
	now, err := vc.Advance(d)
	if err != nil {
		return time.Time{}, err
	}
	s.Touch()
	s.sched.runDue(now)
	return now, nil
}

// SetClock moves a virtual clock to t (never back) and runs what became due.
func (s *Simulator) SetClock(t time.Time) (time.Time, error) {
	vc, ok := s.clock.(*VirtualClock)
	if !ok {
		return time.Time{}, s.errRealClock()
	}
	now, err := vc.Set(t)
	if err != nil {
		return time.Time{}, err
	}
	s.Touch()
	s.sched.runDue(now)
	return now, nil
}

// ClockMovable says why the clock cannot be moved, or nil when it can.
func (s *Simulator) ClockMovable() error {
	if _, ok := s.clock.(*VirtualClock); !ok {
		return s.errRealClock()
	}
	return nil
}

func (s *Simulator) errRealClock() error {
	return fmt.Errorf("the clock is real and cannot be moved; %s", s.hints.VirtualClock)
}

// Notify queues a notification for delivery and returns its id.
func (s *Simulator) Notify(d Delivery) string { return s.outbox.enqueue(d) }

// Notifications lists the notifications f selects, oldest first, with their attempts.
func (s *Simulator) Notifications(f NotifyFilter) []Notification { return s.outbox.find(f) }

// Redeliver makes one extra attempt of notification id now.
func (s *Simulator) Redeliver(id string) (Notification, error) { return s.outbox.redeliver(id) }

// WaitNotification waits until a notification matches f, or ctx ends; it then also
// returns what matched f apart from its state, to say what was seen instead.
func (s *Simulator) WaitNotification(ctx context.Context, f NotifyFilter) (Notification, []Notification, bool) {
	return s.outbox.wait(ctx, f)
}

// PendingTasks is the number of scheduled tasks waiting: entity deadlines and
// notification attempts. Waiting costs a heap entry each, no goroutine.
func (s *Simulator) PendingTasks() int { return s.sched.pending() }

// Close stops the scheduler, waits for notification attempts under way until ctx ends,
// and returns the notifications that were still pending, now marked abandoned.
func (s *Simulator) Close(ctx context.Context) []Notification {
	s.sched.close()
	return s.outbox.close(ctx)
}

// WithSender sets how notifications are delivered (default: none are; the outbox
// journals every one as refused).
func WithSender(snd Sender) Option {
	return func(s *Simulator) { s.sender = snd }
}
