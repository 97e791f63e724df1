// Package journal keeps the requests paysim answered, newest last, in a bounded ring:
// what the app sent, what it got, how it was verified, which scenario and which fault
// applied. It answers the first question of a failing test, "what did my app actually
// send, and what did it get?", and lets CI count requests.
package journal

import (
	"context"
	"strings"
	"sync"
	"time"
)

// DefaultSize is the number of entries kept unless told otherwise.
const DefaultSize = 10000

// MaxBody bounds each body kept: the journal's memory is size × a few kilobytes at most.
const MaxBody = 8 << 10

// Outcomes of a request.
const (
	Served       = "served"        // answered with a business answer
	Refused      = "refused"       // refused with a diagnostic (parameters, state, not found)
	BadSignature = "bad_signature" // refused: unknown caller or a signature that does not verify
	Faulted      = "fault"         // a network fault was applied
)

// Outcomes lists the outcome names, for validating filters.
var Outcomes = []string{Served, Refused, BadSignature, Faulted}

// Entry is one request with its answer.
type Entry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"` // on paysim's clock
	Provider string    `json:"provider,omitempty"`
	Method   string    `json:"method"`
	Path     string    `json:"path"`
	// ProxyHost is the provider host the request was addressed to when it came through
	// proxy mode (CONNECT or an absolute URL); empty for a request made to paysim itself.
	ProxyHost string `json:"proxy_host,omitempty"`
	// Operation is the neutral operation asked for: payment, query, refund, refund_query,
	// close, close_query, reversal, terminal.
	Operation string `json:"operation,omitempty"`
	Merchant  string `json:"merchant,omitempty"`
	// IDs are the ids the request names (its own, the original order's) and the entity's.
	IDs []string `json:"ids,omitempty"`
	// Verify is ok, failed, unknown caller, or not checked; empty when the request never
	// got that far.
	Verify     string `json:"verify,omitempty"`
	Outcome    string `json:"outcome"`
	Diagnostic string `json:"diagnostic,omitempty"`
	// Nearest names what paysim holds that is closest to an id that matched nothing.
	Nearest     string `json:"nearest,omitempty"`
	Scenario    string `json:"scenario,omitempty"`
	ScenarioWhy string `json:"scenario_why,omitempty"`
	Fault       string `json:"fault,omitempty"`
	FaultFrom   string `json:"fault_from,omitempty"`
	// Status is the HTTP status sent; 0 when no HTTP answer was (reset, empty, held).
	Status        int               `json:"status"`
	RequestHeader map[string]string `json:"request_header,omitempty"`
	Request       string            `json:"request"`
	Answer        string            `json:"answer"`
	// Took is the real time the answer took, faults included.
	Took time.Duration `json:"took_ns"`
}

// Filter selects entries; empty fields match everything.
type Filter struct {
	Provider string
	Merchant string
	// Order matches any id of the entry.
	Order string
	// Path matches the path exactly, or every path below it when it ends in "/" or "*"
	// ("/v3/trade/payment/scanpay/*").
	Path    string
	Outcome string
	// After keeps entries newer than this sequence number.
	After int64
}

func (f Filter) matches(e *Entry) bool {
	if (f.Provider != "" && e.Provider != f.Provider) || (f.Merchant != "" && e.Merchant != f.Merchant) ||
		(f.Path != "" && !pathMatches(f.Path, e.Path)) || (f.Outcome != "" && e.Outcome != f.Outcome) ||
		e.Seq <= f.After {
		return false
	}
	if f.Order == "" {
		return true
	}
	for _, id := range e.IDs {
		if id == f.Order {
			return true
		}
	}
	return false
}

func pathMatches(filter, path string) bool {
	if prefix, ok := strings.CutSuffix(filter, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	if strings.HasSuffix(filter, "/") {
		return strings.HasPrefix(path, filter)
	}
	return path == filter
}

// Journal is the bounded ring. It is safe for concurrent use.
type Journal struct {
	mu sync.Mutex
	// ring grows up to size entries, then wraps: an idle paysim holds no empty slots.
	ring    []Entry
	size    int
	next    int // where the next entry goes
	held    int
	seq     int64
	dropped int64
	// changed is closed by the next change; it exists only while someone waits, so a
	// request that nobody waits for costs no channel.
	changed chan struct{}
}

// New keeps at most size entries (DefaultSize when size < 1).
func New(size int) *Journal {
	if size < 1 {
		size = DefaultSize
	}
	return &Journal{size: size}
}

// Add records e, dropping the oldest entry when full, and returns its sequence number.
func (j *Journal) Add(e Entry) int64 {
	e.Request, e.Answer = clip(e.Request), clip(e.Answer)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.Seq = j.seq
	if len(j.ring) < j.size {
		j.ring = append(j.ring, e)
		j.held++
	} else {
		j.dropped++
		j.ring[j.next] = e
	}
	j.next = (j.next + 1) % j.size
	j.notifyLocked()
	return e.Seq
}

// Find returns up to limit entries f selects, newest first (limit < 1: all).
func (j *Journal) Find(f Filter, limit int) []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.findLocked(f, limit)
}

func (j *Journal) findLocked(f Filter, limit int) []Entry {
	out := []Entry{}
	for i := 1; i <= j.held; i++ {
		e := &j.ring[(j.next-i+len(j.ring))%len(j.ring)]
		if f.matches(e) {
			out = append(out, *e)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// Count is the number of entries f selects.
func (j *Journal) Count(f Filter) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for i := range j.held {
		if f.matches(&j.ring[(j.next-1-i+len(j.ring))%len(j.ring)]) {
			n++
		}
	}
	return n
}

// Wait returns the newest entry f selects as soon as there is one, or false when ctx
// ends first, with the newest entries of that provider (all providers when f has none)
// to say what was seen instead.
func (j *Journal) Wait(ctx context.Context, f Filter) (Entry, bool, []Entry) {
	for {
		j.mu.Lock()
		if found := j.findLocked(f, 1); len(found) == 1 {
			j.mu.Unlock()
			return found[0], true, nil
		}
		if j.changed == nil {
			j.changed = make(chan struct{})
		}
		changed := j.changed
		j.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return Entry{}, false, j.Find(Filter{Provider: f.Provider, After: f.After}, 10)
		}
	}
}

// Stats says how many entries are held, the bound, and how many were dropped to keep it.
func (j *Journal) Stats() (held, size int, dropped int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.held, j.size, j.dropped
}

// Reset forgets every entry; sequence numbers go on, so After filters stay valid.
func (j *Journal) Reset() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring = nil
	j.held, j.next = 0, 0
	j.notifyLocked()
}

// notifyLocked wakes the waiters, if any.
func (j *Journal) notifyLocked() {
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
}

func clip(s string) string {
	if len(s) <= MaxBody {
		return s
	}
	n := MaxBody
	for n > 0 && s[n]&0xC0 == 0x80 { // back to a rune boundary
		n--
	}
	return s[:n] + "…(clipped)"
}
