package sim

import (
	"cmp"
	"slices"
	"sync"
)

// What the core counts for the metrics. The metrics read it when scraped, so serving a
// request pays for none of it beyond the scenario count below.

// ScenarioChoice is how often one scenario was chosen for new entities of one provider.
type ScenarioChoice struct {
	Provider  string
	Operation Operation
	Scenario  string
	Count     int64
}

// maxChoiceKeys bounds the scenario counts. Scenario names come from the loaded set, but
// a folder reloaded with new names again and again would add keys for ever; past the
// bound, new names count under OtherScenario.
const maxChoiceKeys = 1000

// OtherScenario counts the scenarios chosen once the counts hold maxChoiceKeys names.
const OtherScenario = "other"

type choiceKey struct {
	provider string
	op       Operation
	scenario string
}

// choices counts the scenarios chosen. It is never reset: a count only grows, as the
// metrics' counters must.
type choices struct {
	mu     sync.Mutex
	counts map[choiceKey]int64
}

func (c *choices) add(provider string, op Operation, scenario string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[choiceKey]int64{}
	}
	k := choiceKey{provider, op, scenario}
	if _, ok := c.counts[k]; !ok && len(c.counts) >= maxChoiceKeys {
		k.scenario = OtherScenario
	}
	c.counts[k]++
}

// ScenarioChoices says how often each scenario was chosen for a new payment, refund or
// close (a rejecting scenario included), by provider, in a stable order. A reset does
// not forget them.
func (s *Simulator) ScenarioChoices() []ScenarioChoice {
	c := &s.chosen
	c.mu.Lock()
	out := make([]ScenarioChoice, 0, len(c.counts))
	for k, n := range c.counts {
		out = append(out, ScenarioChoice{Provider: k.provider, Operation: k.op, Scenario: k.scenario, Count: n})
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b ScenarioChoice) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Scenario, b.Scenario))
	})
	return out
}

// Holdings is what the ledger holds now, by kind (Bounds has the total, the bound and
// the evictions).
type Holdings struct {
	Payments, Refunds, Closes int
}

// Holdings reads what the ledger holds.
func (s *Simulator) Holdings() Holdings {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.ledger
	return Holdings{Payments: len(l.payments), Refunds: len(l.refunds), Closes: len(l.closes)}
}

// NotificationCount is how many notifications of one provider are in one state.
type NotificationCount struct {
	Provider string
	State    string
	Count    int
}

// NotificationStates counts the notifications held by provider and state, in a stable
// order, and how many pending ones were dropped to keep the outbox within its bound.
func (s *Simulator) NotificationStates() (counts []NotificationCount, dropped int64) {
	o := s.outbox
	type key struct{ provider, state string }
	n := map[key]int{}
	o.mu.Lock()
	for _, e := range o.list {
		n[key{e.n.Provider, e.n.State}]++
	}
	dropped = o.dropped
	o.mu.Unlock()
	counts = make([]NotificationCount, 0, len(n))
	for k, c := range n {
		counts = append(counts, NotificationCount{Provider: k.provider, State: k.state, Count: c})
	}
	slices.SortFunc(counts, func(a, b NotificationCount) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.State, b.State))
	})
	return counts, dropped
}
