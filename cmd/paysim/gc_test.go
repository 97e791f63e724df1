package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The command's collector settings apply only where GOGC and GOMEMLIMIT are unset.
func TestTuneGCLeavesTheEnvironmentAlone(t *testing.T) {
	prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(prevPercent); debug.SetMemoryLimit(prevLimit) })
	cases := []struct {
		env map[string]string
		// what tuneGC reports it chose (-1: left alone), and what is in force after
		chosePercent int
		choseLimit   int64
		inForcePct   int
		inForceLimit int64
	}{
		{nil, gcPercent, memoryLimit, gcPercent, memoryLimit},
		{map[string]string{"GOGC": "50"}, -1, memoryLimit, 100, memoryLimit},
		{map[string]string{"GOMEMLIMIT": "2GiB"}, gcPercent, -1, gcPercent, prevLimit},
	}
	for _, c := range cases {
		debug.SetGCPercent(100) // as if the runtime had read the environment
		debug.SetMemoryLimit(prevLimit)
		pct, limit := tuneGC(func(k string) string { return c.env[k] })
		assert.Equal(t, c.chosePercent, pct, "%v", c.env)
		assert.Equal(t, c.choseLimit, limit, "%v", c.env)
		assert.Equal(t, c.inForcePct, debug.SetGCPercent(100), "GOGC in force with %v", c.env)
		assert.Equal(t, c.inForceLimit, debug.SetMemoryLimit(-1), "memory limit in force with %v", c.env)
	}
}
