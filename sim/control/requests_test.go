package control_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// journalEnv is the control plane behind a listening server, with a signing Huifu client.
func journalEnv(t *testing.T) (*env, *huifutest.Client) {
	t.Helper()
	e := newEnv(t, nil)
	srv := httptest.NewServer(e.h)
	t.Cleanup(srv.Close)
	c, err := huifutest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)
	return e, c
}

func query(t *testing.T, c *huifutest.Client, id string) *huifutest.Response {
	t.Helper()
	resp, err := c.Post("/v3/trade/payment/scanpay/query", map[string]any{"huifu_id": merchant, "org_req_date": "20261122", "org_req_seq_id": id})
	require.NoError(t, err)
	return resp
}

func TestRequestJournal(t *testing.T) {
	e, c := journalEnv(t)
	code, _ := e.call(t, http.MethodPost, "/__paysim/orders", seedBody("pay202612010001", "1.00"))
	require.Equal(t, http.StatusCreated, code)
	assert.Equal(t, "00000000", query(t, c, "pay202612010001").Code())
	assert.Equal(t, "23000001", query(t, c, "pay202612010002").Code())

	code, out := e.call(t, http.MethodGet, "/__paysim/requests?provider=huifu", "")
	require.Equal(t, http.StatusOK, code)
	list := out["requests"].([]any)
	require.Len(t, list, 2)
	newest := list[0].(map[string]any)
	assert.Equal(t, "refused", newest["outcome"])
	assert.Equal(t, "query", newest["operation"])
	assert.Equal(t, merchant, newest["merchant"])
	assert.Equal(t, "ok", newest["verify"])
	assert.Contains(t, newest["diagnostic"], "pay202612010002")
	assert.Contains(t, newest["nearest"], `"pay202612010001"`, "a miss names what paysim holds nearby")
	assert.Contains(t, newest["request"], `"org_req_seq_id":"pay202612010002"`)
	assert.Contains(t, newest["answer"], `"resp_code":"23000001"`)
	assert.EqualValues(t, 200, newest["status"])
	assert.Equal(t, "served", list[1].(map[string]any)["outcome"])

	code, out = e.call(t, http.MethodGet, "/__paysim/requests?order=pay202612010001", "")
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, out["requests"], 1)
	code, out = e.call(t, http.MethodPost, "/__paysim/requests/count", `{"provider":"huifu","outcome":"served"}`)
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, out["count"])

	code, out = e.call(t, http.MethodGet, "/__paysim/requests/wait?order=pay202612010002&timeout=1s", "")
	require.Equal(t, http.StatusOK, code, "an entry already there answers at once")
	assert.Equal(t, "refused", out["outcome"])
	code, out = e.call(t, http.MethodGet, "/__paysim/requests/wait?order=never&timeout=50ms", "")
	assert.Equal(t, http.StatusRequestTimeout, code)
	assert.Len(t, out["seen"], 2, "it says what it saw instead")

	for _, bad := range []string{"?outcome=great", "?limit=0", "?limit=5000", "?provider=paypal", "?after=-1"} {
		code, out = e.call(t, http.MethodGet, "/__paysim/requests"+bad, "")
		assert.Equal(t, http.StatusBadRequest, code, bad)
		assert.NotEmpty(t, errorOf(t, out), bad)
	}
	code, _ = e.call(t, http.MethodPost, "/__paysim/requests/count", `{"order":"x","colour":"red"}`)
	assert.Equal(t, http.StatusBadRequest, code, "an unknown filter is a typo")

	// A path no provider serves is journaled too: the app is pointed at the wrong place.
	req := httptest.NewRequest(http.MethodPost, "/v9/nothing", strings.NewReader("{}"))
	e.h.ServeHTTP(httptest.NewRecorder(), req)
	code, out = e.call(t, http.MethodGet, "/__paysim/requests?path=/v9/", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, out["requests"], 1)
	assert.EqualValues(t, 404, out["requests"].([]any)[0].(map[string]any)["status"])

	code, _ = e.call(t, http.MethodPost, "/__paysim/reset", "")
	require.Equal(t, http.StatusOK, code)
	_, out = e.call(t, http.MethodGet, "/__paysim/requests", "")
	assert.Empty(t, out["requests"], "a full reset empties the journal")
}

