package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/rsakey"
)

// scrape gathers m the way a scraper does: over HTTP, in the text format, parsed.
func scrape(t *testing.T, m *Metrics) Samples {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain; version=0.0.4", "the Prometheus text format")
	s, err := ParseText(resp.Body)
	require.NoError(t, err)
	return s
}

func obs(provider, op string, out gateway.Outcome) gateway.Observation {
	return gateway.Observation{Provider: provider, Operation: op, Outcome: out, Took: time.Millisecond}
}

func TestRequestsByProviderOperationOutcome(t *testing.T) {
	m := New([]string{"huifu", "umpay"})
	for _, o := range []gateway.Observation{
		obs("huifu", "payment", gateway.OutcomeServed),
		obs("huifu", "payment", gateway.OutcomeServed),
		obs("huifu", "refund", gateway.OutcomeDeclined),
		obs("huifu", "", gateway.OutcomeInvalid), // not decoded
		obs("umpay", "query", gateway.OutcomeBadSignature),
		obs("umpay", "no-such-op", gateway.OutcomeFaulted),
		obs("other", "payment", gateway.OutcomeError), // a provider New was not told of
	} {
		m.Observe(o)
	}
	s := scrape(t, m)
	for _, tt := range []struct {
		provider, op, outcome string
		want                  float64
	}{
		{"huifu", "payment", "served", 2},
		{"huifu", "refund", "declined", 1},
		{"huifu", UnknownOperation, "invalid", 1},
		{"umpay", "query", "bad_signature", 1},
		{"umpay", UnknownOperation, "fault", 1},
		{"other", "payment", "error", 1},
	} {
		labels := []string{"provider", tt.provider, "operation", tt.op, "outcome", tt.outcome}
		assert.Equal(t, tt.want, s.Sum("paysim_requests_total", labels...), "%v", labels)
		assert.Equal(t, tt.want, s.Sum("paysim_request_duration_seconds_count", labels...), "%v", labels)
		assert.InDelta(t, tt.want*0.001, s.Sum("paysim_request_duration_seconds_sum", labels...), 1e-9, "%v", labels)
	}
	assert.Equal(t, 6, s.Count("paysim_requests_total"), "a series only for what happened: no zeros for the rest")
	assert.Equal(t, 7.0, s.Sum("paysim_requests_total"))
	assert.Positive(t, s.Sum("go_goroutines"), "the Go runtime's metrics")
	assert.Positive(t, s.Count("process_start_time_seconds"), "the process's metrics")
}

// Each paysim's metrics are its own: two in one process share no series.
func TestRegistriesApart(t *testing.T) {
	a, b := New([]string{"huifu"}), New([]string{"huifu"})
	a.Observe(obs("huifu", "payment", gateway.OutcomeServed))
	assert.Equal(t, 1.0, scrape(t, a).Sum("paysim_requests_total"))
	assert.Equal(t, 0.0, scrape(t, b).Sum("paysim_requests_total"))
}

func TestConcurrentObservations(t *testing.T) {
	m := New([]string{"huifu", "umpay"})
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := []string{"huifu", "umpay"}[w%2]
			for i := range each {
				m.Observe(obs(p, gateway.Operations[i%len(gateway.Operations)], gateway.Outcome(i%len(gateway.Outcomes()))))
			}
		}()
	}
	wg.Wait()
	s := scrape(t, m)
	assert.Equal(t, float64(workers*each), s.Sum("paysim_requests_total"))
	assert.Equal(t, float64(workers*each/2), s.Sum("paysim_requests_total", "provider", "umpay"))
	assert.Equal(t, float64(workers*each), s.Sum("paysim_request_duration_seconds_count"))
}

// signing is a provider that keeps signature counts; plain is one that keeps none.
type signing struct {
	plain
	counts rsakey.Counts
}

func (p signing) Signatures() rsakey.Counts { return p.counts }

type plain struct{ name string }

func (p plain) Name() string                        { return p.name }
func (plain) Mount(*gateway.Gateway) gateway.Mounts { return gateway.Mounts{} }
func (plain) PrepareSeed(*sim.PaymentRequest) error { return nil }

// refusing is a sender that refuses every target: the notifications end refused.
type refusing struct{}

func (refusing) Check(url string) error { return errors.New("not loopback") }
func (refusing) Send(context.Context, sim.Delivery) (int, []byte, error) {
	return 0, nil, errors.New("never sent")
}

func scenarioSet(t *testing.T) *sim.ScenarioSet {
	t.Helper()
	set, err := sim.LoadScenarios(fstest.MapFS{
		"slow.yaml": {Data: []byte("version: 1\nname: slow\noperation: payment\nwhen: {amount: \"2.00\"}\nstates: [{name: a, status: processing}]\n")},
		"no.yaml":   {Data: []byte("version: 1\nname: no\noperation: refund\ndefault: true\nreject: {error: invalid_state}\n")},
	}, ".", []string{"huifu", "umpay"})
	require.NoError(t, err)
	return set
}

