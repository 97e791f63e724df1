package huifu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
)

// script is a fixed request sequence touching every endpoint and generated value.
func script(t *testing.T, e *env) []string {
	t.Helper()
	var bodies []string
	post := func(path string, data map[string]any) {
		bodies = append(bodies, string(e.post(t, path, data).Body))
	}
	post(pathJspay, jspayData("d-js1", "3.00", "T_JSAPI"))
	post(pathJspay, jspayData("d-js2", "1.00", "A_NATIVE"))
	post(pathQuery, queryData("d-js1"))
	post(pathMicropay, micropayData("d-mp1", "1.01", "284567890123456789"))
	post(pathQuery, queryData("d-mp1"))
	post(pathRefund, refundData("d-rf1", "d-js1", "1.00"))
	post(pathRefundQuery, refundQueryData("d-rf1"))
	_, err := e.clock.Advance(31e9)
	require.NoError(t, err)
	post(pathRefundQuery, refundQueryData("d-rf1"))
	post(pathRefund, refundData("d-rf2", "d-js1", "5.00"))
	post(pathClose, closeData("d-cl1", "d-js2"))
	post(pathCloseQuery, closeData("d-cq1", "d-js2"))
	post(pathCloseQuery, closeData("d-cq2", "d-js2"))
	return bodies
}

// The same seed, virtual clock and request sequence give byte-identical responses; a
// different seed gives different generated values.
func TestDeterministicResponses(t *testing.T) {
	simtest.Deterministic(t, func(seed int64) []string { return script(t, newEnv(t, sim.WithSeed(seed))) })

	// A full reset replays the same ids as a fresh start.
	e := newEnv(t, sim.WithSeed(42))
	script(t, e)
	e.core.Reset("")
	first := e.post(t, pathJspay, jspayData("d-js1", "3.00", "T_JSAPI"))
	fresh := newEnv(t, sim.WithSeed(42))
	_, err := fresh.clock.Advance(31e9)
	require.NoError(t, err)
	assert.Equal(t, string(fresh.post(t, pathJspay, jspayData("d-js1", "3.00", "T_JSAPI")).Body), string(first.Body))
}