func TestFaultCalls(t *testing.T) {
	e, c := journalEnv(t)
	code, out := e.call(t, http.MethodPost, "/__paysim/faults", `{"fault":"http:502","provider":"huifu","operation":"query","times":1,"ttl":"10m"}`)
	require.Equal(t, http.StatusCreated, code, "%v", out)
	assert.Equal(t, "http:502", out["fault"])
	assert.EqualValues(t, 1, out["remaining"])

	_, out = e.call(t, http.MethodGet, "/__paysim/faults", "")
	assert.Len(t, out["armed"], 1)
	assert.Equal(t, "2m0s", out["max_hold"])

	_, err := c.Post("/v3/trade/payment/scanpay/query", map[string]any{"huifu_id": merchant, "org_req_date": "20261122", "org_req_seq_id": "x"})
	require.Error(t, err, "a 502 page is no Huifu answer")
	assert.Contains(t, err.Error(), "502")
	_, out = e.call(t, http.MethodGet, "/__paysim/requests?outcome=fault", "")
	require.Len(t, out["requests"], 1)
	entry := out["requests"].([]any)[0].(map[string]any)
	assert.Equal(t, "http:502", entry["fault"])
	assert.Contains(t, entry["fault_from"], "armed")
	_, out = e.call(t, http.MethodGet, "/__paysim/faults", "")
	assert.Empty(t, out["armed"], "spent")

	for _, bad := range []string{`{"fault":"explode"}`, `{}`, `{"fault":"reset","times":100001}`, `{"fault":"reset","ttl":"soon"}`,
		`{"fault":"reset","provider":"paypal"}`, `{"fault":"reset","operation":"fly"}`, `{"fault":"reset","probability":2}`} {
		code, out = e.call(t, http.MethodPost, "/__paysim/faults", bad)
		assert.Equal(t, http.StatusBadRequest, code, bad)
		assert.NotEmpty(t, errorOf(t, out), bad)
	}
	e.call(t, http.MethodPost, "/__paysim/faults", `{"fault":"reset"}`)
	code, out = e.call(t, http.MethodDelete, "/__paysim/faults", "")
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 1, out["disarmed"])
}

// The listing is paged, newest first; a lookup by id needs no listing.
func TestOrdersPaged(t *testing.T) {
	e := newEnv(t, nil)
	for i := range 5 {
		code, _ := e.call(t, http.MethodPost, "/__paysim/orders", seedBody(fmt.Sprintf("page-%d", i), "1.00"))
		require.Equal(t, http.StatusCreated, code)
	}
	var ids []string
	cursor := ""
	for range 3 {
		code, out := e.call(t, http.MethodGet, "/__paysim/orders?limit=2"+cursor, "")
		require.Equal(t, http.StatusOK, code, "%v", out)
		for _, o := range out["orders"].([]any) {
			ids = append(ids, o.(map[string]any)["id"].(string))
		}
		next, _ := out["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	assert.Equal(t, []string{"page-4", "page-3", "page-2", "page-1", "page-0"}, ids)
	code, out := e.call(t, http.MethodGet, "/__paysim/orders", "")
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 5, out["held"])
	assert.NotNil(t, out["max_entities"])
	for _, bad := range []string{"?limit=0", "?limit=1001", "?cursor=abc", "?cursor=0"} {
		code, _ := e.call(t, http.MethodGet, "/__paysim/orders"+bad, "")
		assert.Equal(t, http.StatusBadRequest, code, bad)
	}
}

// POST /__paysim/orders/pay and /fail play the payer; the notification goes out.
func TestPayerCalls(t *testing.T) {
	e, c := journalEnv(t)
	c.Header.Set("X-Paysim-Scenario", "pay-waits-for-payer")
	created, err := c.Post("/v3/trade/payment/jspay", map[string]any{"req_date": "20260101", "req_seq_id": "qr-1", "huifu_id": merchant,
		"goods_desc": "测试", "trade_type": "A_NATIVE", "trans_amt": "1.00"})
	require.NoError(t, err)
	require.Equal(t, "P", created.Data["trans_stat"])
	c.Header.Del("X-Paysim-Scenario")
	q, err := c.Post("/v3/trade/payment/scanpay/query", map[string]any{"huifu_id": merchant, "org_req_date": "20260101", "org_req_seq_id": "qr-1"})
	require.NoError(t, err)
	assert.Equal(t, "P", q.Data["trans_stat"], "the order waits for its payer")

	code, out := e.call(t, http.MethodPost, "/__paysim/orders/pay", `{"provider":"huifu","id":"qr-1"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, "success", out["status"])
	code, out = e.call(t, http.MethodPost, "/__paysim/orders/fail", `{"provider":"huifu","id":"qr-1"}`)
	assert.Equal(t, http.StatusConflict, code, "already paid")
	assert.Contains(t, errorOf(t, out), "nothing left to do")
	for _, bad := range []string{`{"id":"qr-1"}`, `{"provider":"huifu"}`, `{"provider":"huifu","id":"nope"}`, `{"provider":"huifu","id":"qr-1","amount":"1"}`} {
		code, _ := e.call(t, http.MethodPost, "/__paysim/orders/pay", bad)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, code, bad)
	}
}
