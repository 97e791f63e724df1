package control_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func notifyTo(e *env, url, order string) string {
	return e.core.Notify(sim.Delivery{Provider: "huifu", Operation: sim.OpPayment, Order: order,
		Entity: sim.Key{Provider: "huifu", Merchant: merchant, ID: order}, URL: url, Body: []byte("x"),
		Policy: sim.DeliveryPolicy{Gaps: []time.Duration{time.Minute}, Timeout: time.Second,
			Ack: func(status int, body []byte) (bool, string) { return string(body) == "OK", "not OK" }}})
}

func TestNotificationsCalls(t *testing.T) {
	e := newEnv(t, nil)
	answer := "no"
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(rcv.Close)
	id := notifyTo(e, rcv.URL, "O1")

	code, out := e.call(t, http.MethodGet, "/__paysim/notifications/wait?order=O1&state=pending&timeout=5s", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, id, out["id"])
	assert.Equal(t, "not OK", out["why"])

	code, out = e.call(t, http.MethodGet, "/__paysim/notifications/wait?order=O1&state=acked&timeout=20ms", "")
	assert.Equal(t, http.StatusRequestTimeout, code)
	assert.Contains(t, errorOf(t, out), "no notification matched within 20ms (order O1, state acked)")
	require.Len(t, out["seen"], 1, "it says what it saw instead")

	code, out = e.call(t, http.MethodGet, "/__paysim/notifications?provider=huifu&state=pending", "")
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, out["notifications"], 1)
	code, out = e.call(t, http.MethodGet, "/__paysim/notifications?order=other", "")
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, out["notifications"], 0)

	answer = "OK"
	code, out = e.call(t, http.MethodPost, "/__paysim/notifications/"+id+"/redeliver", "")
	require.Equal(t, http.StatusAccepted, code, "%v", out)
	code, out = e.call(t, http.MethodGet, "/__paysim/notifications/wait?order=O1&state=acked&timeout=5s", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	attempts := out["attempts"].([]any)
	require.Len(t, attempts, 2)
	assert.Equal(t, true, attempts[1].(map[string]any)["manual"])
}

func TestNotificationsCallsRefuseBadInput(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct {
		method, target string
		status         int
		msg            string
	}{
		{http.MethodGet, "/__paysim/notifications?state=done", 400, `state "done" is not one of pending, in_flight, acked, failed, refused, abandoned`},
		{http.MethodGet, "/__paysim/notifications?provider=paypal", 400, `unknown provider "paypal"`},
		{http.MethodGet, "/__paysim/notifications/wait?state=acked", 400, "say what to wait for"},
		{http.MethodGet, "/__paysim/notifications/wait?order=x&timeout=forever", 400, `timeout "forever" must be a duration`},
		{http.MethodGet, "/__paysim/notifications/wait?order=x&timeout=1h", 400, "between 0 and 2m0s"},
		{http.MethodPost, "/__paysim/notifications/n42/redeliver", 404, `no notification "n42"`},
	} {
		code, out := e.call(t, tt.method, tt.target, "")
		assert.Equal(t, tt.status, code, tt.target)
		assert.True(t, strings.Contains(errorOf(t, out), tt.msg), "%s: %s", tt.target, errorOf(t, out))
	}
}
