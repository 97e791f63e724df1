package main

import "runtime/debug"

// paysim's live heap is small (the journal and the entities held, tens of MB in a usual
// run) and it allocates a few kilobytes a request, so Go's default GOGC=100 spends a tenth
// of an unsigned request collecting (BENCHMARKS.md, "Load side by side"). The command
// collects less often, within a soft memory limit that keeps the process near the size
// --max-entities is sized for. GOGC and GOMEMLIMIT, when set, decide as usual.
const (
	gcPercent   = 400
	memoryLimit = 1 << 30
)

// tuneGC applies paysim's collector settings where the environment leaves them unset, and
// says what it chose.
func tuneGC(getenv func(string) string) (gogc int, limit int64) {
	gogc, limit = -1, -1
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
		gogc = gcPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
		limit = memoryLimit
	}
	return gogc, limit
}
