package journal

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func entry(provider, merchant, path, outcome string, ids ...string) Entry {
	return Entry{Provider: provider, Merchant: merchant, Path: path, Outcome: outcome, IDs: ids, Method: "POST"}
}

func TestFilters(t *testing.T) {
	j := New(10)
	j.Add(entry("huifu", "M1", "/v3/trade/payment/scanpay/refund", Served, "R1", "P1"))
	j.Add(entry("huifu", "M2", "/v3/trade/payment/scanpay/query", Refused, "P2"))
	j.Add(entry("umpay", "M1", "/pay/refund", Faulted, "R1"))
	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"all, newest first", Filter{}, []int64{3, 2, 1}},
		{"provider", Filter{Provider: "huifu"}, []int64{2, 1}},
		{"merchant", Filter{Merchant: "M1"}, []int64{3, 1}},
		{"order matches any id", Filter{Order: "P1"}, []int64{1}},
		{"order across providers", Filter{Order: "R1"}, []int64{3, 1}},
		{"path prefix", Filter{Path: "/v3/trade/payment/scanpay/"}, []int64{2, 1}},
		{"path star", Filter{Path: "/v3/trade/payment/scanpay/re*"}, []int64{1}},
		{"path exact", Filter{Path: "/v3/trade/payment/scanpay/refund"}, []int64{1}},
		{"path exact is not a prefix", Filter{Path: "/v3/trade/payment/scanpay/ref"}, nil},
		{"outcome", Filter{Outcome: Faulted}, []int64{3}},
		{"after", Filter{After: 1}, []int64{3, 2}},
		{"nothing", Filter{Provider: "shouqianba"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, e := range j.Find(tt.f, 0) {
				got = append(got, e.Seq)
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, len(tt.want), j.Count(tt.f))
		})
	}
	assert.Len(t, j.Find(Filter{}, 2), 2, "limit")
}

// Under concurrent load the ring never holds more than its size, drops the oldest, and
// counts what it dropped.
func TestBoundUnderLoad(t *testing.T) {
	const size, writers, each = 100, 8, 500
	j := New(size)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				j.Add(entry("huifu", "M", "/p", Served, fmt.Sprintf("w%d-%d", w, i)))
				if i%50 == 0 {
					_ = j.Find(Filter{Order: "w0-1"}, 10)
				}
			}
		}()
	}
	wg.Wait()
	held, bound, dropped := j.Stats()
	assert.Equal(t, size, held)
	assert.Equal(t, size, bound)
	assert.Equal(t, int64(writers*each-size), dropped)
	all := j.Find(Filter{}, 0)
	require.Len(t, all, size)
	assert.Equal(t, int64(writers*each), all[0].Seq, "the newest is kept")
	assert.Equal(t, int64(writers*each-size+1), all[size-1].Seq, "the oldest kept is the one after the last dropped")
}

func TestWait(t *testing.T) {
	j := New(10)
	j.Add(entry("huifu", "M", "/p", Served, "old"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, ok, _ := j.Wait(ctx, Filter{Order: "old"})
	require.True(t, ok, "an entry already there answers at once")
	assert.Equal(t, int64(1), e.Seq)

	go func() {
		time.Sleep(20 * time.Millisecond)
		j.Add(entry("huifu", "M", "/p", Served, "other"))
		j.Add(entry("huifu", "M", "/p", Refused, "new"))
	}()
	e, ok, _ = j.Wait(ctx, Filter{Order: "new"})
	require.True(t, ok)
	assert.Equal(t, Refused, e.Outcome)

	short, cancelShort := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelShort()
	_, ok, seen := j.Wait(short, Filter{Provider: "huifu", Order: "never"})
	assert.False(t, ok)
	assert.Len(t, seen, 3, "it says what it saw of that provider instead")
}

func TestBodiesClipped(t *testing.T) {
	j := New(2)
	e := entry("huifu", "M", "/p", Served)
	e.Request = strings.Repeat("汇", MaxBody) // 3 bytes a rune: the cut must fall on a boundary
	e.Answer = "short"
	j.Add(e)
	got := j.Find(Filter{}, 1)[0]
	assert.LessOrEqual(t, len(got.Request), MaxBody+len("…(clipped)"))
	assert.True(t, strings.HasSuffix(got.Request, "…(clipped)"))
	assert.True(t, strings.HasPrefix(got.Request, "汇汇"))
	assert.NotContains(t, strings.TrimSuffix(got.Request, "…(clipped)"), "\ufffd")
	assert.Equal(t, "short", got.Answer)
}

func TestReset(t *testing.T) {
	j := New(3)
	j.Add(entry("huifu", "M", "/p", Served))
	j.Add(entry("huifu", "M", "/p", Served))
	j.Reset()
	held, _, _ := j.Stats()
	assert.Zero(t, held)
	assert.Equal(t, int64(3), j.Add(entry("huifu", "M", "/p", Served)), "sequence numbers go on")
	assert.Len(t, j.Find(Filter{}, 0), 1)
}
