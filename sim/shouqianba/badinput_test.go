package shouqianba_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// Bad input of every kind gets Shouqianba's top-level error with a clear message and a
// diagnostic, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("bad"), 100, nil)
	signed := func(path string, body []byte) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Authorization": e.client.Authorization(path, body)}
	}
	fields := func(path string, base map[string]any, mutate func(map[string]any)) []byte {
		mutate(base)
		b, err := e.client.Body(path, base)
		require.NoError(t, err)
		return b
	}
	pay := func(mutate func(map[string]any)) []byte { return fields(pathPay, payBody(id("bad"), "100"), mutate) }
	refund := func(mutate func(map[string]any)) []byte {
		return fields(pathRefund, refundBody(order.ID, "bad-1", "10"), mutate)
	}
	query := func(mutate func(map[string]any)) []byte {
		return fields(pathQuery, queryBySN(order.ProviderID), mutate)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string // nil: signed by the test terminal (vendor for activate)
		body    []byte
		status  int
		code    string
		message string
	}{
		{"body not JSON", "POST", pathQuery, nil, []byte(`terminal_sn=100000330000000001`), 200, "INVALID_PARAMS", "请求体不是合法的JSON对象"},
		{"body a JSON array", "POST", pathQuery, nil, []byte(`[{"terminal_sn":"100000330000000001"}]`), 200, "INVALID_PARAMS", "请求体不是合法的JSON对象"},
		{"body null", "POST", pathQuery, nil, []byte(`null`), 200, "INVALID_PARAMS", "请求体不是合法的JSON对象"},
		{"body truncated", "POST", pathRefund, nil, []byte(`{"terminal_sn":"1000`), 200, "INVALID_PARAMS", "请求体不是合法的JSON对象"},
		{"body empty", "POST", pathQuery, nil, nil, 200, "INVALID_PARAMS", "请求体不能为空"},
		{"body over 1 MiB", "POST", pathQuery, nil, append([]byte(`{"sn":"`), bytes.Repeat([]byte("9"), gateway.MaxBodyBytes)...), 200, "INVALID_PARAMS", "请求体过大"},
		{"terminal_sn missing", "POST", pathQuery, nil, []byte(`{"sn":"7892260101000001"}`), 200, "INVALID_PARAMS", "terminal_sn不可以为空"},
		{"terminal_sn a number", "POST", pathQuery, nil, []byte(`{"terminal_sn":100000330000000001,"sn":"1"}`), 200, "INVALID_PARAMS", "terminal_sn必须为字符串"},
		{"sn and client_sn absent", "POST", pathQuery, nil, query(func(d map[string]any) { delete(d, "sn") }), 200, "INVALID_PARAMS", "sn和client_sn不可以同时为空"},
		{"sn and client_sn empty", "POST", pathRefund, nil, refund(func(d map[string]any) { d["client_sn"], d["sn"] = "", nil }), 200, "INVALID_PARAMS", "sn和client_sn不可以同时为空"},
		{"amount not numeric", "POST", pathPay, nil, pay(func(d map[string]any) { d["total_amount"] = "1.00" }), 200, "INVALID_PARAMS", "total_amount金额为整数，长度不超过10位，以分为单位"},
		{"amount letters", "POST", pathRefund, nil, refund(func(d map[string]any) { d["refund_amount"] = "ten" }), 200, "INVALID_PARAMS", "refund_amount金额为整数，长度不超过10位，以分为单位"},
		{"amount a decimal number", "POST", pathPay, nil, pay(func(d map[string]any) { d["total_amount"] = 1.5 }), 200, "INVALID_PARAMS", "total_amount金额为整数，长度不超过10位，以分为单位"},
		{"amount an exponent", "POST", pathPay, nil, []byte(`{"terminal_sn":"100000330000000001","client_sn":"x","total_amount":1e3,"dynamic_id":"134567890123456789","subject":"s","operator":"o"}`), 200, "INVALID_PARAMS", "total_amount金额为整数，长度不超过10位，以分为单位"},
		{"amount over 10 digits", "POST", pathPay, nil, pay(func(d map[string]any) { d["total_amount"] = "12345678901" }), 200, "INVALID_PARAMS", "total_amount金额为整数，长度不超过10位，以分为单位"},
		{"amount negative", "POST", pathRefund, nil, refund(func(d map[string]any) { d["refund_amount"] = "-10" }), 200, "INVALID_PARAMS", "refund_amount不可以为负数"},
		{"amount zero", "POST", pathPay, nil, pay(func(d map[string]any) { d["total_amount"] = "0" }), 200, "INVALID_PARAMS", "total_amount必须大于0"},
		{"amount a boolean", "POST", pathPay, nil, pay(func(d map[string]any) { d["total_amount"] = true }), 200, "INVALID_PARAMS", "total_amount必须为字符串"},
		{"problems listed together", "POST", pathPay, nil, pay(func(d map[string]any) { delete(d, "client_sn"); d["total_amount"] = "-1" }), 200, "INVALID_PARAMS", "client_sn不可以为空；total_amount不可以为负数"},
		{"refund_request_no over 20", "POST", pathRefund, nil, refund(func(d map[string]any) { d["refund_request_no"] = strings.Repeat("1", 21) }), 200, "INVALID_PARAMS", "refund_request_no长度不可以超过20"},
		{"refund_request_no over 20 on query", "POST", pathQuery, nil, query(func(d map[string]any) { d["refund_request_no"] = strings.Repeat("1", 21) }), 200, "INVALID_PARAMS", "refund_request_no长度不可以超过20"},
		{"client_sn over 32", "POST", pathPay, nil, pay(func(d map[string]any) { d["client_sn"] = strings.Repeat("c", 33) }), 200, "INVALID_PARAMS", "client_sn长度不可以超过32"},
		{"refund without operator", "POST", pathRefund, nil, refund(func(d map[string]any) { delete(d, "operator") }), 200, "INVALID_PARAMS", "operator不可以为空"},
		{"payway unknown", "POST", pathPay, nil, pay(func(d map[string]any) { d["payway"] = "99" }), 200, "INVALID_PARAMS", "payway不支持99"},
		{"precreate without payway", "POST", pathPrecreate, nil, fields(pathPrecreate, precreateBody(id("bad"), "1", "3"), func(d map[string]any) { delete(d, "payway") }), 200, "INVALID_PARAMS", "payway不可以为空"},
		{"extended not an object", "POST", pathPay, nil, pay(func(d map[string]any) { d["extended"] = "goods_tag=x" }), 200, "INVALID_PARAMS", "extended必须为JSON对象"},
		{"goods_details not an array", "POST", pathPay, nil, pay(func(d map[string]any) { d["goods_details"] = map[string]any{} }), 200, "INVALID_PARAMS", "goods_details必须为JSON数组"},
		{"longitude without latitude", "POST", pathPay, nil, pay(func(d map[string]any) { d["longitude"] = "121.6" }), 200, "INVALID_PARAMS", "longitude和latitude必须同时传入"},
		{"activate without code", "POST", pathActivate, nil, []byte(`{"app_id":"2025061300009239","device_id":"POS-1"}`), 200, "INVALID_PARAMS", "code不可以为空"},
		{"checkin without device_id", "POST", pathCheckin, nil, []byte(`{"terminal_sn":"100000330000000001"}`), 200, "INVALID_PARAMS", "device_id不可以为空"},
		{"no Authorization", "POST", pathQuery, map[string]string{"Content-Type": "application/json"}, query(func(map[string]any) {}), 200, "ILLEGAL_SIGN", "签名错误"},
		{"Authorization without a signature", "POST", pathQuery, map[string]string{"Authorization": shouqianbatest.TerminalSN}, query(func(map[string]any) {}), 200, "ILLEGAL_SIGN", "签名错误"},
		{"signed with the wrong key", "POST", pathQuery, map[string]string{"Authorization": shouqianbatest.TerminalSN + " " + shouqianbatest.Sign(query(func(map[string]any) {}), "wrong")}, query(func(map[string]any) {}), 200, "ILLEGAL_SIGN", "签名错误"},
		{"unknown terminal", "POST", pathQuery, map[string]string{"Authorization": "100000330000000777 " + shouqianbatest.Sign(query(func(map[string]any) {}), "k")}, query(func(map[string]any) {}), 200, "INVALID_TERMINAL", "终端错误"},
		{"body names another terminal", "POST", pathQuery, nil, query(func(d map[string]any) { d["terminal_sn"] = "100000330000000009" }), 200, "INVALID_TERMINAL", "终端错误"},
		{"activate signed by a terminal", "POST", pathActivate, map[string]string{"Authorization": shouqianbatest.TerminalSN + " " + shouqianbatest.Sign([]byte(`{"app_id":"a","code":"1","device_id":"d"}`), shouqianbatest.TerminalKey)}, []byte(`{"app_id":"a","code":"1","device_id":"d"}`), 200, "INVALID_TERMINAL", "终端错误"},
		{"unknown path", "POST", "/upay/v2/nope", nil, []byte(`{}`), 404, "INVALID_PARAMS", "接口不存在"},
		{"unknown terminal path", "POST", "/terminal/nope", nil, []byte(`{}`), 404, "INVALID_PARAMS", "接口不存在"},
		{"wrong method", "GET", pathQuery, map[string]string{}, nil, 405, "INVALID_PARAMS", "请求方式必须为POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := tt.headers
			if headers == nil {
				headers = signed(tt.path, tt.body)
			}
			before := e.snapshot(t)
			resp, err := e.client.Do(tt.method, tt.path, headers, tt.body)
			require.NoError(t, err, "every answer is a well-formed Shouqianba response")
			assert.Equal(t, tt.status, resp.Status)
			assert.Equal(t, "400", resp.ResultCode)
			assert.Equal(t, tt.code, resp.ErrorCode)
			assert.Equal(t, tt.message, resp.ErrorMessage)
			assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"), "every refusal explains itself")
			assert.Empty(t, resp.Header.Get("X-Paysim-Scenario"))
			assert.Equal(t, before, e.snapshot(t), "bad input changes nothing")
		})
	}
}

