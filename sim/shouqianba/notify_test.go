package shouqianba_test

import (
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// notifyURL is a merchant's receiver: it splits Authorization at the first space,
// verifies the base64 SHA256withRSA signature over the raw body with the platform public
// key, decodes the order with every value a string, and answers "success".
type notifyURL struct {
	*httptest.Server
	mu       sync.Mutex
	orders   []map[string]any
	problems []string
	answer   func(n int) string
}

func newNotifyURL(t *testing.T) *notifyURL {
	pub, err := rsakey.LoadPublic(paysim.DefaultKeys(), "shouqianba/platform_public.pem")
	require.NoError(t, err)
	n := &notifyURL{answer: func(int) string { return "success" }}
	n.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		defer n.mu.Unlock()
		sn, b64, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sig, err := rsakey.DecodeBase64(b64)
		if err != nil || rsakey.Verify(pub, crypto.SHA256, body, sig) != nil {
			n.problems = append(n.problems, "Authorization does not verify over the body")
		}
		var order map[string]any
		if err := json.Unmarshal(body, &order); err != nil {
			n.problems = append(n.problems, "body is not a JSON object: "+err.Error())
		}
		if order["terminal_sn"] != sn {
			n.problems = append(n.problems, "Authorization names terminal "+sn)
		}
		for k, v := range order {
			if _, ok := v.(string); !ok && k != "payment_list" {
				n.problems = append(n.problems, k+" is not a string")
			}
		}
		n.orders = append(n.orders, order)
		_, _ = io.WriteString(w, n.answer(len(n.orders)))
	}))
	t.Cleanup(n.Close)
	return n
}

func (n *notifyURL) received() ([]map[string]any, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]map[string]any(nil), n.orders...), append([]string(nil), n.problems...)
}

func (e *env) waitNotified(t *testing.T, order, state string) sim.Notification {
	t.Helper()
	return simtest.WaitNotification(t, e.srv.URL, order, state)
}

func TestNotificationsForPaidAndRefunded(t *testing.T) {
	e := newEnv(t)
	rcv := newNotifyURL(t)
	clientSN := id("c")
	body := precreateBody(clientSN, "500", "3")
	body["notify_url"] = rcv.URL
	body["sub_payway"] = "2"
	require.Equal(t, "PRECREATE_SUCCESS", e.post(t, pathPrecreate, body).Code())
	require.Equal(t, "PAID", e.post(t, pathQuery, queryByClientSN(clientSN)).Data("order_status"))

	n := e.waitNotified(t, clientSN, sim.NotifyAcked)
	assert.Equal(t, "application/json", http.Header(n.Header).Get("Content-Type"))
	orders, problems := rcv.received()
	require.Empty(t, problems)
	require.Len(t, orders, 1)
	assert.Equal(t, "PAID", orders[0]["order_status"])
	assert.Equal(t, "500", orders[0]["total_amount"])
	assert.Equal(t, clientSN, orders[0]["client_sn"])
	assert.NotEmpty(t, orders[0]["trade_no"])

	rf := e.post(t, pathRefund, refundBody(clientSN, "r1", "200"))
	require.Equal(t, "REFUND_IN_PROGRESS", rf.Code())
	_, err := e.core.AdvanceClock(30 * time.Second)
	require.NoError(t, err)
	simtest.WaitFor(t, func() bool { o, _ := rcv.received(); return len(o) == 2 })
	orders, problems = rcv.received()
	require.Empty(t, problems)
	assert.Equal(t, "PARTIAL_REFUNDED", orders[1]["order_status"])
	assert.Equal(t, "300", orders[1]["net_amount"])
}

