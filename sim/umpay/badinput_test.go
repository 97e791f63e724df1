package umpay_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// Bad input of every kind gets a signed Umpay error with a clear respMsg and a
// diagnostic, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	signed := func(mutate func(map[string]any)) []byte {
		d := micropayData("MP-BAD", "100", "wechat")
		mutate(d)
		b, err := e.client.SignedBody(d)
		require.NoError(t, err)
		return b
	}
	const sp = `"acqSpId":"Y000000001"`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code        string
		msg         string
	}{
		{"empty body", "POST", pathMicropay, "application/json", nil, 200, "10", "报文格式错误:报文为空"},
		{"not JSON", "POST", pathMicropay, "application/json", []byte(`acqSpId=Y000000001`), 200, "10", "报文格式错误:报文不是合法的JSON对象"},
		{"truncated JSON", "POST", pathMicropay, "application/json", []byte(`{"acqSpId":`), 200, "10", "报文格式错误:报文不是合法的JSON对象"},
		{"JSON array", "POST", pathMicropay, "application/json", []byte(`[1,2]`), 200, "10", "报文格式错误:报文不是合法的JSON对象"},
		{"form content type", "POST", pathMicropay, "application/x-www-form-urlencoded", []byte(`a=b`), 200, "10", "报文格式错误:Content-Type必须为application/json"},
		{"no content type", "POST", pathMicropay, "", []byte(`{}`), 200, "10", "报文格式错误:Content-Type必须为application/json"},
		{"body over 1 MiB", "POST", pathMicropay, "application/json", append([]byte(`{"acqSpId":"`), bytes.Repeat([]byte("x"), gateway.MaxBodyBytes)...), 200, "10", "报文格式错误:报文长度超过限制"},
		{"no acqSpId", "POST", pathMicropay, "application/json", []byte(`{"acqMerId":"42516662","signature":"AA=="}`), 200, "13", "要素缺失:acqSpId"},
		{"acqSpId a number", "POST", pathMicropay, "application/json", []byte(`{"acqSpId":1,"signature":"AA=="}`), 200, "10", "报文格式错误:acqSpId必须为字符串"},
		{"nested object", "POST", pathMicropay, "application/json", []byte(`{` + sp + `,"goodsInfo":{"a":1},"signature":"AA=="}`), 200, "10", "报文格式错误:goodsInfo不能为对象或数组"},
		{"signature a number", "POST", pathMicropay, "application/json", []byte(`{` + sp + `,"signature":1}`), 200, "10", "报文格式错误:signature必须为字符串"},
		{"no signature", "POST", pathMicropay, "application/json", []byte(`{` + sp + `,"acqMerId":"42516662"}`), 200, "11", "验证签名失败"},
		{"signature not base64", "POST", pathMicropay, "application/json", []byte(`{` + sp + `,"signature":"***"}`), 200, "11", "验证签名失败"},
		{"missing acqMerId", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { delete(d, "acqMerId") }), 200, "13", "要素缺失:acqMerId"},
		{"acqMerId a number", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["acqMerId"] = 42516662 }), 200, "10", "报文格式错误:acqMerId必须为字符串"},
		{"missing orderNo", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { delete(d, "orderNo") }), 200, "13", "要素缺失:orderNo"},
		{"empty orderNo is absent", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderNo"] = "" }), 200, "13", "要素缺失:orderNo"},
		{"orderNo a number", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderNo"] = 7 }), 200, "10", "报文格式错误:orderNo必须为字符串"},
		{"orderNo too long", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderNo"] = strings.Repeat("9", 65) }), 200, "10", "报文格式错误:orderNo长度不能超过64"},
		{"missing txnAmt", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { delete(d, "txnAmt") }), 200, "13", "要素缺失:txnAmt"},
		{"non-numeric txnAmt", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = "abc" }), 200, "10", "报文格式错误:txnAmt必须为以分为单位的整数"},
		{"txnAmt in yuan", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = "1.00" }), 200, "10", "报文格式错误:txnAmt必须为以分为单位的整数"},
		{"txnAmt a fraction", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = json.Number("1.5") }), 200, "10", "报文格式错误:txnAmt必须为以分为单位的整数"},
		{"txnAmt a boolean", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = true }), 200, "10", "报文格式错误:txnAmt必须为以分为单位的整数"},
		{"zero txnAmt", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = "0" }), 200, "08", "无效金额"},
		{"negative txnAmt", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = -1 }), 200, "08", "无效金额"},
		{"txnAmt over 13 digits", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["txnAmt"] = "12345678901234" }), 200, "08", "无效金额"},
		{"unknown orderType", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderType"] = "bitcoin" }), 200, "10", "报文格式错误:orderType不支持[bitcoin]"},
		{"QR orderType on micropay", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderType"] = "wechatJs" }), 200, "10", "报文格式错误:orderType不支持[wechatJs]"},
		{"missing orderType", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { delete(d, "orderType") }), 200, "13", "要素缺失:orderType"},
		{"bad orderTime", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderTime"] = "2026-01-01 10:00:00" }), 200, "10", "报文格式错误:orderTime格式应为yyyyMMddHHmmss"},
		{"impossible orderTime", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["orderTime"] = "20260231100000" }), 200, "10", "报文格式错误:orderTime格式应为yyyyMMddHHmmss"},
		{"authCode not digits", "POST", pathMicropay, "application/json", signed(func(d map[string]any) { d["authCode"] = "abc" }), 200, "10", "报文格式错误:authCode必须为数字"},
		{"unknown path", "POST", "/pay/preorder", "application/json", []byte(`{}`), 404, "10", "接口不存在"},
		{"unknown path under the base", "POST", "/entry-provider-plat-client/nope", "application/json", []byte(`{}`), 404, "10", "接口不存在"},
		{"unknown name under the base's pay/", "POST", "/entry-provider-plat-client/pay/preorder", "application/json", []byte(`{}`), 404, "10", "接口不存在"},
		{"a route name below another path", "POST", "/pay/x/queryOrder", "application/json", []byte(`{}`), 404, "10", "接口不存在"},
		{"pay/ itself", "POST", "/pay/", "application/json", []byte(`{}`), 404, "10", "接口不存在"},
		{"wrong method on a case-insensitive name", "GET", "/pay/QUERYORDER", "", nil, 405, "10", "请求方式必须为POST"},
		{"wrong method", "GET", pathMicropay, "", nil, 405, "10", "请求方式必须为POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.Do(tt.method, tt.path, tt.contentType, tt.body)
			require.NoError(t, err, "every answer is a signed Umpay response")
			assert.Equal(t, tt.status, resp.Status)
			assert.Equal(t, tt.code, resp.Code())
			assert.Equal(t, tt.msg, resp.Fields["respMsg"])
			assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"), "every refusal explains itself")
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, before, e.snapshot(t), "bad input changes nothing")
		})
	}
}