// What paysim holds is read when scraped, from its owners: entities by kind and their
// bound, evictions, notifications by provider and state, the journal, the scenarios
// chosen, and each provider's signature counts.
func TestStateAtScrapeTime(t *testing.T) {
	clock := sim.NewVirtualClock(sim.DefaultVirtualStart)
	core := sim.New(sim.WithClock(clock), sim.WithScenarios(scenarioSet(t), nil), sim.WithMaxEntities(3), sim.WithSender(refusing{}))
	t.Cleanup(func() { core.Close(context.Background()) })
	gw := gateway.New(core, gateway.VerifyStrict, gateway.WithJournalSize(2))
	m := New([]string{"huifu", "umpay"})
	m.Watch(gw, []gateway.Provider{
		signing{plain{"huifu"}, rsakey.Counts{SignReused: 5, SignMade: 2, VerifyReused: 1, VerifyMade: 3}},
		plain{"umpay"},
	})

	pay := func(id, amount string) {
		t.Helper()
		a, err := sim.ParseYuan(amount)
		require.NoError(t, err)
		_, err = core.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "M", ID: id}, Amount: a})
		require.NoError(t, err)
	}
	pay("p1", "1.00") // no scenario matches: it succeeds at once
	pay("p2", "2.00") // slow: it stays processing
	_, err := core.CreateRefund(sim.RefundRequest{Key: sim.Key{Provider: "huifu", Merchant: "M", ID: "r1"},
		Payment: sim.ByID("p1"), Amount: 10})
	require.Error(t, err, "the no scenario rejects every refund")
	pay("p3", "1.00")
	pay("p4", "1.00") // the bound is 3: the oldest finished payment, p1, is evicted
	core.Notify(sim.Delivery{Provider: "umpay", Operation: sim.OpPayment, Entity: sim.Key{Provider: "umpay", Merchant: "M", ID: "n1"},
		URL: "http://192.0.2.1/notify", Policy: sim.DeliveryPolicy{Timeout: time.Second}})
	for range 3 {
		gw.Journal().Add(journal.Entry{Provider: "huifu", Outcome: journal.Served})
	}

	s := scrape(t, m)
	for _, tt := range []struct {
		series string
		labels []string
		want   float64
	}{
		{"paysim_entities", []string{"kind", "payment"}, 3},
		{"paysim_entities", []string{"kind", "refund"}, 0},
		{"paysim_entities", []string{"kind", "close"}, 0},
		{"paysim_entities_max", nil, 3},
		{"paysim_evictions_total", nil, 1},
		{"paysim_notifications", []string{"provider", "umpay", "state", sim.NotifyRefused}, 1},
		{"paysim_notifications", []string{"provider", "umpay", "state", sim.NotifyPending}, 0},
		{"paysim_notifications", []string{"provider", "huifu", "state", sim.NotifyAcked}, 0},
		{"paysim_notifications_dropped_total", nil, 0},
		{"paysim_journal_entries", nil, 2},
		{"paysim_journal_entries_max", nil, 2},
		{"paysim_journal_dropped_total", nil, 1},
		{"paysim_scenarios_chosen_total", []string{"provider", "huifu", "operation", "payment", "scenario", "builtin:immediate-success"}, 3},
		{"paysim_scenarios_chosen_total", []string{"provider", "huifu", "operation", "payment", "scenario", "slow"}, 1},
		{"paysim_scenarios_chosen_total", []string{"provider", "huifu", "operation", "refund", "scenario", "no"}, 1},
		{"paysim_signatures_total", []string{"provider", "huifu", "cache", "hit"}, 5},
		{"paysim_signatures_total", []string{"provider", "huifu", "cache", "miss"}, 2},
		{"paysim_verifications_total", []string{"provider", "huifu", "cache", "hit"}, 1},
		{"paysim_verifications_total", []string{"provider", "huifu", "cache", "miss"}, 3},
	} {
		assert.Equal(t, 1, s.Count(tt.series, tt.labels...), "%s%v is exported once", tt.series, tt.labels)
		assert.Equal(t, tt.want, s.Sum(tt.series, tt.labels...), "%s%v", tt.series, tt.labels)
	}
	assert.Equal(t, 2*len(NotifyStates), s.Count("paysim_notifications"), "every state of every provider, zeros included")
	assert.Equal(t, 0, s.Count("paysim_signatures_total", "provider", "umpay"), "a provider that keeps no counts has none")

	core.Reset("")
	s = scrape(t, m)
	assert.Equal(t, 0.0, s.Sum("paysim_entities"), "a reset empties what is held")
	assert.Equal(t, 5.0, s.Sum("paysim_scenarios_chosen_total"), "counters only grow: a reset keeps them")
	assert.Equal(t, 1.0, s.Sum("paysim_evictions_total"))
}

func BenchmarkObserve(b *testing.B) {
	m := New([]string{"huifu", "huishouqian", "shouqianba", "umpay"})
	o := obs("umpay", "refund_query", gateway.OutcomeServed)
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(o)
	}
}

func BenchmarkObserveParallel(b *testing.B) {
	m := New([]string{"huifu", "huishouqian", "shouqianba", "umpay"})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Observe(obs("huifu", gateway.Operations[i%len(gateway.Operations)], gateway.OutcomeServed))
			i++
		}
	})
}

// BenchmarkScrape gathers everything, the Go runtime's and the process's metrics
// included, from a paysim holding 10,000 payments and every series of requests.
func BenchmarkScrape(b *testing.B) {
	core := sim.New(sim.WithMaxEntities(20000))
	b.Cleanup(func() { core.Close(context.Background()) })
	for i := range 10000 {
		_, err := core.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "M", ID: fmt.Sprint(i)}, Amount: 100})
		require.NoError(b, err)
	}
	names := []string{"huifu", "huishouqian", "shouqianba", "umpay"}
	m := New(names)
	m.Watch(gateway.New(core, gateway.VerifyStrict), nil)
	for _, p := range names {
		for _, op := range gateway.Operations {
			for _, o := range gateway.Outcomes() {
				m.Observe(obs(p, op, o))
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Registry().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
