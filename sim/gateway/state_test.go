package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// draws takes n faults of a probability fault and says which applied.
func draws(g *Gateway, n int) string {
	var b strings.Builder
	for range n {
		if _, ok := g.faults.take("fake", "refund", true); ok {
			b.WriteByte('x')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// Armed faults come back from a state file with their uses left, and a fault with a
// probability goes on drawing where it stood.
func TestFaultsStateRoundTrip(t *testing.T) {
	a := New(newCore(t), VerifyStrict)
	_, err := a.ArmFault(FaultSpec{Fault: "http:502", Provider: "fake", Operation: "refund", Times: 100, Probability: 0.5})
	require.NoError(t, err)
	_, err = a.ArmFault(FaultSpec{Fault: "reset", Operation: "query", TTL: time.Hour})
	require.NoError(t, err)
	draws(a, 10)
	saved, err := a.SaveState()
	require.NoError(t, err)
	require.Len(t, saved.Summary, 3)
	assert.Equal(t, "2 armed fault(s)", saved.Summary[0])
	assert.Regexp(t, `^#1 http:502, provider fake, operation refund, \d+ use\(s\) left, probability 0.5$`, saved.Summary[1])
	assert.Regexp(t, `^#2 reset, operation query, 1 use\(s\) left, until \S+$`, saved.Summary[2])
	want := draws(a, 30) // what the original draws next

	b := New(newCore(t), VerifyStrict)
	require.NoError(t, b.RestoreState(saved.Data))
	assert.Equal(t, want, draws(b, 30), "the generator goes on where it stood")
	again, err := b.SaveState()
	require.NoError(t, err)
	var st faultsState
	require.NoError(t, json.Unmarshal(again.Data, &st))
	assert.Equal(t, 2, st.Seq)
	require.Len(t, st.Faults, 2)
	next, err := b.ArmFault(FaultSpec{Fault: "empty"})
	require.NoError(t, err)
	assert.Equal(t, 3, next.ID, "ids go on from the saved ones")

	for name, data := range map[string]string{
		"unknown fault":     `{"seq":1,"pcg":"` + pcgOf(t, a) + `","faults":[{"id":1,"fault":"explode","remaining":1}]}`,
		"id beyond seq":     `{"seq":0,"pcg":"` + pcgOf(t, a) + `","faults":[{"id":1,"fault":"reset","remaining":1}]}`,
		"unknown member":    `{"seq":0,"pcg":"` + pcgOf(t, a) + `","faults":[],"extra":1}`,
		"bad generator":     `{"seq":0,"pcg":"AAAA","faults":[]}`,
		"bad probability":   `{"seq":1,"pcg":"` + pcgOf(t, a) + `","faults":[{"id":1,"fault":"reset","remaining":1,"probability":2}]}`,
		"unknown operation": `{"seq":1,"pcg":"` + pcgOf(t, a) + `","faults":[{"id":1,"fault":"reset","remaining":1,"operation":"fly"}]}`,
	} {
		c := New(newCore(t), VerifyStrict)
		assert.Error(t, c.RestoreState(json.RawMessage(data)), name)
		assert.Empty(t, c.ArmedFaults(), "%s: nothing is armed", name)
	}
	assert.Error(t, b.RestoreState(saved.Data), "a gateway with faults armed refuses a restore")
}

func pcgOf(t *testing.T, g *Gateway) string {
	t.Helper()
	saved, err := g.SaveState()
	require.NoError(t, err)
	var st struct {
		PCG string `json:"pcg"`
	}
	require.NoError(t, json.Unmarshal(saved.Data, &st))
	return st.PCG
}
