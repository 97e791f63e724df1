package sim

import (
	"fmt"
	"sync"
	"time"
)

// Beijing is the time zone every provider speaks in, whatever the host's zone is.
var Beijing = time.FixedZone("CST", 8*60*60)

// Clock tells the simulator what time it is. Every deadline in a scenario ("succeeds after
// 30 s") is measured on it, so swapping in a virtual clock makes time-based behaviour
// instant and repeatable in CI.
type Clock interface {
	Now() time.Time
	// Mode names the clock for the control plane: "real" or "virtual".
	Mode() string
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now().In(Beijing) }
func (RealClock) Mode() string   { return "real" }

// DefaultVirtualStart is where a virtual clock starts unless told otherwise. A fixed instant
// (rather than the wall time at start-up) is what makes two runs byte-identical.
var DefaultVirtualStart = time.Date(2026, 1, 1, 10, 0, 0, 0, Beijing)

// VirtualClock only moves when told to.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtualClock returns a virtual clock standing at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start.In(Beijing)}
}

func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *VirtualClock) Mode() string { return "virtual" }

// Advance moves the clock forward by d and returns the new time. Time never runs
// backwards: entities compare deadlines against it.
func (c *VirtualClock) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("cannot advance the clock by a negative duration (%s)", d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now, nil
}

// Set moves the clock to t, which must not be before the current time.
func (c *VirtualClock) Set(t time.Time) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		return time.Time{}, fmt.Errorf("cannot set the clock back from %s to %s", c.now.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	c.now = t.In(Beijing)
	return c.now, nil
}
