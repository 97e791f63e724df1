package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/rsakey"
)

// Signer is a provider that counts its signatures (rsakey.Signer and Verifier reuse).
type Signer interface {
	Signatures() rsakey.Counts
}

// NotifyStates are the notification states, each exported for every provider even when
// none is in it, so that a gauge drops to 0 instead of going stale.
var NotifyStates = []string{sim.NotifyPending, sim.NotifyInFlight, sim.NotifyAcked, sim.NotifyFailed, sim.NotifyRefused, sim.NotifyAbandoned}

// Watch exports, read when scraped, what the core and the journal behind gw hold and the
// signature counts of the providers that keep them.
func (m *Metrics) Watch(gw *gateway.Gateway, providers []gateway.Provider) {
	s := &state{core: gw.Core(), journal: gw.Journal()}
	for _, p := range providers {
		if sg, ok := p.(Signer); ok {
			s.signers = append(s.signers, named{p.Name(), sg})
		}
		s.providers = append(s.providers, p.Name())
	}
	m.reg.MustRegister(s)
}

type named struct {
	name string
	Signer
}

// state is a collector of what paysim holds: nothing is counted twice, every value is
// the one its owner keeps, read under its owner's lock.
type state struct {
	core      *sim.Simulator
	journal   *journal.Journal
	signers   []named
	providers []string
}

var (
	descEntities = prometheus.NewDesc("paysim_entities",
		"Entities held now, by kind (payment, refund, close).", []string{"kind"}, nil)
	descEntitiesMax = prometheus.NewDesc("paysim_entities_max",
		"The most payments, refunds and closes held together (--max-entities).", nil, nil)
	descEvictions = prometheus.NewDesc("paysim_evictions_total",
		"Finished payments forgotten, with their refunds and closes, to stay within --max-entities.", nil, nil)
	descNotifications = prometheus.NewDesc("paysim_notifications",
		"Notifications held now, by provider and state (pending, in_flight, acked, failed, refused, abandoned).", []string{"provider", "state"}, nil)
	descNotificationsDropped = prometheus.NewDesc("paysim_notifications_dropped_total",
		"Pending notifications dropped because the outbox was full of them.", nil, nil)
	descJournal = prometheus.NewDesc("paysim_journal_entries",
		"Requests held in the request journal.", nil, nil)
	descJournalMax = prometheus.NewDesc("paysim_journal_entries_max",
		"The most requests the journal holds (--journal-size).", nil, nil)
	descJournalDropped = prometheus.NewDesc("paysim_journal_dropped_total",
		"Journal entries dropped, oldest first, to stay within --journal-size.", nil, nil)
	descScenarios = prometheus.NewDesc("paysim_scenarios_chosen_total",
		"Scenarios chosen for new payments, refunds and closes (a rejecting one included), by provider, operation and scenario.", []string{"provider", "operation", "scenario"}, nil)
	descSignatures = prometheus.NewDesc("paysim_signatures_total",
		`Signatures by a provider's platform key, of answers and notifications: cache="miss" is one RSA signature made, cache="hit" one reused.`, []string{"provider", "cache"}, nil)
	descVerifications = prometheus.NewDesc("paysim_verifications_total",
		`Request signatures checked against a caller's public key: cache="miss" is one RSA verification made, cache="hit" a request that verified before.`, []string{"provider", "cache"}, nil)
)

func (s *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEntities, descEntitiesMax, descEvictions, descNotifications, descNotificationsDropped,
		descJournal, descJournalMax, descJournalDropped, descScenarios, descSignatures, descVerifications} {
		ch <- d
	}
}

func (s *state) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}

	h := s.core.Holdings()
	gauge(descEntities, float64(h.Payments), string(sim.OpPayment))
	gauge(descEntities, float64(h.Refunds), string(sim.OpRefund))
	gauge(descEntities, float64(h.Closes), string(sim.OpClose))
	_, bound, evicted := s.core.Bounds()
	gauge(descEntitiesMax, float64(bound))
	counter(descEvictions, float64(evicted))

	counts, dropped := s.core.NotificationStates()
	held := map[[2]string]int{}
	for _, c := range counts {
		held[[2]string{c.Provider, c.State}] = c.Count
	}
	for _, p := range s.providers {
		for _, st := range NotifyStates {
			gauge(descNotifications, float64(held[[2]string{p, st}]), p, st)
			delete(held, [2]string{p, st})
		}
	}
	for k, n := range held { // a provider or a state not listed: still counted
		gauge(descNotifications, float64(n), k[0], k[1])
	}
	counter(descNotificationsDropped, float64(dropped))

	entries, size, jdropped := s.journal.Stats()
	gauge(descJournal, float64(entries))
	gauge(descJournalMax, float64(size))
	counter(descJournalDropped, float64(jdropped))

	for _, c := range s.core.ScenarioChoices() {
		counter(descScenarios, float64(c.Count), c.Provider, string(c.Operation), c.Scenario)
	}

	for _, sg := range s.signers {
		c := sg.Signatures()
		counter(descSignatures, float64(c.SignReused), sg.name, "hit")
		counter(descSignatures, float64(c.SignMade), sg.name, "miss")
		counter(descVerifications, float64(c.VerifyReused), sg.name, "hit")
		counter(descVerifications, float64(c.VerifyMade), sg.name, "miss")
	}
}