// Every route validates its own members.
func TestRouteRequirements(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		path string
		data map[string]any
		msg  string
	}{
		{pathQRPay, with(qrpayData("QR-X", "100", "wechat"), "paymentValidTime", "5min"), "报文格式错误:paymentValidTime必须为数字"},
		{pathUnified, with(unifiedData("JS-X", "100", "wechatJs"), "userId", ""), "要素缺失:userId"},
		{pathUnified, unifiedData("JS-X", "100", "wechat"), "报文格式错误:orderType不支持[wechat]"},
		{pathQuery, with(ids()), "要素缺失:orderNo"},
		{pathRefund, with(refundData("RF-X", "PAY", "100", "10"), "origTxnAmt", nil), "要素缺失:origTxnAmt"},
		{pathRefund, with(refundData("RF-X", "PAY", "100", "10"), "origOrderNo", ""), "要素缺失:origOrderNo"},
		{pathRefund, with(refundData("RF-X", "PAY", "100", "10"), "orderTime", nil), "要素缺失:orderTime"},
		{pathRefundQuery, with(ids()), "要素缺失:orderNo"},
		{pathClose, with(ids()), "要素缺失:orderNo"},
		{pathCancel, with(ids()), "要素缺失:orderNo"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.msg, func(t *testing.T) {
			before := e.snapshot(t)
			resp := e.post(t, tt.path, tt.data)
			assert.Contains(t, []string{"10", "13"}, resp.Code())
			assert.Equal(t, tt.msg, resp.Fields["respMsg"])
			assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}

func TestVerifyModes(t *testing.T) {
	var v vector
	for _, x := range loadVectors(t, "tampered") {
		if strings.HasSuffix(x.Path, "/queryOrder") {
			v = x
		}
	}
	require.NotEmpty(t, v.Body)
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			resp := e.replay(t, v)
			assert.NotEqual(t, "11", resp.Code(), "served despite the bad signature")
			assert.Equal(t, "31", resp.Code(), "the tampered acqMerId is then checked like any other")
		})
	}
	t.Run("off accepts no signature at all", func(t *testing.T) {
		e := newEnvVerify(t, gateway.VerifyOff)
		pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
		body, err := json.Marshal(queryData(pay.ID))
		require.NoError(t, err)
		resp, err := e.client.Do("POST", pathQuery, "application/json", body)
		require.NoError(t, err)
		assert.Equal(t, "00", resp.Code())
	})
}

func TestWrongMethodAnswerHasAllow(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+pathQuery, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
}

// The client really checks: a response altered after signing does not verify.
func TestClientRejectsAlteredResponses(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	resp := e.post(t, pathQuery, queryData(pay.ID))
	platform, err := umpaytest.LoadCertificate(paysim.DefaultKeys(), "umpay/platform_cert.der")
	require.NoError(t, err)
	_, _, err = umpaytest.Verify(platform, resp.Body)
	require.NoError(t, err)
	altered := bytes.Replace(resp.Body, []byte(`"txnAmt":100`), []byte(`"txnAmt":101`), 1)
	require.NotEqual(t, resp.Body, altered)
	_, _, err = umpaytest.Verify(platform, altered)
	assert.ErrorContains(t, err, "does not verify")
	asString := bytes.Replace(resp.Body, []byte(`"txnAmt":100`), []byte(`"txnAmt":"100"`), 1)
	_, _, err = umpaytest.Verify(platform, asString)
	assert.ErrorContains(t, err, "JSON number")
}
