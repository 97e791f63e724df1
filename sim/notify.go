package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Delivery is an asynchronous notification a provider asks the simulator to send: the
// provider builds the exact request (URL, headers, signed body) and says how its
// receivers acknowledge and how often it retries; the outbox does the sending.
type Delivery struct {
	Provider  string
	Operation Operation
	// Entity is the payment, refund or close notified; Order the payment's merchant id.
	Entity Key
	Order  string
	URL    string
	Header map[string][]string
	Body   []byte
	Policy DeliveryPolicy
	// Duplicate sends the notification a second time after the first is acknowledged,
	// as providers warn can happen.
	Duplicate bool
}

// DeliveryPolicy is a provider's retry schedule and acknowledgement rule.
type DeliveryPolicy struct {
	// Gaps between attempts: len(Gaps)+1 attempts in all.
	Gaps []time.Duration
	// Timeout of one attempt (real time: it bounds a real HTTP exchange).
	Timeout time.Duration
	// Ack judges a receiver's answer; why explains a refusal in the journal.
	Ack func(status int, body []byte) (ok bool, why string)
}

// Notification states.
const (
	NotifyPending   = "pending"   // waiting for its next attempt
	NotifyInFlight  = "in_flight" // an attempt is under way
	NotifyAcked     = "acked"     // the receiver acknowledged it
	NotifyFailed    = "failed"    // every attempt failed
	NotifyRefused   = "refused"   // the target is not allowed (loopback only, unless allowed)
	NotifyAbandoned = "abandoned" // still pending when paysim shut down
)

// Notification is one delivery with its journal, as the control plane shows it.
type Notification struct {
	ID        string              `json:"id"`
	Provider  string              `json:"provider"`
	Operation Operation           `json:"operation"`
	Entity    Key                 `json:"entity"`
	Order     string              `json:"order"`
	URL       string              `json:"url"`
	State     string              `json:"state"`
	Why       string              `json:"why,omitempty"`
	Body      string              `json:"body"`
	CreatedAt time.Time           `json:"created_at"`
	NextAt    time.Time           `json:"next_attempt_at,omitzero"`
	MaxTries  int                 `json:"max_attempts"`
	Attempts  []Attempt           `json:"attempts"`
	Header    map[string][]string `json:"header,omitempty"`
}

// Attempt is one try at delivering a notification.
type Attempt struct {
	N        int           `json:"n"`
	At       time.Time     `json:"at"`
	Status   int           `json:"status,omitempty"`
	Reply    string        `json:"reply,omitempty"` // the receiver's body, clipped
	Acked    bool          `json:"acked"`
	Why      string        `json:"why,omitempty"` // why it did not count as acknowledged
	Duration time.Duration `json:"duration_ns"`
	Manual   bool          `json:"manual,omitempty"` // a redelivery asked for by hand
	// Unfinished marks an attempt still under way when paysim shut down: the receiver may
	// have got it, and nobody knows its answer.
	Unfinished bool `json:"unfinished,omitempty"`
}

// NotifyFilter selects notifications; empty fields match everything.
type NotifyFilter struct {
	Provider string
	Order    string // the payment's id or the notified entity's id
	State    string
}

func (f NotifyFilter) matches(n *Notification) bool {
	return (f.Provider == "" || n.Provider == f.Provider) &&
		(f.Order == "" || n.Order == f.Order || n.Entity.ID == f.Order) &&
		(f.State == "" || n.State == f.State)
}

// outbox holds every notification and sends them on the scheduler, a few at a time.
type outbox struct {
	clock  Clock
	sched  *scheduler
	sender Sender
	// dropped counts pending notifications forgotten to stay within the bound.
	dropped int64
	logger  func(msg string, args ...any)

	mu       sync.Mutex
	list     []*outboxEntry
	byID     map[string]*outboxEntry
	seq      int
	changed  chan struct{} // closed and replaced on every change, for waiters
	closed   bool
	queue    []*job
	workers  int
	inFlight sync.WaitGroup
	// policies are the providers' notification policies, for notifications restored
	// from a state file.
	policies map[string]DeliveryPolicy
	// changes counts changes of the simulator's state, for its state writer (Touch).
	changes atomic.Uint64
	// emitting is the announcements on their way to the outbox (snapshot_gate.go).
	emitting emitGate
}

