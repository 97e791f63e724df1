package shouqianba_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// script is a fixed request sequence touching every endpoint and generated value, sent
// to the server at baseURL by the test terminal; it moves the virtual clock through the
// control plane. It returns the answers' bodies (the conformance suite's determinism
// check runs it).
func script(t testing.TB, baseURL string) []string {
	t.Helper()
	c := shouqianbatest.NewClient(baseURL)
	var bodies []string
	send := func(c *shouqianbatest.Client, path string, fields map[string]any) *shouqianbatest.Response {
		t.Helper()
		resp := postAs(t, c, path, fields)
		bodies = append(bodies, string(resp.Body))
		return resp
	}
	post := func(path string, fields map[string]any) { send(c, path, fields) }
	act := send(c, pathActivate, activateBody("POS-D"))
	require.NotNil(t, act.Biz, "activation must succeed")
	pos := c.WithTerminal(act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"])
	send(pos, pathCheckin, map[string]any{"device_id": "POS-D"})
	post(pathPay, payBody("d-pay1", "300"))
	post(pathPrecreate, precreateBody("d-pc1", "100", "1"))
	post(pathQuery, queryByClientSN("d-pc1"))
	post(pathPay, payBody("d-pay2", "101"))
	post(pathQuery, queryByClientSN("d-pay2"))
	post(pathRefund, refundBody("d-pay1", "1", "100"))
	post(pathQuery, map[string]any{"client_sn": "d-pay1", "refund_request_no": "1"})
	advanceClock(t, baseURL, "31s")
	post(pathQuery, queryByClientSN("d-pay1"))
	post(pathRefund, refundBody("d-pay1", "2", "500"))
	post(pathRevoke, queryByClientSN("d-pc1"))
	post(pathCancel, queryByClientSN("d-pay2"))
	return bodies
}

// advanceClock moves the virtual clock of the server at baseURL through the control plane.
func advanceClock(t testing.TB, baseURL, d string) {
	t.Helper()
	resp, err := http.Post(baseURL+"/__paysim/clock", "application/json", strings.NewReader(`{"advance":"`+d+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// A full reset replays the same ids as a fresh start.
func TestResetReplaysFreshIDs(t *testing.T) {
	e := newEnv(t, sim.WithSeed(42))
	script(t, e.srv.URL)
	e.core.Reset("")
	first := e.post(t, pathPay, payBody("d-pay1", "300"))
	fresh := newEnv(t, sim.WithSeed(42))
	fresh.advance(t, 31*time.Second)
	assert.Equal(t, string(fresh.post(t, pathPay, payBody("d-pay1", "300")).Body), string(first.Body))
}
