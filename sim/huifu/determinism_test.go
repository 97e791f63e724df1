package huifu_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// script is a fixed request sequence touching every endpoint and generated value, sent
// through client; advance moves the virtual clock. The conformance suite runs it to check
// that the same seed gives the same bytes.
func script(t testing.TB, client *huifutest.Client, advance func(time.Duration)) []string {
	t.Helper()
	var bodies []string
	post := func(path string, data map[string]any) {
		resp, err := client.Post(path, data)
		require.NoError(t, err)
		bodies = append(bodies, string(resp.Body))
	}
	post(pathJspay, jspayData("d-js1", "3.00", "T_JSAPI"))
	post(pathJspay, jspayData("d-js2", "1.00", "A_NATIVE"))
	post(pathQuery, queryData("d-js1"))
	post(pathMicropay, micropayData("d-mp1", "1.01", "284567890123456789"))
	post(pathQuery, queryData("d-mp1"))
	post(pathRefund, refundData("d-rf1", "d-js1", "1.00"))
	post(pathRefundQuery, refundQueryData("d-rf1"))
	advance(31 * time.Second)
	post(pathRefundQuery, refundQueryData("d-rf1"))
	post(pathRefund, refundData("d-rf2", "d-js1", "5.00"))
	post(pathClose, closeData("d-cl1", "d-js2"))
	post(pathCloseQuery, closeData("d-cq1", "d-js2"))
	post(pathCloseQuery, closeData("d-cq2", "d-js2"))
	delayed := jspayData("d-dj1", "2.00", "T_JSAPI")
	delayed["delay_acct_flag"] = "Y"
	post(pathJspay, delayed)
	post(pathQuery, queryData("d-dj1"))
	post(pathConfirm, confirmData("d-cf1", "d-dj1", split("1.00")))
	post(pathConfirmQuery, confirmQueryData("d-cf1"))
	post(pathPreorder, preorderData("d-ho1", "1.00"))
	post(pathQueryOrderInfo, hostedQueryData("d-ho1"))
	return bodies
}

// script runs script on e, moving its virtual clock directly.
func (e *env) script(t *testing.T) []string {
	t.Helper()
	return script(t, e.client, func(d time.Duration) {
		_, err := e.clock.Advance(d)
		require.NoError(t, err)
	})
}

// A full reset replays the same ids as a fresh start. (That the same seed gives the same
// bytes is checked by the conformance suite.)
func TestResetReplaysAFreshStart(t *testing.T) {
	e := newEnv(t, sim.WithSeed(42))
	e.script(t)
	e.core.Reset("")
	first := e.post(t, pathJspay, jspayData("d-js1", "3.00", "T_JSAPI"))
	fresh := newEnv(t, sim.WithSeed(42))
	_, err := fresh.clock.Advance(31e9)
	require.NoError(t, err)
	assert.Equal(t, string(fresh.post(t, pathJspay, jspayData("d-js1", "3.00", "T_JSAPI")).Body), string(first.Body))
}
