package sim

import "time"

// machine is one entity's run through its scenario. It has no goroutine: its state is
// worked out from the facts of the entity (queries seen, time passed) whenever the entity
// is read, under the lock of the payment it belongs to.
type machine struct {
	scenario  *Scenario
	state     int
	enteredAt time.Time
	queries   int // status queries since the current state was entered
	total     int // status queries over the entity's life
	history   []Transition
	// frozen stops time- and query-driven moves, e.g. of a payment while a close of it is
	// being decided: the payer can no longer pay an order that is being closed.
	frozen bool
	// final is set when something outside the scenario decides the status (a close that
	// succeeded closes its payment).
	override Status
}

// Transition is one recorded move, for the control plane's explanation of an entity.
type Transition struct {
	From  string    `json:"from,omitempty"`
	To    string    `json:"to"`
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

func newMachine(sc *Scenario, now time.Time) machine {
	m := machine{scenario: sc, enteredAt: now}
	m.history = append(m.history, Transition{To: sc.States[0].Name, At: now, Cause: "created"})
	return m
}

func (m *machine) current() State { return m.scenario.States[m.state] }

func (m *machine) status() Status {
	if m.override != "" {
		return m.override
	}
	return m.current().Status
}

// advance counts a status query if queried, then follows every transition that is due
// at now. Deadlines are measured from the moment the state was entered, and a state left
// by its deadline is left at the deadline, not at the read: the same request sequence on
// the same virtual clock always gives the same history.
func (m *machine) advance(now time.Time, queried bool) (changed bool) {
	if queried {
		m.queries++
		m.total++
	}
	if m.frozen || m.override != "" {
		return false
	}
	for {
		st := m.current()
		if st.Next == "" {
			return changed
		}
		next := m.scenario.stateIndex(st.Next)
		switch {
		case st.Until.Elapsed > 0 && !now.Before(m.enteredAt.Add(st.Until.Elapsed)):
			m.enter(next, m.enteredAt.Add(st.Until.Elapsed), "elapsed "+st.Until.Elapsed.String())
		case st.Until.Queries > 0 && m.queries >= st.Until.Queries:
			m.enter(next, now, "status query")
		default:
			return changed
		}
		changed = true
	}
}

func (m *machine) enter(i int, at time.Time, cause string) {
	m.history = append(m.history, Transition{From: m.current().Name, To: m.scenario.States[i].Name, At: at, Cause: cause})
	m.state, m.enteredAt, m.queries = i, at, 0
}

// force ends the machine in a status decided outside its scenario.
func (m *machine) force(s Status, at time.Time, cause string) {
	m.history = append(m.history, Transition{From: m.current().Name, To: string(s), At: at, Cause: cause})
	m.override, m.enteredAt = s, at
}

// finishedAt is when the entity reached its final status, or zero while it has not.
func (m *machine) finishedAt() time.Time {
	if !m.status().Final() {
		return time.Time{}
	}
	return m.enteredAt
}

// fields returns the current state's overrides for provider.
func (m *machine) fields(provider string) map[string]string {
	if m.override != "" {
		return nil
	}
	return m.current().Fields[provider]
}

// deadline is when the current state is left by time, or zero if time does not move it.
func (m *machine) deadline() time.Time {
	if m.frozen || m.override != "" {
		return time.Time{}
	}
	st := m.current()
	if st.Next == "" || st.Until.Elapsed == 0 {
		return time.Time{}
	}
	return m.enteredAt.Add(st.Until.Elapsed)
}

// notifyFlags are the final state's notification settings. A status decided outside the
// scenario (closed by a close, expired) notifies once.
func (m *machine) notifyFlags() (notify, duplicate bool) {
	if m.override != "" {
		return true, false
	}
	st := m.current()
	return st.Notify, st.DuplicateNotify
}
