package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The scenario counts are bounded: past maxChoiceKeys names (a folder reloaded with new
// names again and again), new names count under OtherScenario; known ones go on.
func TestScenarioChoicesBounded(t *testing.T) {
	s := New()
	for i := range maxChoiceKeys + 5 {
		s.chosen.add("huifu", OpPayment, fmt.Sprintf("s%04d", i))
	}
	s.chosen.add("huifu", OpPayment, "s0000")
	got := s.ScenarioChoices()
	assert.Len(t, got, maxChoiceKeys+1)
	counts := map[string]int64{}
	for _, c := range got {
		counts[c.Scenario] = c.Count
	}
	assert.Equal(t, int64(2), counts["s0000"], "a known name goes on counting")
	assert.Equal(t, int64(5), counts[OtherScenario])
	assert.True(t, slices.IsSortedFunc(got, func(a, b ScenarioChoice) int { return strings.Compare(a.Scenario, b.Scenario) }), "in a stable order")
}
