package huifu_test

import (
	"bytes"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// merchantReceiver is a merchant's notify_url: it verifies each notification the way
// the Java/PHP demos do (sign over resp_data verbatim) and the way the Python SDK does
// (re-sorted), and acknowledges with RECV_ORD_ID_<req_seq_id> unless told otherwise.
type merchantReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	got      []map[string]any
	problems []string
	answer   func(n int, data map[string]any) (int, string)
}

func newMerchantReceiver(t *testing.T) *merchantReceiver {
	platform, err := rsakey.LoadPublic(paysim.DefaultKeys(), "huifu/platform_public.pem")
	require.NoError(t, err)
	m := &merchantReceiver{answer: func(_ int, data map[string]any) (int, string) {
		return 200, "RECV_ORD_ID_" + data["req_seq_id"].(string)
	}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		defer m.mu.Unlock()
		form, err := url.ParseQuery(string(body))
		problem := func(p string) { m.problems = append(m.problems, p) }
		switch {
		case err != nil:
			problem("body is not a form: " + err.Error())
		case r.Header.Get("Content-Type") != "application/x-www-form-urlencoded":
			problem("content type " + r.Header.Get("Content-Type"))
		case form.Get("resp_code") != "00000000" || form.Get("resp_desc") != "交易成功":
			problem("form resp_code/resp_desc: " + form.Get("resp_code") + " " + form.Get("resp_desc"))
		}
		sig, err := rsakey.DecodeBase64(form.Get("sign"))
		if err != nil || rsakey.Verify(platform, crypto.SHA256, []byte(form.Get("resp_data")), sig) != nil {
			problem("sign does not verify over resp_data as sent")
		}
		var data map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(form.Get("resp_data"))))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			problem("resp_data is not JSON: " + err.Error())
			w.WriteHeader(400)
			return
		}
		// The Python SDK re-sorts and dumps with ensure_ascii=False: Go's encoder sorts map
		// keys too, and with HTML escaping off writes the same bytes.
		var resorted bytes.Buffer
		enc := json.NewEncoder(&resorted)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(data)
		if rsakey.Verify(platform, crypto.SHA256, bytes.TrimRight(resorted.Bytes(), "\n"), sig) != nil {
			problem("sign does not verify over the re-sorted resp_data")
		}
		m.got = append(m.got, data)
		status, text := m.answer(len(m.got), data)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *merchantReceiver) received() ([]map[string]any, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.got...), append([]string(nil), m.problems...)
}

func (e *env) waitNotified(t *testing.T, order, state string) sim.Notification {
	t.Helper()
	return simtest.WaitNotification(t, e.srv.URL, order, state)
}

func TestPayNotification(t *testing.T) {
	e := newEnv(t)
	rcv := newMerchantReceiver(t)
	seq := id("js")
	data := jspayData(seq, "2.00", "A_NATIVE")
	data["notify_url"] = "virgo://" + rcv.URL + "/notify?x=1"
	data["remark"] = "备注&<b>"
	require.Equal(t, "00000100", e.post(t, pathJspay, data).Code())
	require.Equal(t, "S", e.post(t, pathQuery, queryData(seq)).Data["trans_stat"])

	n := e.waitNotified(t, seq, sim.NotifyAcked)
	assert.Equal(t, rcv.URL+"/notify?x=1", n.URL, "virgo:// is stripped")
	require.Len(t, n.Attempts, 1)
	assert.Equal(t, "RECV_ORD_ID_"+seq, n.Attempts[0].Reply)
	got, problems := rcv.received()
	require.Empty(t, problems)
	require.Len(t, got, 1)
	d := got[0]
	assert.Equal(t, "S", d["trans_stat"])
	assert.Equal(t, "2.00", d["trans_amt"])
	assert.Equal(t, "A_NATIVE", d["trans_type"])
	assert.Equal(t, json.Number("1"), d["notify_type"], "notify_type is a JSON integer")
	assert.Equal(t, "备注&<b>", d["remark"])
	assert.NotEmpty(t, d["hf_seq_id"])
	assert.NotEmpty(t, d["out_trans_id"])
}

