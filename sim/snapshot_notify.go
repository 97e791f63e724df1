package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OutboxState is every notification the outbox holds, with its schedule.
type OutboxState struct {
	Seq           int                 `json:"seq"` // the last notification's number (n<seq>)
	Dropped       int64               `json:"dropped,omitempty"`
	Notifications []NotificationState `json:"notifications"`
}

// NotificationState is one notification: the exact request, where it stands and its
// attempts. A pending one is attempted at NextAt after a restore.
type NotificationState struct {
	ID        string              `json:"id"`
	Provider  string              `json:"provider"`
	Operation Operation           `json:"operation"`
	Entity    Key                 `json:"entity"`
	Order     string              `json:"order"`
	URL       string              `json:"url"`
	Header    map[string][]string `json:"header,omitempty"`
	// Body is the request's body as text when it is UTF-8, else in BodyBase64.
	Body       Text           `json:"body"`
	BodyBase64 []byte         `json:"body_base64,omitempty"`
	State      string         `json:"state"`
	Why        string         `json:"why,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	NextAt     time.Time      `json:"next_attempt_at,omitzero"`
	MaxTries   int            `json:"max_attempts"`
	Attempts   []AttemptState `json:"attempts"`
	// Duplicate is set while the second copy a scenario asked for is still to be sent.
	Duplicate bool `json:"duplicate,omitempty"`
}

// AttemptState is one attempt at delivering a notification.
type AttemptState struct {
	N          int           `json:"n"`
	At         time.Time     `json:"at"`
	Status     int           `json:"status,omitempty"`
	Reply      string        `json:"reply,omitempty"`
	Acked      bool          `json:"acked,omitempty"`
	Why        string        `json:"why,omitempty"`
	Duration   time.Duration `json:"duration_ns"`
	Manual     bool          `json:"manual,omitempty"`
	Unfinished bool          `json:"unfinished,omitempty"`
}

var notifyStates = []string{NotifyPending, NotifyInFlight, NotifyAcked, NotifyFailed, NotifyRefused, NotifyAbandoned}

// NotifyPolicy registers the retry schedule and acknowledgement rule of provider's
// notifications, which a notification restored from a state file is sent under (the rule
// is code, so a file cannot hold it). A provider registers it when it is built.
func (s *Simulator) NotifyPolicy(provider string, p DeliveryPolicy) {
	o := s.outbox
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.policies == nil {
		o.policies = map[string]DeliveryPolicy{}
	}
	o.policies[provider] = p
}

// saved copies the notifications. An attempt under way is saved as due at now: its
// answer is unknown, so it is made again after a restore (the receiver may get it twice,
// as providers warn can happen).
func (o *outbox) saved(now time.Time) OutboxState {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := OutboxState{Seq: o.seq, Dropped: o.dropped, Notifications: make([]NotificationState, len(o.list))}
	for i, e := range o.list {
		n := &e.n
		ns := NotificationState{ID: n.ID, Provider: n.Provider, Operation: n.Operation, Entity: n.Entity, Order: n.Order,
			URL: n.URL, Header: cloneHeader(n.Header), State: n.State, Why: n.Why, CreatedAt: n.CreatedAt,
			NextAt: n.NextAt, MaxTries: n.MaxTries, Attempts: make([]AttemptState, len(n.Attempts)), Duplicate: e.duplicate}
		ns.Body, ns.BodyBase64 = textOrBinary(e.d.Body)
		for j, a := range n.Attempts {
			ns.Attempts[j] = AttemptState(a)
		}
		if n.State == NotifyInFlight {
			ns.State, ns.Why, ns.NextAt = NotifyPending, "an attempt was under way when the state was saved", now
			if !e.resume.IsZero() { // a redelivery by hand ran ahead of a scheduled retry
				ns.NextAt = e.resume
			}
		}
		st.Notifications[i] = ns
	}
	return st
}

// prepare checks a saved outbox and returns what installs it; the install schedules
// every pending notification again, and attempts those already due at once.
func (o *outbox) prepare(st OutboxState) (func(), error) {
	o.mu.Lock()
	policies := o.policies
	held := len(o.list)
	o.mu.Unlock()
	if held > 0 {
		return nil, errors.New("this simulator already holds notifications; a state is restored into a new one")
	}
	if st.Seq < 0 || st.Dropped < 0 {
		return nil, fmt.Errorf("outbox: seq %d or dropped %d is negative", st.Seq, st.Dropped)
	}
	if len(st.Notifications) > maxJournal {
		return nil, fmt.Errorf("outbox: %d notifications, more than the %d the outbox holds", len(st.Notifications), maxJournal)
	}
	entries := make([]*outboxEntry, 0, len(st.Notifications))
	byID := map[string]*outboxEntry{}
	for _, ns := range st.Notifications {
		what := "notification " + strconv.Quote(ns.ID)
		n, err := strconv.Atoi(strings.TrimPrefix(ns.ID, "n"))
		switch {
		case err != nil || !strings.HasPrefix(ns.ID, "n") || n < 1 || n > st.Seq:
			return nil, fmt.Errorf("%s: an id is n1 to n%d (the outbox's seq)", what, st.Seq)
		case byID[ns.ID] != nil:
			return nil, fmt.Errorf("%s is listed twice", what)
		case !slices.Contains(notifyStates, ns.State):
			return nil, fmt.Errorf("%s: state %q is not one of %s", what, ns.State, strings.Join(notifyStates, ", "))
		case ns.State == NotifyInFlight:
			return nil, fmt.Errorf("%s: a saved notification is never in flight", what)
		case ns.MaxTries < 1 || len(ns.Attempts) > 2*maxNotifyAttempts:
			return nil, fmt.Errorf("%s: %d attempts of at most %d do not add up", what, len(ns.Attempts), ns.MaxTries)
		}
		policy, ok := policies[ns.Provider]
		if !ok && (ns.State == NotifyPending || ns.Duplicate) {
			return nil, fmt.Errorf("%s: provider %q registered no notification policy, so it cannot be sent", what, ns.Provider)
		}
		body := fromTextOrBinary(ns.Body, ns.BodyBase64)
		e := &outboxEntry{duplicate: ns.Duplicate, d: Delivery{Provider: ns.Provider, Operation: ns.Operation, Entity: ns.Entity,
			Order: ns.Order, URL: ns.URL, Header: cloneHeader(ns.Header), Body: body, Policy: policy}}
		e.n = Notification{ID: ns.ID, Provider: ns.Provider, Operation: ns.Operation, Entity: ns.Entity, Order: ns.Order,
			URL: ns.URL, State: ns.State, Why: ns.Why, Body: string(body), CreatedAt: inBeijing(ns.CreatedAt),
			NextAt: inBeijing(ns.NextAt), MaxTries: ns.MaxTries, Attempts: make([]Attempt, len(ns.Attempts)), Header: e.d.Header}
		if ok {
			// The schedule is the provider's as it is now: a notification never asks for
			// a retry its provider no longer has.
			e.n.MaxTries = min(e.n.MaxTries, len(policy.Gaps)+1)
		}
		for i, a := range ns.Attempts {
			e.n.Attempts[i] = Attempt(a)
			e.n.Attempts[i].At = inBeijing(a.At)
		}
		if ns.State != NotifyPending {
			e.n.NextAt = time.Time{}
		}
		entries = append(entries, e)
		byID[ns.ID] = e
	}
	return func() {
		now := o.clock.Now()
		o.mu.Lock()
		o.list, o.byID, o.seq, o.dropped = entries, byID, st.Seq, st.Dropped
		o.changedLocked()
		o.mu.Unlock()
		for _, e := range entries {
			if e.n.State != NotifyPending {
				continue
			}
			if e.n.NextAt.After(now) {
				o.sched.schedule(e.n.NextAt, func(time.Time) { o.dispatch(e, false) })
			} else {
				o.dispatch(e, false)
			}
		}
	}, nil
}

// maxNotifyAttempts bounds the attempts a saved notification may list: every provider
// makes at most a handful, and redeliveries by hand add some.
const maxNotifyAttempts = 1000
