package sim

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On a virtual clock a task runs when an advance reaches its time, and a task that is
// already due when it is scheduled (the clock was advanced past it while its owner was
// still working it out) runs without waiting for an advance that may never come.
func TestVirtualSchedulerRunsLateTasks(t *testing.T) {
	clock := NewVirtualClock(DefaultVirtualStart)
	s := newScheduler(clock)
	var future, late atomic.Int32
	s.schedule(clock.Now().Add(5*time.Second), func(time.Time) { future.Add(1) })
	s.schedule(clock.Now(), func(time.Time) { late.Add(1) })
	s.schedule(clock.Now().Add(-time.Second), func(time.Time) { late.Add(1) })
	require.Eventually(t, func() bool { return late.Load() == 2 }, 5*time.Second, time.Millisecond, "due tasks run with no advance")
	assert.Zero(t, future.Load(), "a task in the future waits for the clock")
	assert.Equal(t, 1, s.pending())

	now, err := clock.Advance(5 * time.Second)
	require.NoError(t, err)
	s.runDue(now)
	assert.Equal(t, int32(1), future.Load())
	assert.Equal(t, int32(2), late.Load(), "each task runs once")
	assert.Zero(t, s.pending())
}
