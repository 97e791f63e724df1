package sim_test

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/outbound"
)

func boundedSim(t *testing.T, max int, files ...string) (*sim.Simulator, *sim.VirtualClock) {
	t.Helper()
	clock := sim.NewVirtualClock(t0)
	return sim.New(sim.WithClock(clock), sim.WithScenarios(loadSet(t, files...), nil), sim.WithSender(outbound.New()),
		sim.WithMaxEntities(max), sim.WithHints(sim.Hints{MaxEntities: "start paysim with a larger --max-entities"})), clock
}

// A full simulator forgets its oldest finished payments, with their refunds, and says so
// when one is asked for again.
func TestEvictsOldestFinished(t *testing.T) {
	s, _ := boundedSim(t, 5)
	for i := range 3 {
		seed(t, s, "huifu", fmt.Sprintf("P%d", i), 100)
	}
	_, err := s.CreateRefund(refundReq("huifu", "P0", "R0", 10)) // P0 + R0: 4 entities
	require.NoError(t, err)
	seed(t, s, "huifu", "P3", 100) // 5: full
	seed(t, s, "huifu", "P4", 100) // the oldest finished, P0 and its refund, make room
	held, bound, evicted := s.Bounds()
	assert.Equal(t, 4, held)
	assert.Equal(t, 5, bound)
	assert.Equal(t, int64(1), evicted)

	_, err = s.QueryPayment("huifu", merchant, sim.ByID("P0"), true)
	e := requireKind(t, err, sim.ErrNotFound)
	assert.Contains(t, e.Detail, "was evicted")
	assert.Contains(t, e.Detail, "at most 5")
	assert.Contains(t, e.Detail, "--max-entities", "the hint of the embedding program")
	_, err = s.QueryRefund("huifu", merchant, sim.ByID("R0"))
	assert.Contains(t, requireKind(t, err, sim.ErrNotFound).Detail, "was evicted", "its refund went with it")
	assert.Empty(t, s.Inspect("huifu", "", "R0"), "no index still points at it")
	assert.Len(t, s.Inspect("huifu", "", "P1"), 1)
}

// With nothing finished to forget, a creation is refused as a system error, never an
// unbounded ledger; what is held is untouched.
func TestRefusesWhenNothingCanBeEvicted(t *testing.T) {
	slow := sc("pay-slow", sim.OpPayment, "default: true",
		"states: [{name: w, status: processing, until: {elapsed: 1h}, next: paid}, {name: paid, status: success}]")
	s, clock := boundedSim(t, 2, slow)
	for i := range 2 {
		_, err := s.CreatePayment(payReq("huifu", fmt.Sprintf("P%d", i), 100))
		require.NoError(t, err)
	}
	_, err := s.CreatePayment(payReq("huifu", "P2", 100))
	e := requireKind(t, err, sim.ErrSystem)
	assert.Contains(t, e.Detail, "none of the oldest")
	assert.Len(t, s.Inspect("", "", ""), 2)

	advance(t, clock, time.Hour) // both paid: now they may go
	_, err = s.CreatePayment(payReq("huifu", "P2", 100))
	require.NoError(t, err)
}