func TestUnknownScenarioHeader(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	resp := postAs(t, e.withScenario("no-such-scenario"), pathPay, payBody(id("sc"), "100"))
	assert.Equal(t, "INVALID_PARAMS", resp.ErrorCode)
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), `no loaded scenario "no-such-scenario"`)
	assert.Equal(t, before, e.snapshot(t))
}

// The tolerances real clients need: uppercase hex, extra whitespace, any JSON content
// type or none, unknown members.
func TestAuthorizationTolerances(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("tol"), 100, nil)
	body := []byte(`{"terminal_sn":"100000330000000001","sn":"` + order.ProviderID + `","unknown_member":{"x":[1]}}`)
	sig := shouqianbatest.Sign(body, shouqianbatest.TerminalKey)
	for name, headers := range map[string]map[string]string{
		"uppercase hex":    {"Authorization": shouqianbatest.TerminalSN + " " + strings.ToUpper(sig)},
		"extra whitespace": {"Authorization": "  " + shouqianbatest.TerminalSN + " \t " + sig + " "},
		"charset":          {"Authorization": shouqianbatest.TerminalSN + " " + sig, "Content-Type": "application/json; charset=UTF-8"},
		"no content type":  {"Authorization": shouqianbatest.TerminalSN + " " + sig},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := e.client.Do(http.MethodPost, pathQuery, headers, body)
			require.NoError(t, err)
			assert.Equal(t, "SUCCESS", resp.Code(), resp.Header.Get("X-Paysim-Diagnostic"))
		})
	}
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