type outboxEntry struct {
	n         Notification
	d         Delivery
	duplicate bool // a second copy is still to be sent after this one is acked
	// resume is set while a redelivery by hand runs ahead of a scheduled retry, which
	// stays in force if the redelivery fails.
	resume time.Time
	// attemptStart is when the attempt under way began (zero: none is).
	attemptStart time.Time
	// shutdown is set when paysim's shutdown ended the notification before it was
	// acknowledged, so that the shutdown report lists it.
	shutdown bool
}

type job struct {
	e      *outboxEntry
	manual bool
}

// maxNotifyWorkers bounds concurrent attempts: a slow receiver must not make paysim open
// an unbounded number of connections.
const maxNotifyWorkers = 8

const replyClip = 512

// maxJournal bounds the notifications kept. A long-running paysim would otherwise keep
// every notification it ever sent; past this, the oldest finished ones are forgotten, and
// if none is finished, the oldest still pending.
const maxJournal = 10000

func newOutbox(c Clock, sched *scheduler, sender Sender, logger func(string, ...any)) *outbox {
	if sender == nil {
		sender = refuseAll{}
	}
	return &outbox{clock: c, sched: sched, sender: sender, logger: logger, byID: map[string]*outboxEntry{}, changed: make(chan struct{})}
}

// Sender delivers notifications: the core decides what to send and when, a Sender how.
// The HTTP one is in sim/outbound, and reaches loopback only unless told more.
type Sender interface {
	// Check refuses a target before any attempt is made, saying why.
	Check(url string) error
	// Send makes one attempt and returns the receiver's answer, clipped.
	Send(ctx context.Context, d Delivery) (status int, body []byte, err error)
}

// refuseAll is the Sender of a core built without one: nothing leaves it.
type refuseAll struct{}

func (refuseAll) Check(url string) error {
	return fmt.Errorf("this simulator was built without a notification sender, so nothing is sent to %s", url)
}

func (refuseAll) Send(context.Context, Delivery) (int, []byte, error) {
	return 0, nil, fmt.Errorf("no notification sender")
}

func (o *outbox) changedLocked() {
	o.changes.Add(1)
	close(o.changed)
	o.changed = make(chan struct{})
}

// enqueue records d and makes its first attempt at once (on any clock: a virtual clock
// only holds back the retries).
func (o *outbox) enqueue(d Delivery) string {
	now := o.clock.Now()
	o.mu.Lock()
	o.seq++
	e := &outboxEntry{d: d, duplicate: d.Duplicate, n: Notification{
		ID: fmt.Sprintf("n%d", o.seq), Provider: d.Provider, Operation: d.Operation, Entity: d.Entity, Order: d.Order,
		URL: d.URL, State: NotifyPending, Body: string(d.Body), CreatedAt: now, NextAt: now,
		MaxTries: len(d.Policy.Gaps) + 1, Attempts: []Attempt{}, Header: d.Header,
	}}
	if o.closed {
		e.n.State, e.n.Why, e.n.NextAt = NotifyAbandoned, "paysim was shutting down", time.Time{}
	}
	o.list = append(o.list, e)
	o.byID[e.n.ID] = e
	if len(o.list) > maxJournal {
		o.forgetFinishedLocked(len(o.list) - maxJournal)
	}
	if over := len(o.list) - maxJournal; over > 0 {
		o.dropOldestLocked(over)
	}
	o.changedLocked()
	closed := o.closed
	o.mu.Unlock()
	if !closed {
		o.dispatch(e, false)
	}
	return e.n.ID
}

// dispatch hands an attempt to a worker. It runs on the scheduler, so it must not block.
func (o *outbox) dispatch(e *outboxEntry, manual bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || e.n.State == NotifyAbandoned {
		return
	}
	if err := o.sender.Check(e.d.URL); err != nil {
		e.n.State, e.n.Why, e.n.NextAt = NotifyRefused, err.Error(), time.Time{}
		o.changedLocked()
		o.logger("notification refused", "id", e.n.ID, "why", err.Error())
		return
	}
	e.resume = time.Time{}
	if manual && e.n.State == NotifyPending {
		e.resume = e.n.NextAt
	}
	e.n.State, e.n.NextAt = NotifyInFlight, time.Time{}
	o.changedLocked()
	o.inFlight.Add(1)
	o.queue = append(o.queue, &job{e: e, manual: manual})
	if o.workers < maxNotifyWorkers {
		o.workers++
		go o.work()
	}
}