// Sustained creation with a small bound keeps the live heap flat: what is forgotten is
// really freed (the soak test; the full figures are in BENCHMARKS.md).
func TestSoakHeapStaysFlat(t *testing.T) {
	const bound = 2000
	s, _ := boundedSim(t, bound)
	create := func(from, n int) {
		for i := from; i < from+n; i++ {
			_, err := s.CreatePayment(payReq("huifu", fmt.Sprintf("soak-%07d", i), 100))
			require.NoError(t, err)
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	create(0, 3*bound)
	after1 := heap()
	create(3*bound, 10*bound)
	after2 := heap()
	held, _, evicted := s.Bounds()
	assert.Equal(t, bound, held)
	assert.Equal(t, int64(12*bound), evicted)
	// 10x more payments created, the same number held: the heap must not have grown with
	// them. Generous slack for the evicted-id memory, which is bounded too.
	assert.Less(t, after2, after1*3, "heap grew from %d to %d bytes while holding the same %d payments", after1, after2, bound)
}

func TestListPages(t *testing.T) {
	s, _ := newSim(t)
	for i := range 5 {
		seed(t, s, "huifu", fmt.Sprintf("P%d", i), 100)
	}
	seed(t, s, "umpay", "U0", 100)
	page, next := s.List("huifu", "", 0, 2)
	require.Len(t, page, 2)
	assert.Equal(t, []string{"P4", "P3"}, []string{page[0].ID, page[1].ID}, "newest first")
	page, next = s.List("huifu", "", next, 2)
	assert.Equal(t, []string{"P2", "P1"}, []string{page[0].ID, page[1].ID})
	page, next = s.List("huifu", "", next, 2)
	assert.Equal(t, []string{"P0"}, []string{page[0].ID})
	assert.Zero(t, next, "the last page")
	all, _ := s.List("", "", 0, 100)
	assert.Len(t, all, 6)
}

// BenchmarkMemoryPerPayment reports the live heap a payment costs, with the wire fields
// and aliases a provider keeps, and with one refund: what --max-entities is sized by.
func BenchmarkMemoryPerPayment(b *testing.B) {
	const n = 20000
	for b.Loop() {
		s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithMaxEntities(3*n))
		heap := func() uint64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		before := heap()
		for i := range n {
			req := payReq("huifu", fmt.Sprintf("pay2026120100%06d", i), 100)
			req.ProviderID = fmt.Sprintf("0029000TOPA2612011000P%06d", i)
			req.Aliases = map[string]string{"hf_seq_id": req.ProviderID, "party_order_id": fmt.Sprintf("26120133929815%06d", i),
				"req": "20261201/" + req.ID}
			req.Fields = map[string]string{"req_date": "20261201", "trade_type": "A_NATIVE", "goods_desc": "测试商品",
				"notify_url": "http://127.0.0.1:9000/notify", "party_order_id": req.Aliases["party_order_id"]}
			if _, err := s.CreatePayment(req); err != nil {
				b.Fatal(err)
			}
		}
		mid := heap()
		for i := range n {
			r := refundReq("huifu", fmt.Sprintf("pay2026120100%06d", i), fmt.Sprintf("ref2026120100%06d", i), 10)
			r.ProviderID = fmt.Sprintf("0029000TOPA2612011000R%06d", i)
			if _, err := s.CreateRefund(r); err != nil {
				b.Fatal(err)
			}
		}
		after := heap()
		runtime.KeepAlive(s)
		b.ReportMetric(float64(mid-before)/n, "B/payment")
		b.ReportMetric(float64(after-mid)/n, "B/refund")
	}
}

// rssMiB reads the process's resident memory (Linux), 0 elsewhere.
func rssMiB() float64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, resident int64
	if _, err := fmt.Sscan(string(data), &size, &resident); err != nil {
		return 0
	}
	return float64(resident*int64(os.Getpagesize())) / (1 << 20)
}

// BenchmarkResetReturnsMemory reports the resident memory with 100,000 payments held and
// after a full reset: the freed heap goes back to the operating system.
func BenchmarkResetReturnsMemory(b *testing.B) {
	for b.Loop() {
		s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)))
		for i := range 100000 {
			req := payReq("huifu", fmt.Sprintf("pay%09d", i), 100)
			req.Fields = map[string]string{"req_date": "20261201", "goods_desc": "测试商品"}
			if _, err := s.CreatePayment(req); err != nil {
				b.Fatal(err)
			}
		}
		full := rssMiB()
		s.Reset("")
		b.ReportMetric(full, "MiB-RSS-full")
		b.ReportMetric(rssMiB(), "MiB-RSS-after-reset")
	}
}

// The payer side: QA plays the payer of an order that waits for them.
func TestActAsPayer(t *testing.T) {
	waits := sc("waits", sim.OpPayment, "default: true", "states: [{name: awaiting, status: processing}]")
	for _, tt := range []struct {
		act  sim.PayerAction
		want sim.Status
	}{{sim.PayerPays, sim.StatusSuccess}, {sim.PayerFails, sim.StatusFailed}} {
		t.Run(string(tt.act), func(t *testing.T) {
			s, _ := newSim(t, waits)
			req := payReq("huifu", "P", 100)
			req.ProviderID = "HF-P"
			_, err := s.CreatePayment(req)
			require.NoError(t, err)
			for range 3 {
				v, err := s.QueryPayment("huifu", merchant, sim.ByID("P"), true)
				require.NoError(t, err)
				require.Equal(t, sim.StatusProcessing, v.Status, "it waits, however often it is queried")
			}
			v, err := s.ActAsPayer("huifu", merchant, "HF-P", tt.act)
			require.NoError(t, err, "the provider's id finds it too")
			assert.Equal(t, tt.want, v.Status)
			rep := inspectOne(t, s, "huifu", "P")
			assert.Contains(t, rep.History[len(rep.History)-1].Cause, "by the payer")
			_, err = s.ActAsPayer("huifu", merchant, "P", sim.PayerPays)
			assert.Contains(t, requireKind(t, err, sim.ErrInvalidState).Detail, "has nothing left to do")
		})
	}
	s, _ := newSim(t)
	_, err := s.ActAsPayer("huifu", merchant, "nothing", sim.PayerPays)
	requireKind(t, err, sim.ErrNotFound)
}

// Seeding refuses a provider id another order holds: queries would find the wrong one.
func TestSeedRefusesATakenProviderID(t *testing.T) {
	s, _ := newSim(t)
	req := payReq("shouqianba", "A", 100)
	req.Aliases = map[string]string{"sn": "7892260101000001"}
	_, err := s.SeedPayment(req)
	require.NoError(t, err)
	again := payReq("shouqianba", "B", 100)
	again.Aliases = map[string]string{"sn": "7892260101000001"}
	_, err = s.SeedPayment(again)
	assert.Contains(t, requireKind(t, err, sim.ErrDuplicateRequest).Detail, "sn 7892260101000001 is already held by payment A")
}
