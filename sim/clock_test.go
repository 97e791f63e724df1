package sim_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func TestBeijingZone(t *testing.T) {
	name, offset := time.Date(2026, 6, 1, 0, 0, 0, 0, sim.Beijing).Zone()
	assert.Equal(t, "CST", name)
	assert.Equal(t, 8*60*60, offset)
	// No daylight saving: the offset is the same in winter.
	_, winter := time.Date(2026, 12, 1, 0, 0, 0, 0, sim.Beijing).Zone()
	assert.Equal(t, 8*60*60, winter)
	// Noon UTC is 20:00 in Beijing.
	assert.Equal(t, 20, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).In(sim.Beijing).Hour())
}

func TestRealClock(t *testing.T) {
	var c sim.Clock = sim.RealClock{}
	assert.Equal(t, "real", c.Mode())
	before := time.Now()
	now := c.Now()
	after := time.Now()
	assert.Equal(t, sim.Beijing, now.Location())
	assert.False(t, now.Before(before.Truncate(time.Second)), "now %s before %s", now, before)
	assert.False(t, now.After(after.Add(time.Second)), "now %s after %s", now, after)
}

func TestVirtualClockStart(t *testing.T) {
	utc := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	c := sim.NewVirtualClock(utc)
	var _ sim.Clock = c
	assert.Equal(t, "virtual", c.Mode())
	assert.True(t, c.Now().Equal(utc))
	assert.Equal(t, sim.Beijing, c.Now().Location(), "the virtual clock speaks Beijing time")
	assert.Equal(t, 13, c.Now().Hour())

	d := sim.NewVirtualClock(sim.DefaultVirtualStart)
	assert.Equal(t, time.Date(2026, 1, 1, 10, 0, 0, 0, sim.Beijing), d.Now())
	// It does not move on its own.
	time.Sleep(2 * time.Millisecond)
	assert.Equal(t, sim.DefaultVirtualStart, d.Now())
}

func TestVirtualClockAdvance(t *testing.T) {
	start := sim.DefaultVirtualStart
	tests := []struct {
		name    string
		steps   []time.Duration
		want    time.Time
		wantErr bool
	}{
		{name: "zero", steps: []time.Duration{0}, want: start},
		{name: "30s", steps: []time.Duration{30 * time.Second}, want: start.Add(30 * time.Second)},
		{name: "accumulates", steps: []time.Duration{time.Second, time.Minute, time.Hour}, want: start.Add(time.Hour + time.Minute + time.Second)},
		{name: "negative refused", steps: []time.Duration{-time.Nanosecond}, want: start, wantErr: true},
		{name: "negative after forward", steps: []time.Duration{time.Minute, -time.Second}, want: start.Add(time.Minute), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sim.NewVirtualClock(start)
			var err error
			var got time.Time
			for _, d := range tt.steps {
				got, err = c.Advance(d)
				if err != nil {
					break
				}
				assert.Equal(t, c.Now(), got, "Advance returns the new time")
			}
			if tt.wantErr {
				assert.Error(t, err)
				assert.True(t, got.IsZero())
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.want, c.Now())
			assert.Equal(t, sim.Beijing, c.Now().Location())
		})
	}
}

func TestVirtualClockSet(t *testing.T) {
	start := sim.DefaultVirtualStart
	tests := []struct {
		name    string
		to      time.Time
		want    time.Time
		wantErr bool
	}{
		{name: "same instant", to: start, want: start},
		{name: "forward", to: start.Add(time.Hour), want: start.Add(time.Hour)},
		{name: "forward given in UTC", to: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), want: start.Add(time.Hour)},
		{name: "back refused", to: start.Add(-time.Nanosecond), want: start, wantErr: true},
		{name: "far back refused", to: time.Date(2000, 1, 1, 0, 0, 0, 0, sim.Beijing), want: start, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sim.NewVirtualClock(start)
			got, err := c.Set(tt.to)
			if tt.wantErr {
				assert.Error(t, err)
				assert.True(t, got.IsZero())
			} else {
				require.NoError(t, err)
				assert.True(t, tt.want.Equal(got))
				assert.Equal(t, sim.Beijing, got.Location())
			}
			assert.True(t, tt.want.Equal(c.Now()), "now %s, want %s", c.Now(), tt.want)
			assert.Equal(t, sim.Beijing, c.Now().Location())
		})
	}
}

func TestVirtualClockConcurrentAdvance(t *testing.T) {
	c := sim.NewVirtualClock(sim.DefaultVirtualStart)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Advance(time.Second)
			assert.NoError(t, err)
			_ = c.Now()
		}()
	}
	wg.Wait()
	assert.Equal(t, sim.DefaultVirtualStart.Add(50*time.Second), c.Now())
}