// work runs queued attempts and exits when the queue is empty: a notification waiting
// for its next attempt costs a heap entry, never a goroutine. At most maxNotifyWorkers
// run at once.
func (o *outbox) work() {
	o.mu.Lock()
	for len(o.queue) > 0 {
		j := o.queue[0]
		o.queue = o.queue[1:]
		if o.closed { // queued but never started: nothing was sent
			j.e.n.State, j.e.n.Why, j.e.shutdown = NotifyAbandoned, "paysim shut down before this attempt started", true
			o.inFlight.Done()
			continue
		}
		o.mu.Unlock()
		o.attempt(j)
		o.mu.Lock()
	}
	o.workers--
	o.mu.Unlock()
}

func (o *outbox) attempt(j *job) {
	defer o.inFlight.Done()
	e, d := j.e, j.e.d
	start, began := o.clock.Now(), time.Now()
	o.mu.Lock()
	e.attemptStart = start
	o.mu.Unlock()
	status, reply, err := o.send(d)
	a := Attempt{At: start, Status: status, Reply: Clip(string(reply), replyClip), Duration: time.Since(began), Manual: j.manual}
	switch {
	case err != nil:
		a.Why = err.Error()
	default:
		a.Acked, a.Why = d.Policy.Ack(status, reply)
	}
	var dup *Delivery
	o.mu.Lock()
	e.attemptStart = time.Time{}
	a.N = len(e.n.Attempts) + 1
	e.n.Attempts = append(e.n.Attempts, a)
	scheduled := 0
	for _, x := range e.n.Attempts {
		if !x.Manual {
			scheduled++
		}
	}
	switch {
	case a.Acked:
		e.n.State, e.n.Why = NotifyAcked, ""
		if e.duplicate {
			e.duplicate = false
			copy := d
			copy.Duplicate = false
			dup = &copy
		}
	case o.closed:
		e.n.State, e.n.Why = NotifyAbandoned, "paysim shut down after this attempt: "+a.Why
		e.shutdown = true
	case j.manual && !e.resume.IsZero():
		e.n.State, e.n.Why, e.n.NextAt = NotifyPending, "redelivery failed: "+a.Why, e.resume
	case j.manual:
		e.n.State, e.n.Why = NotifyFailed, "redelivery failed: "+a.Why
	case scheduled >= e.n.MaxTries:
		e.n.State, e.n.Why = NotifyFailed, fmt.Sprintf("all %d attempts failed; last: %s", e.n.MaxTries, a.Why)
	default:
		next := start.Add(d.Policy.Gaps[scheduled-1])
		e.n.State, e.n.Why, e.n.NextAt = NotifyPending, a.Why, next
		o.sched.schedule(next, func(time.Time) { o.dispatch(e, false) })
	}
	o.changedLocked()
	o.mu.Unlock()
	if dup != nil {
		o.enqueue(*dup)
	}
}

func (o *outbox) send(d Delivery) (int, []byte, error) {
	timeout := d.Policy.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	status, body, err := o.sender.Send(ctx, d)
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		return status, body, fmt.Errorf("no answer within %s", timeout)
	}
	return status, body, err
}

// redeliver makes one extra attempt now, whatever the notification's state.
func (o *outbox) redeliver(id string) (Notification, error) {
	o.mu.Lock()
	e := o.byID[id]
	if e == nil {
		o.mu.Unlock()
		return Notification{}, fmt.Errorf("no notification %q", id)
	}
	if e.n.State == NotifyInFlight {
		o.mu.Unlock()
		return Notification{}, fmt.Errorf("notification %s has an attempt under way; try again when it ends", id)
	}
	if o.closed {
		o.mu.Unlock()
		return Notification{}, errors.New("paysim is shutting down")
	}
	o.mu.Unlock()
	o.dispatch(e, true)
	return o.get(id), nil
}

func (o *outbox) get(id string) Notification {
	o.mu.Lock()
	defer o.mu.Unlock()
	return snapshot(o.byID[id])
}

func snapshot(e *outboxEntry) Notification {
	n := e.n
	n.Attempts = slices.Clone(e.n.Attempts)
	n.Header = cloneHeader(e.n.Header)
	return n
}

func cloneHeader(h map[string][]string) map[string][]string {
	if h == nil {
		return nil
	}
	out := make(map[string][]string, len(h))
	for k, vs := range h {
		out[k] = slices.Clone(vs)
	}
	return out
}

func (o *outbox) find(f NotifyFilter) []Notification {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := []Notification{}
	for _, e := range o.list {
		if f.matches(&e.n) {
			out = append(out, snapshot(e))
		}
	}
	return out
}

