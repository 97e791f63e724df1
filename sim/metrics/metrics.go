// Package metrics is paysim's Prometheus metrics: what the pipeline observes of every
// request (a count and a latency by provider, operation and outcome), and what the core,
// the journal and the providers hold, read when scraped. Each Metrics has a registry of
// its own, so that many paysims in one process (a test binary) never share a series.
package metrics

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/paysim/paysim/sim/gateway"
)

// DurationBuckets are the latency histogram's bounds, in seconds. paysim answers in
// 0.1 to 2 ms (an RSA signature is about 1 ms), a slow receiver or a delay fault takes
// seconds, and a timeout fault holds up to its bound (2m by default).
var DurationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5, 30, 120}

// UnknownOperation is the operation label of a request that was not decoded, so whose
// operation nobody knows.
const UnknownOperation = "unknown"

// Metrics is one paysim's metrics. It is a gateway.Observer, and serves its registry.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	// cells caches the series of every provider, operation and outcome, made on first
	// use (a series that never happened is not exported), so that observing a request is
	// a map lookup and three atomic adds.
	providers map[string]int
	ops       map[string]int
	cells     []atomic.Pointer[cell]
}

type cell struct {
	count prometheus.Counter
	took  prometheus.Observer
}

var (
	opNames       = append(append([]string(nil), gateway.Operations...), UnknownOperation)
	numOps        = len(opNames)
	outcomeCount  = len(gateway.Outcomes())
	requestLabels = []string{"provider", "operation", "outcome"}
)

// New makes the metrics of a paysim serving providers (their names), with the Go
// runtime's and the process's own.
func New(providers []string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "paysim_requests_total",
			Help: "Provider requests answered, by provider, neutral operation and outcome (served, bad_signature, invalid, declined, error, fault).",
		}, requestLabels),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "paysim_request_duration_seconds",
			Help:    "Real time from a provider request's arrival to its journal entry, a fault's hold included.",
			Buckets: DurationBuckets,
		}, requestLabels),
		providers: make(map[string]int, len(providers)),
		ops:       make(map[string]int, numOps),
	}
	for i, p := range providers {
		m.providers[p] = i
	}
	for i, op := range opNames {
		m.ops[op] = i
	}
	m.cells = make([]atomic.Pointer[cell], len(providers)*numOps*outcomeCount)
	m.reg.MustRegister(m.requests, m.durations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe counts one request; it is safe for concurrent use.
func (m *Metrics) Observe(o gateway.Observation) {
	op, ok := m.ops[o.Operation]
	if !ok {
		op = m.ops[UnknownOperation]
	}
	p, ok := m.providers[o.Provider]
	if !ok || int(o.Outcome) >= outcomeCount {
		// Not a provider New was told of: bounded all the same (provider names are code),
		// only slower.
		m.series(o.Provider, opNames[op], o.Outcome).observe(o)
		return
	}
	slot := &m.cells[(p*numOps+op)*outcomeCount+int(o.Outcome)]
	c := slot.Load()
	if c == nil {
		c = m.series(o.Provider, opNames[op], o.Outcome)
		slot.Store(c) // a racing first request stores the same series
	}
	c.observe(o)
}

func (m *Metrics) series(provider, op string, outcome gateway.Outcome) *cell {
	return &cell{count: m.requests.WithLabelValues(provider, op, outcome.String()),
		took: m.durations.WithLabelValues(provider, op, outcome.String())}
}

func (c *cell) observe(o gateway.Observation) {
	c.count.Inc()
	c.took.Observe(o.Took.Seconds())
}

// Registry is where every paysim metric is registered: gather it, or register more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format, compressed when the scraper
// asks.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
