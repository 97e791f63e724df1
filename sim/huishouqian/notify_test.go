package huishouqian_test

import (
	"crypto"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// returnURL is a merchant's notification endpoint. It parses the body the way the C#
// client does (URL-decode the whole body, then split on & and =) and the PHP way (a
// form), verifies the sign over the fixed-order string with the platform certificate, and
// answers "success" unless told otherwise.
type returnURL struct {
	*httptest.Server
	mu       sync.Mutex
	got      []map[string]string
	problems []string
	answer   func(n int) (int, string)
}

func newReturnURL(t *testing.T, e *env) *returnURL {
	r := &returnURL{answer: func(int) (int, string) { return 200, "success" }}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		problem := func(p string) { r.problems = append(r.problems, p) }
		form, err := url.ParseQuery(string(body))
		if err != nil {
			problem("not a form: " + err.Error())
		}
		decoded, err := url.QueryUnescape(string(body))
		if err != nil {
			problem("the whole body does not URL-decode: " + err.Error())
		}
		csharp := map[string]string{}
		for _, kv := range strings.Split(decoded, "&") {
			k, v, _ := strings.Cut(kv, "=")
			csharp[k] = v
		}
		if csharp["signContent"] != form.Get("signContent") {
			problem("decoding the whole body first breaks signContent: " + csharp["signContent"])
		}
		f := huishouqiantest.Form{Method: form.Get("method"), Version: form.Get("version"), Format: form.Get("format"),
			MerchantNo: form.Get("merchantNo"), SignType: form.Get("signType"), SignContent: form.Get("signContent")}
		sig, err := hex.DecodeString(form.Get("sign"))
		if err != nil || rsakey.Verify(e.client.Platform(), crypto.SHA256, []byte(huishouqiantest.SigningText(f, "hsq-sign-key-for-tests")), sig) != nil {
			problem("sign does not verify over " + huishouqiantest.SigningText(f, "<key>"))
		}
		var content map[string]string
		if err := json.Unmarshal([]byte(f.SignContent), &content); err != nil {
			problem("signContent is not a JSON object of strings: " + err.Error())
		}
		content["method"] = f.Method
		r.got = append(r.got, content)
		status, text := r.answer(len(r.got))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *returnURL) received() ([]map[string]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]string(nil), r.got...), append([]string(nil), r.problems...)
}

func (e *env) waitNotified(t *testing.T, order, state string) sim.Notification {
	t.Helper()
	return simtest.WaitNotification(t, e.srv.URL, order, state)
}

func TestPayNotification(t *testing.T) {
	e := newEnv(t)
	rcv := newReturnURL(t, e)
	transNo := id("PAY")
	biz := mainSweptBiz(transNo, "300", "WECHAT_JSAPI")
	biz["returnUrl"] = rcv.URL
	biz["goodsInfo"] = "咖啡 & 茶 + 100%"
	require.Equal(t, "PROCESSING", e.post(t, mainSwept, biz).OrderStatus())
	require.Equal(t, "SUCCESS", e.post(t, query, queryBiz(transNo)).OrderStatus())

	n := e.waitNotified(t, transNo, sim.NotifyAcked)
	assert.Equal(t, "success", n.Attempts[0].Reply, "SUCCESS in any case acknowledges (HQ-A6)")
	got, problems := rcv.received()
	require.Empty(t, problems)
	require.Len(t, got, 1)
	c := got[0]
	assert.Equal(t, mainSwept, c["method"], "the originating method (HQ-A5)")
	assert.Equal(t, transNo, c["transNo"])
	assert.Equal(t, "SUCCESS", c["orderStatus"])
	assert.Equal(t, "300", c["orderAmt"])
	assert.Equal(t, "咖啡 & 茶 + 100%", c["goodsInfo"])
	assert.Regexp(t, `^\d{14}$`, c["finishedDate"])
	assert.NotEmpty(t, c["tradeNo"])
	assert.NotEmpty(t, c["payOrderNo"])
}

func TestRefundNotificationRetried(t *testing.T) {
	e := newEnv(t)
	rcv := newReturnURL(t, e)
	rcv.answer = func(n int) (int, string) {
		if n == 1 {
			return 500, "oops"
		}
		return 200, "SUCCESS"
	}
	e.seedPaid(t, "P1", 100)
	refundNo := id("RF")
	biz := refundBiz(refundNo, "P1", "40")
	biz["returnUrl"] = rcv.URL
	require.Equal(t, "PROCESSING", e.post(t, refund, biz).OrderStatus())
	_, err := e.core.AdvanceClock(30 * time.Second)
	require.NoError(t, err)
	n := e.waitNotified(t, refundNo, sim.NotifyPending)
	assert.Equal(t, "HTTP status 500, want 200", n.Attempts[0].Why)
	_, err = e.core.AdvanceClock(15 * time.Second)
	require.NoError(t, err)
	n = e.waitNotified(t, refundNo, sim.NotifyAcked)
	assert.Len(t, n.Attempts, 2)
	got, problems := rcv.received()
	require.Empty(t, problems)
	assert.Equal(t, refund, got[1]["method"])
	assert.Equal(t, "P1", got[1]["origTransNo"])
	assert.Equal(t, "SUCCESS", got[1]["orderStatus"])
}