func TestRefundNotificationByTheClockAlone(t *testing.T) {
	e := newEnv(t)
	rcv := newMerchantReceiver(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	rf := id("rf")
	data := refundData(rf, pay.ID, "0.30")
	data["notify_url"] = rcv.URL
	require.Equal(t, "00000100", e.post(t, pathRefund, data).Code())
	assert.Empty(t, e.core.Notifications(sim.NotifyFilter{Order: rf}), "nothing while processing")

	_, err := e.core.AdvanceClock(30 * time.Second)
	require.NoError(t, err)
	e.waitNotified(t, rf, sim.NotifyAcked)
	got, problems := rcv.received()
	require.Empty(t, problems)
	require.Len(t, got, 1)
	d := got[0]
	assert.Equal(t, "TRANS_REFUND", d["trans_type"])
	assert.Equal(t, "S", d["trans_stat"])
	assert.Equal(t, "0.30", d["ord_amt"])
	assert.Equal(t, "0.30", d["total_ref_amt"])
	assert.Equal(t, "1", d["ref_cut"])
	assert.Equal(t, "1.00", d["org_ord_amt"])
	assert.Equal(t, pay.ID, d["org_req_seq_id"])
	assert.Equal(t, "20260101100030", d["trans_finish_time"])
	assert.Nil(t, d["notify_type"])
}

func TestNotificationRetriedUntilAcknowledged(t *testing.T) {
	e := newEnv(t)
	rcv := newMerchantReceiver(t)
	rcv.answer = func(n int, data map[string]any) (int, string) {
		if n < 3 {
			return 200, "success" // not Huifu's acknowledgement
		}
		return 200, "RECV_ORD_ID_" + data["req_seq_id"].(string)
	}
	seq := id("mp")
	data := micropayData(seq, "0.50", "134567890123456789")
	data["notify_url"] = rcv.URL
	require.Equal(t, "S", e.post(t, pathMicropay, data).Data["trans_stat"])
	n := e.waitNotified(t, seq, sim.NotifyPending)
	require.Len(t, n.Attempts, 1)
	assert.Contains(t, n.Attempts[0].Why, `"success" does not start with RECV_ORD_ID_`)
	assert.True(t, sim.DefaultVirtualStart.Add(15*time.Second).Equal(n.NextAt), "next attempt at %s", n.NextAt)

	_, err := e.core.AdvanceClock(15 * time.Second)
	require.NoError(t, err)
	simtest.WaitFor(t, func() bool { got, _ := rcv.received(); return len(got) == 2 })
	_, err = e.core.AdvanceClock(time.Minute)
	require.NoError(t, err)
	n = e.waitNotified(t, seq, sim.NotifyAcked)
	assert.Len(t, n.Attempts, 3)
	got, problems := rcv.received()
	assert.Empty(t, problems)
	assert.Equal(t, got[0], got[2], "every attempt sends the same notification")
}

func TestNotificationToNonLoopbackIsRefusedAndRecorded(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	rf := id("rf")
	data := refundData(rf, pay.ID, "0.10")
	data["notify_url"] = "https://example.invalid/cb?a=1&b=2"
	require.Equal(t, "00000100", e.post(t, pathRefund, data).Code())
	_, err := e.core.AdvanceClock(30 * time.Second)
	require.NoError(t, err)
	n := e.waitNotified(t, rf, sim.NotifyRefused)
	assert.Contains(t, n.Why, "example.invalid is not loopback")
	assert.Empty(t, n.Attempts)
}

func TestNoNotificationWithoutNotifyURL(t *testing.T) {
	e := newEnv(t)
	seq := id("mp")
	require.Equal(t, "S", e.post(t, pathMicropay, micropayData(seq, "0.50", "134567890123456789")).Data["trans_stat"])
	assert.Empty(t, e.core.Notifications(sim.NotifyFilter{Order: seq}))
}
