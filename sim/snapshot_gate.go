package sim

import (
	"sync"
	"time"
)

// emitGate closes the gap between an entity being announced (under its payment's lock)
// and its provider queueing the notification (after every lock is released): a snapshot
// that copied the entity as announced waits for the announcements already under way
// before it copies the outbox, so a file never holds an announced entity whose
// notification was lost between the two. Entering never waits, so a goroutine holding a
// payment's lock cannot be held up by a snapshot.
type emitGate struct {
	mu      sync.Mutex
	cond    *sync.Cond
	seq     uint64
	pending map[*[]Event]uint64 // an operation's events → when their announcement began
}

// enter records that evs holds announcements about to be emitted.
func (g *emitGate) enter(evs *[]Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pending == nil {
		g.pending = map[*[]Event]uint64{}
	}
	if _, ok := g.pending[evs]; !ok {
		g.seq++
		g.pending[evs] = g.seq
	}
}

// leave records that evs were emitted.
func (g *emitGate) leave(evs *[]Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.pending[evs]; ok {
		delete(g.pending, evs)
		if g.cond != nil {
			g.cond.Broadcast()
		}
	}
}

// drain waits until every announcement begun before it was called has been emitted, or
// limit has passed (a provider's hook that hangs must not stop the state writer).
func (g *emitGate) drain(limit time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	upTo := g.seq
	timer := time.AfterFunc(limit, func() {
		g.mu.Lock()
		upTo = 0
		g.cond.Broadcast()
		g.mu.Unlock()
	})
	defer timer.Stop()
	for upTo > 0 && g.oldest() <= upTo {
		g.cond.Wait()
	}
}

// oldest is the earliest announcement still under way (max when there is none).
func (g *emitGate) oldest() uint64 {
	low := ^uint64(0)
	for _, at := range g.pending {
		low = min(low, at)
	}
	return low
}
