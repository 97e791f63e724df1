package journal

import (
	"runtime"
	"strings"
	"testing"
)

// typical is an entry the size of a real one: a ~1 KB signed request and answer.
func typical() Entry {
	e := entry("huifu", "6666000100000002", "/v3/trade/payment/scanpay/refund", Served, "refund-000001", "pay202611220001")
	e.Request = strings.Repeat("r", 1000)
	e.Answer = strings.Repeat("a", 1100)
	e.RequestHeader = map[string]string{"Content-Type": "application/json"}
	e.Verify, e.Scenario, e.ScenarioWhy = "ok", "refund-processing-then-success", "default for refund"
	return e
}

// BenchmarkAdd is the journal's cost per request once the ring is full (every Add then
// also drops the oldest).
func BenchmarkAdd(b *testing.B) {
	j := New(DefaultSize)
	e := typical()
	for range DefaultSize {
		j.Add(e)
	}
	b.ReportAllocs()
	for b.Loop() {
		j.Add(e)
	}
}

// BenchmarkFullJournalMemory reports the heap a full journal of typical entries holds,
// per entry and for the default size. The bodies are fresh strings, as in a real run.
func BenchmarkFullJournalMemory(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		j := New(DefaultSize)
		for i := range DefaultSize {
			e := typical()
			e.Request = strings.Repeat("r", 1000+i%2) // a new string each time
			e.Answer = strings.Repeat("a", 1100+i%2)
			j.Add(e)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(j)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/DefaultSize, "B/entry")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB/full")
	}
}
