package huifu_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// Bad input of every kind gets a signed Huifu error with a clear resp_desc and a
// diagnostic, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	signed := func(mutate func(map[string]any)) []byte {
		d := refundData("rf-bad", pay.ID, "0.10")
		mutate(d)
		b, err := e.client.SignedBody(d)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
		desc        string
	}{
		{"empty body", "POST", pathRefund, "application/json", nil, 200, "10000000", "请求内容体不能为空"},
		{"malformed JSON", "POST", pathRefund, "application/json", []byte(`{"sys_id":`), 200, "10000000", "请求内容体不是合法的JSON"},
		{"JSON array", "POST", pathRefund, "application/json", []byte(`[1,2]`), 200, "10000000", "请求内容体不是合法的JSON"},
		{"wrong content type", "POST", pathRefund, "application/x-www-form-urlencoded", []byte(`a=b`), 200, "10000000", "无效参数"},
		{"no content type", "POST", pathRefund, "", []byte(`{}`), 200, "10000000", "无效参数"},
		{"no sys_id", "POST", pathRefund, "application/json", []byte(`{"data":{},"sign":"x"}`), 200, "10000000", "sys_id不能为空"},
		{"sys_id a number", "POST", pathRefund, "application/json", []byte(`{"sys_id":1,"data":{},"sign":"x"}`), 200, "10000000", "sys_id的类型必须为字符串"},
		{"no data", "POST", pathRefund, "application/json", []byte(`{"sys_id":"6666000100000001","sign":"x"}`), 200, "10000000", "data不能为空"},
		{"data an array", "POST", pathRefund, "application/json", []byte(`{"sys_id":"6666000100000001","data":[1],"sign":"x"}`), 200, "10000000", "data必须为JSON对象"},
		{"data a string of junk", "POST", pathRefund, "application/json", []byte(`{"sys_id":"6666000100000001","data":"nope","sign":"x"}`), 200, "10000000", "data必须为JSON对象"},
		{"no sign", "POST", pathRefund, "application/json", []byte(`{"sys_id":"6666000100000001","data":{"a":"b"}}`), 200, "10000000", "验签不通过"},
		{"sign not base64", "POST", pathRefund, "application/json", []byte(`{"sys_id":"6666000100000001","data":{"a":"b"},"sign":"***"}`), 200, "10000000", "验签不通过"},
		{"body over 1 MiB", "POST", pathRefund, "application/json", append([]byte(`{"sys_id":"`), bytes.Repeat([]byte("x"), gateway.MaxBodyBytes)...), 200, "10000000", "请求内容体过大"},
		{"missing required field", "POST", pathRefund, "application/json", signed(func(d map[string]any) { delete(d, "ord_amt") }), 200, "10000000", "ord_amt不能为空"},
		{"empty string is absent", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["ord_amt"] = "" }), 200, "10000000", "ord_amt不能为空"},
		{"amount as a number", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["ord_amt"] = 0.1 }), 200, "10000000", "ord_amt的类型必须为字符串"},
		{"nested object", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["remark"] = map[string]any{"a": 1} }), 200, "10000000", "remark的类型必须为字符串"},
		{"three decimals", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["ord_amt"] = "0.105" }), 200, "10000000", "ord_amt不符合金额格式"},
		{"zero amount", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["ord_amt"] = "0.00" }), 200, "10000000", "ord_amt必须大于0"},
		{"bad date", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["req_date"] = "2026-01-01" }), 200, "10000000", "req_date不符合yyyyMMdd格式"},
		{"impossible date", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["req_date"] = "20260231" }), 200, "10000000", "req_date不符合yyyyMMdd格式"},
		{"too long", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["req_seq_id"] = strings.Repeat("9", 129) }), 200, "10000000", "req_seq_id最大长度为128位"},
		{"no locator", "POST", pathRefund, "application/json", signed(func(d map[string]any) { d["org_req_seq_id"] = "" }), 200, "21000000", "原交易请求流水号、原交易微信支付宝的商户单号、原交易全局流水号不能同时为空"},
		{"unknown path", "POST", "/v3/trade/payment/nope", "application/json", []byte(`{}`), 404, "10000000", "接口不存在"},
		{"wrong method", "GET", pathRefund, "", nil, 405, "10000000", "请求方式必须为POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.Do(tt.method, tt.path, tt.contentType, tt.body)
			require.NoError(t, err, "every answer is a signed Huifu response")
			assert.Equal(t, tt.status, resp.Status)
			assert.Equal(t, tt.code, resp.Code())
			assert.Equal(t, tt.desc, resp.Data["resp_desc"])
			assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"), "every refusal explains itself")
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, before, e.snapshot(t), "bad input changes nothing")
		})
	}
}

func TestEnumAndAuthCodeChecks(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, pathJspay, jspayData(id("js"), "1.00", "X_NATIVE"))
	assert.Equal(t, "trade_type的传入枚举[X_NATIVE]不存在", resp.Data["resp_desc"])
	resp = e.post(t, pathMicropay, micropayData(id("mp"), "1.00", "999999"))
	assert.Equal(t, "auth_code付款码无效", resp.Data["resp_desc"])
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "WeChat codes start 10-15")
}

// The data member may come as a JSON string (some plugins): the string itself is signed.
func TestDataAsJSONString(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	signedObject, err := e.client.SignedBody(queryData(pay.ID))
	require.NoError(t, err)
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(signedObject, &env))
	asString, err := json.Marshal(string(env["data"]))
	require.NoError(t, err)
	env["data"] = asString
	body, err := json.Marshal(env)
	require.NoError(t, err)
	resp, err := e.client.PostRaw(pathQuery, "application/json; charset=UTF-8", body)
	require.NoError(t, err)
	assert.Equal(t, "00000000", resp.Code())
}

func TestVerifyModes(t *testing.T) {
	tampered := loadVectors(t, "tampered")
	var v vector
	for name, x := range tampered {
		if strings.Contains(name, "go-sdk") && strings.HasSuffix(x.Path, "/scanpay/query") {
			v = x
		}
	}
	require.NotEmpty(t, v.Body)
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			e.seedPaidOn(t, "pay202611220001", "1.00", captureDay)
			resp := e.replay(t, v)
			assert.NotEqual(t, "验签不通过", resp.Data["resp_desc"], "served despite the bad signature")
		})
	}
	t.Run("off accepts no sign at all", func(t *testing.T) {
		e := newEnvVerify(t, gateway.VerifyOff)
		pay := e.seedPaid(t, id("pay"), "1.00")
		data, err := json.Marshal(map[string]any{"sys_id": huifutest.SysID, "product_id": "PAYUN", "data": queryData(pay.ID)})
		require.NoError(t, err)
		resp, err := e.client.PostRaw(pathQuery, "application/json", data)
		require.NoError(t, err)
		assert.Equal(t, "00000000", resp.Code())
	})
}

func TestUnknownMethodAnswerHasAllow(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+pathQuery, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
}
