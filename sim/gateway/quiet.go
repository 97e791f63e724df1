package gateway

import (
	"sync"
	"time"
)

// quietLog lets one line a second through per cause, and says how many it held back:
// a client retrying a bad request in a loop must not flood the log.
type quietLog struct {
	mu     sync.Mutex
	causes map[string]*quietCause
	now    func() time.Time
}

type quietCause struct {
	since time.Time
	held  int
}

// maxCauses bounds the causes remembered; past it the memory starts over.
const maxCauses = 1024

func newQuietLog() *quietLog { return &quietLog{causes: map[string]*quietCause{}, now: time.Now} }

// allow reports whether a line for cause may be written now, and how many lines for it
// were held back since the last one.
func (q *quietLog) allow(cause string) (bool, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	c := q.causes[cause]
	if c == nil {
		if len(q.causes) >= maxCauses {
			clear(q.causes)
		}
		q.causes[cause] = &quietCause{since: now}
		return true, 0
	}
	if now.Sub(c.since) < time.Second {
		c.held++
		return false, 0
	}
	held := c.held
	c.since, c.held = now, 0
	return true, held
}