// wait returns the first notification matching f once one exists, or what matched
// the filter without its state when ctx ends.
func (o *outbox) wait(ctx context.Context, f NotifyFilter) (Notification, []Notification, bool) {
	for {
		o.mu.Lock()
		var seen []Notification
		for _, e := range o.list {
			if f.matches(&e.n) {
				n := snapshot(e)
				o.mu.Unlock()
				return n, nil, true
			}
			loose := f
			loose.State = ""
			if loose.matches(&e.n) {
				seen = append(seen, snapshot(e))
			}
		}
		changed := o.changed
		o.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Notification{}, seen, false
		}
	}
}

// close stops new attempts, waits for those under way (until ctx ends), and marks what
// is still pending as abandoned, returning it.
func (o *outbox) close(ctx context.Context) []Notification {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	done := make(chan struct{})
	go func() { o.inFlight.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var left []Notification
	for _, e := range o.list {
		switch {
		case e.n.State == NotifyInFlight && !e.attemptStart.IsZero():
			// The attempt under way is reported as it stands: the receiver may have got
			// it, so it counts.
			e.n.State, e.n.Why, e.shutdown = NotifyAbandoned, "an attempt was still under way when paysim shut down", true
			n := snapshot(e)
			n.Attempts = append(n.Attempts, Attempt{N: len(n.Attempts) + 1, At: e.attemptStart, Unfinished: true,
				Why: "still under way at shutdown; the receiver may have got it"})
			left = append(left, n)
		case e.n.State == NotifyPending || e.n.State == NotifyInFlight: // in flight but not started: queued
			e.n.State, e.n.Why, e.n.NextAt, e.shutdown = NotifyAbandoned, "still pending when paysim shut down", time.Time{}, true
			left = append(left, snapshot(e))
		case e.shutdown: // its last attempt failed (or timed out) during the grace period
			left = append(left, snapshot(e))
		}
	}
	o.changedLocked()
	return left
}

// forgetFinishedLocked drops up to n of the oldest notifications that will not be
// attempted again. The caller holds o.mu.
func (o *outbox) forgetFinishedLocked(n int) {
	kept := o.list[:0]
	for _, e := range o.list {
		finished := e.n.State != NotifyPending && e.n.State != NotifyInFlight
		if n > 0 && finished {
			delete(o.byID, e.n.ID)
			n--
			continue
		}
		kept = append(kept, e)
	}
	clear(o.list[len(kept):])
	o.list = kept
}

// dropOldestLocked forgets the n oldest notifications still to be sent, when the journal
// is full of them: a receiver that never answers must not make paysim grow without bound.
func (o *outbox) dropOldestLocked(n int) {
	kept := o.list[:0]
	for _, e := range o.list {
		if n > 0 && e.n.State == NotifyPending {
			e.n.State, e.n.Why, e.n.NextAt = NotifyAbandoned, fmt.Sprintf("dropped: the outbox holds at most %d notifications", maxJournal), time.Time{}
			delete(o.byID, e.n.ID)
			o.dropped++
			n--
			continue
		}
		kept = append(kept, e)
	}
	clear(o.list[len(kept):])
	o.list = kept
	if o.dropped > 0 && o.dropped%1000 == 1 {
		o.logger("notifications dropped: the outbox is full of pending ones", "dropped", o.dropped, "bound", maxJournal)
	}
}

func (o *outbox) reset(provider string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	kept := o.list[:0]
	for _, e := range o.list {
		if provider != "" && e.n.Provider != provider {
			kept = append(kept, e)
			continue
		}
		delete(o.byID, e.n.ID)
		// A scheduled attempt of a forgotten notification finds it closed off.
		e.n.State = NotifyAbandoned
	}
	o.list = kept
	if provider == "" {
		o.seq = 0
	}
	o.changedLocked()
}

// AckText is the acknowledgement rule of providers whose receivers answer a word: HTTP
// 200 and a body equal to want once trimmed, in any case.
func AckText(want string) func(status int, body []byte) (bool, string) {
	return func(status int, body []byte) (bool, string) {
		text := strings.TrimSpace(string(body))
		switch {
		case status != 200:
			return false, fmt.Sprintf("HTTP status %d, want 200", status)
		case !strings.EqualFold(text, want):
			return false, fmt.Sprintf("answer %q is not %s", Clip(text, 60), want)
		}
		return true, ""
	}
}
