package gateway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestQuietLog(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	q := newQuietLog()
	q.now = func() time.Time { return now }
	ok, held := q.allow("huifu 10000000")
	assert.True(t, ok)
	assert.Zero(t, held)
	for range 5 {
		ok, _ = q.allow("huifu 10000000")
		assert.False(t, ok, "the same cause within the second is held back")
	}
	ok, _ = q.allow("umpay 11")
	assert.True(t, ok, "another cause has its own second")
	now = now.Add(time.Second)
	ok, held = q.allow("huifu 10000000")
	assert.True(t, ok)
	assert.Equal(t, 5, held, "and says how many it held back")
	now = now.Add(2 * time.Second)
	_, held = q.allow("huifu 10000000")
	assert.Zero(t, held)
	for i := range maxCauses + 1 {
		q.allow(string(rune('a' + i)))
	}
	assert.LessOrEqual(t, len(q.causes), maxCauses, "the causes remembered are bounded")
}