func TestNotificationRetriedOnTheDocumentedGaps(t *testing.T) {
	e := newEnv(t)
	rcv := newNotifyURL(t)
	rcv.answer = func(n int) string {
		if n < 3 {
			return "received"
		}
		return "SUCCESS"
	}
	clientSN := id("c")
	body := payBody(clientSN, "100")
	body["notify_url"] = rcv.URL
	require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, body).Code())
	n := e.waitNotified(t, clientSN, sim.NotifyPending)
	assert.Equal(t, `answer "received" is not success`, n.Attempts[0].Why)
	_, err := e.core.AdvanceClock(time.Second)
	require.NoError(t, err)
	simtest.WaitFor(t, func() bool { o, _ := rcv.received(); return len(o) == 2 })
	_, err = e.core.AdvanceClock(5 * time.Second)
	require.NoError(t, err)
	n = e.waitNotified(t, clientSN, sim.NotifyAcked)
	assert.Len(t, n.Attempts, 3)
}

// A refund's notification names the refund: its refund_request_no, its settlement_amount
// and its operator, so that a receiver can tell which of two partial refunds finished.
func TestRefundNotificationsNameTheRefund(t *testing.T) {
	e := newEnv(t)
	rcv := newNotifyURL(t)
	clientSN := id("c")
	body := payBody(clientSN, "500")
	body["notify_url"] = rcv.URL
	require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, body).Code())
	simtest.WaitFor(t, func() bool { o, _ := rcv.received(); return len(o) == 1 })

	for i, rf := range []struct{ no, amount, operator string }{{"r1", "200", "refund-operator-B"}, {"r2", "100", "refund-operator-C"}} {
		req := refundBody(clientSN, rf.no, rf.amount)
		req["operator"] = rf.operator
		require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, req).Code())
		_, err := e.core.AdvanceClock(30 * time.Second)
		require.NoError(t, err)
		simtest.WaitFor(t, func() bool { o, _ := rcv.received(); return len(o) == i+2 })
	}
	orders, problems := rcv.received()
	require.Empty(t, problems)
	assert.Equal(t, "500", orders[0]["settlement_amount"], "the payment settled its amount")
	assert.NotContains(t, orders[0], "refund_request_no", "a payment's notification names no refund")
	for i, want := range []struct{ no, amount, operator, net string }{{"r1", "200", "refund-operator-B", "300"}, {"r2", "100", "refund-operator-C", "200"}} {
		n := orders[i+1]
		assert.Equal(t, "PARTIAL_REFUNDED", n["order_status"])
		assert.Equal(t, want.no, n["refund_request_no"])
		assert.Equal(t, want.amount, n["settlement_amount"])
		assert.Equal(t, want.operator, n["operator"])
		assert.Equal(t, want.net, n["net_amount"])
	}
}

// An order that was never paid (a precreate left unpaid until the gateway cancels it) is
// notified PAY_CANCELED with the members an unpaid order has: no trade_no, payer_uid,
// payer_login, payment_list or settlement_amount, as in its query answer.
func TestPayCanceledNotification(t *testing.T) {
	e := newEnv(t)
	rcv := newNotifyURL(t)
	clientSN := id("c")
	body := precreateBody(clientSN, "500", "3")
	body["notify_url"] = rcv.URL
	body["reflect"] = "r-1"
	require.Equal(t, "PRECREATE_SUCCESS", e.post(t, pathPrecreate, body).Code())
	_, err := e.core.AdvanceClock(4 * time.Minute)
	require.NoError(t, err)
	simtest.WaitFor(t, func() bool { o, _ := rcv.received(); return len(o) == 1 })
	orders, problems := rcv.received()
	require.Empty(t, problems)
	n := orders[0]
	assert.Equal(t, "PAY_CANCELED", n["order_status"])
	var members []string
	for k := range n {
		members = append(members, k)
	}
	assert.ElementsMatch(t, []string{"terminal_sn", "sn", "client_sn", "status", "order_status", "payway", "sub_payway",
		"total_amount", "net_amount", "subject", "finish_time", "channel_finish_time", "operator", "reflect"}, members)
	q := e.post(t, pathQuery, queryByClientSN(clientSN))
	for _, k := range []string{"trade_no", "payer_uid", "settlement_amount"} {
		_, inAnswer := q.Biz.Data.Fields[k]
		assert.False(t, inAnswer, "%s is not in the query answer either", k)
	}
	assert.Empty(t, q.Biz.Data.PaymentList, "nor payment_list")
}
