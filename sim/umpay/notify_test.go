package umpay_test

import (
	"crypto"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
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

// backURL is a merchant's notification endpoint: it verifies the sign with the platform
// certificate (values of the non-empty fields but sign, in key order, joined by "|") and
// answers with respCode "00" unless told otherwise.
type backURL struct {
	*httptest.Server
	mu       sync.Mutex
	forms    []url.Values
	problems []string
	answer   func(n int) string
}

func newBackURL(t *testing.T) *backURL {
	cert, err := rsakey.LoadPublic(paysim.DefaultKeys(), "umpay/platform_cert.der")
	require.NoError(t, err)
	b := &backURL{answer: func(int) string { return `{"respCode":"00","respMsg":"成功"}` }}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		defer b.mu.Unlock()
		form, err := url.ParseQuery(string(body))
		if err != nil {
			b.problems = append(b.problems, "not a form: "+err.Error())
		}
		keys := make([]string, 0, len(form))
		for k := range form {
			if k != "sign" && form.Get(k) != "" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		values := make([]string, len(keys))
		for i, k := range keys {
			values[i] = form.Get(k)
		}
		sig, err := rsakey.DecodeBase64(form.Get("sign"))
		if err != nil || rsakey.Verify(cert, crypto.SHA1, []byte(strings.Join(values, "|")), sig) != nil {
			b.problems = append(b.problems, "sign does not verify over "+strings.Join(values, "|"))
		}
		b.forms = append(b.forms, form)
		_, _ = io.WriteString(w, b.answer(len(b.forms)))
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backURL) received() ([]url.Values, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]url.Values(nil), b.forms...), append([]string(nil), b.problems...)
}

func (e *env) waitNotified(t *testing.T, order, state string) sim.Notification {
	t.Helper()
	return simtest.WaitNotification(t, e.srv.URL, order, state)
}

func TestPayNotificationAfterAsynchronousPayment(t *testing.T) {
	e := newEnv(t)
	b := newBackURL(t)
	order := id("QR")
	data := qrpayData(order, "250", "alipay")
	data["backUrl"] = b.URL + "/notify"
	data["merPriv"] = "a|b"
	require.Equal(t, "00", e.post(t, "/pay/qrpay", data).Code())
	assert.Empty(t, e.core.Notifications(sim.NotifyFilter{Order: order}), "nothing before the payer pays")
	require.Equal(t, "00", e.post(t, "/pay/queryOrder", queryData(order)).Fields["origRespCode"])

	n := e.waitNotified(t, order, sim.NotifyAcked)
	require.Len(t, n.Attempts, 1)
	forms, problems := b.received()
	require.Empty(t, problems)
	require.Len(t, forms, 1)
	f := forms[0]
	assert.Equal(t, order, f.Get("orderNo"))
	assert.Equal(t, "250", f.Get("txnAmt"), "amounts are fen strings in the form")
	assert.Equal(t, "1", f.Get("notifyType"))
	assert.Equal(t, "alipay", f.Get("orderType"))
	assert.Equal(t, "Y000000001", f.Get("acqSpId"))
	assert.Equal(t, "a/b", f.Get("merPriv"), "no | inside a value (UM-A7)")
	assert.Regexp(t, `^\d{14}$`, f.Get("payTime"))
	assert.Empty(t, f.Get("signature"), "the notification's field is sign")
}

func TestNoNotificationForSynchronousMicropay(t *testing.T) {
	e := newEnv(t)
	b := newBackURL(t)
	order := id("MP")
	data := micropayData(order, "100", "wechat")
	data["backUrl"] = b.URL
	require.Equal(t, "00", e.post(t, "/pay/micropay", data).Code())
	assert.Empty(t, e.core.Notifications(sim.NotifyFilter{Order: order}))
}

func TestNotificationRetriedAMinuteApart(t *testing.T) {
	e := newEnv(t)
	b := newBackURL(t)
	b.answer = func(n int) string {
		if n == 1 {
			return `{"respCode":"99"}`
		}
		return `{"respCode":"00"}`
	}
	order := id("MP")
	data := micropayData(order, "101", "wechat") // pay-unknown-result: completes on the 2nd query
	data["backUrl"] = b.URL
	require.Equal(t, "01000000", e.post(t, "/pay/micropay", data).Code())
	e.post(t, "/pay/queryOrder", queryData(order))
	e.post(t, "/pay/queryOrder", queryData(order))
	n := e.waitNotified(t, order, sim.NotifyPending)
	require.Len(t, n.Attempts, 1)
	assert.Equal(t, `respCode is "99", want "00"`, n.Attempts[0].Why)
	_, err := e.core.AdvanceClock(time.Minute)
	require.NoError(t, err)
	n = e.waitNotified(t, order, sim.NotifyAcked)
	assert.Len(t, n.Attempts, 2)
	_, problems := b.received()
	assert.Empty(t, problems)
}
