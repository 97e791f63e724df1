package huishouqian_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

const formType = "application/x-www-form-urlencoded"

// Bad input of every kind gets the signed error envelope with a clear errorMsg and a
// diagnostic, and changes nothing.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	unpaid := id("MS")
	require.True(t, e.post(t, mainSwept, mainSweptBiz(unpaid, "100", "DYNAMIC_ALL")).Success)

	// signedForm signs f after mutate, the way a client that means it would.
	signedForm := func(method, content string, mutate func(*huishouqiantest.Form)) []byte {
		f := huishouqiantest.Form{Method: method, Version: "1.0", Format: "JSON", MerchantNo: huishouqiantest.MerchantNo, SignType: "RSA2", SignContent: content}
		if mutate != nil {
			mutate(&f)
		}
		f, err := e.client.SignForm(f)
		require.NoError(t, err)
		return f.Encode()
	}
	// signedBiz signs a business payload for method after mutate.
	signedBiz := func(method string, biz map[string]any, mutate func(map[string]any)) []byte {
		mutate(biz)
		content, err := huishouqiantest.SignContent(biz)
		require.NoError(t, err)
		return signedForm(method, content, nil)
	}
	validRefund := func(mutate func(map[string]any)) []byte {
		return signedBiz(refund, refundBiz("RF-BAD", pay.ID, "10"), mutate)
	}
	validPay := func(mutate func(map[string]any)) []byte {
		return signedBiz(mainSwept, mainSweptBiz("MS-BAD", "100", "WECHAT_JSAPI"), mutate)
	}
	validBarcode := func(mutate func(map[string]any)) []byte {
		return signedBiz(beSwept, barcodeBiz("BS-BAD", "100", "WECHAT_MICROPAY", "134567890123456789"), mutate)
	}
	// unsigned replaces the sign of a valid form.
	unsigned := func(sign string) []byte {
		body := string(signedForm(query, `{"transNo":"X"}`, nil))
		return []byte(body[:strings.Index(body, "&sign=")] + "&sign=" + sign)
	}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        []byte
		status      int
		code, msg   string
		diag        string
	}{
		{"empty body", "POST", huishouqiantest.Path, formType, nil, 200, "PARAM_ERROR", "参数错误:请求内容为空", "empty"},
		{"JSON instead of a form", "POST", huishouqiantest.Path, "application/json", []byte(`{"method":"POLYMERIZE_QUERY","merchantNo":"864000000001"}`), 200, "PARAM_ERROR", "参数错误:请求须为表单格式", "the body is JSON"},
		{"JSON labelled as a form", "POST", huishouqiantest.Path, formType, []byte(`{"method":"POLYMERIZE_QUERY"}`), 200, "PARAM_ERROR", "参数错误:请求须为表单格式", "the body is JSON"},
		{"wrong content type", "POST", huishouqiantest.Path, "text/plain", []byte(`method=x`), 200, "PARAM_ERROR", "参数错误:请求须为表单格式", `Content-Type is "text/plain"`},
		{"malformed form", "POST", huishouqiantest.Path, formType, []byte(`method=%zz&merchantNo=864000000001`), 200, "PARAM_ERROR", "参数错误:表单格式错误", "not a valid form"},
		{"multipart without boundary", "POST", huishouqiantest.Path, "multipart/form-data", []byte(`x`), 200, "PARAM_ERROR", "参数错误:表单格式错误", "boundary"},
		{"body over 1 MiB", "POST", huishouqiantest.Path, formType, append([]byte("merchantNo=864000000001&extend="), bytes.Repeat([]byte("x"), gateway.MaxBodyBytes)...), 200, "PARAM_ERROR", "参数错误:请求内容过大", "larger than"},
		{"no merchantNo", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"}`, func(f *huishouqiantest.Form) { f.MerchantNo = "" }), 200, "PARAM_ERROR", "参数错误:merchantNo", "no merchantNo"},
		{"unknown merchantNo", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"}`, func(f *huishouqiantest.Form) { f.MerchantNo = "864000009999" }), 200, "SIGN_ERROR", "验签失败", "not a known merchant"},
		{"no sign", "POST", huishouqiantest.Path, formType, unsigned(""), 200, "SIGN_ERROR", "验签失败", "the form has no sign"},
		{"sign not hex", "POST", huishouqiantest.Path, formType, unsigned("zz"), 200, "SIGN_ERROR", "验签失败", "sign is not hex"},
		{"sign of other text", "POST", huishouqiantest.Path, formType, unsigned(e.client.SignText("other")), 200, "SIGN_ERROR", "验签失败", "expected signed text"},
		{"signType CFCA", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"}`, func(f *huishouqiantest.Form) { f.SignType = "CFCA" }), 200, "SIGN_ERROR", "验签失败", `signType "CFCA" is not supported`},
		{"no method", "POST", huishouqiantest.Path, formType, signedForm("", `{"transNo":"X"}`, nil), 200, "PARAM_ERROR", "参数错误:method", "no method"},
		{"unknown method", "POST", huishouqiantest.Path, formType, signedForm("POLYMERIZE_CLOSE", `{"transNo":"X"}`, nil), 200, "METHOD_NOT_SUPPORT", "不支持的接口", `method "POLYMERIZE_CLOSE" is not served`},
		{"no version", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"}`, func(f *huishouqiantest.Form) { f.Version = "" }), 200, "PARAM_ERROR", "参数错误:version", "no version"},
		{"format XML", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"}`, func(f *huishouqiantest.Form) { f.Format = "XML" }), 200, "PARAM_ERROR", "参数错误:format", `format is "XML"`},
		{"no signContent", "POST", huishouqiantest.Path, formType, signedForm(query, "", nil), 200, "PARAM_ERROR", "参数错误:signContent", "no signContent"},
		{"signContent not JSON", "POST", huishouqiantest.Path, formType, signedForm(query, `transNo=X`, nil), 200, "PARAM_ERROR", "参数错误:signContent", "not a JSON object"},
		{"signContent an array", "POST", huishouqiantest.Path, formType, signedForm(query, `["X"]`, nil), 200, "PARAM_ERROR", "参数错误:signContent", "not a JSON object"},
		{"signContent null", "POST", huishouqiantest.Path, formType, signedForm(query, `null`, nil), 200, "PARAM_ERROR", "参数错误:signContent", "not a JSON object"},
		{"signContent truncated", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":"X"`, nil), 200, "PARAM_ERROR", "参数错误:signContent", "not a JSON object"},
		{"missing transNo", "POST", huishouqiantest.Path, formType, signedForm(query, `{"queryType":"2"}`, nil), 200, "PARAM_ERROR", "参数错误:transNo", "transNo is required"},
		{"empty transNo", "POST", huishouqiantest.Path, formType, signedForm(refundQuery, `{"transNo":""}`, nil), 200, "PARAM_ERROR", "参数错误:transNo", "transNo is required"},
		{"null transNo", "POST", huishouqiantest.Path, formType, signedForm(refundQuery, `{"transNo":null}`, nil), 200, "PARAM_ERROR", "参数错误:transNo", "transNo is required"},
		{"transNo an object", "POST", huishouqiantest.Path, formType, signedForm(query, `{"transNo":{"a":1}}`, nil), 200, "PARAM_ERROR", "参数错误:transNo", "must be a string"},
		{"transNo too long", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["transNo"] = strings.Repeat("9", 65) }), 200, "PARAM_ERROR", "参数错误:transNo", "at most 64"},
		{"refund without amount", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { delete(b, "orderAmt") }), 200, "PARAM_ERROR", "参数错误:orderAmt", "orderAmt is required"},
		{"amount zero", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = "0" }), 200, "PARAM_ERROR", "参数错误:orderAmt", "at least 1 fen"},
		{"amount zero as integer", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = 0 }), 200, "PARAM_ERROR", "参数错误:orderAmt", "at least 1 fen"},
		{"amount negative", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = -5 }), 200, "PARAM_ERROR", "参数错误:orderAmt", "not a whole number of fen"},
		{"amount in yuan", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = "0.10" }), 200, "PARAM_ERROR", "参数错误:orderAmt", "not a whole number of fen"},
		{"amount a fraction", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = 1.5 }), 200, "PARAM_ERROR", "参数错误:orderAmt", "not a whole number of fen"},
		{"amount with exponent", "POST", huishouqiantest.Path, formType, signedForm(refund, `{"transNo":"RF-BAD","origTransNo":"`+pay.ID+`","orderAmt":1e2,"requestDate":"20260101100000"}`, nil), 200, "PARAM_ERROR", "参数错误:orderAmt", "not a whole number of fen"},
		{"amount not a number", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = "ten" }), 200, "PARAM_ERROR", "参数错误:orderAmt", "not a whole number of fen"},
		{"amount a boolean", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = true }), 200, "PARAM_ERROR", "参数错误:orderAmt", "must be a string"},
		{"amount too long", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["orderAmt"] = "12345678901234567" }), 200, "PARAM_ERROR", "参数错误:orderAmt", "at most 16"},
		{"origOrderAmt in yuan", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["origOrderAmt"] = "1.00" }), 200, "PARAM_ERROR", "参数错误:origOrderAmt", "not a whole number of fen"},
		{"refund without origTransNo", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { delete(b, "origTransNo") }), 200, "PARAM_ERROR", "参数错误:origTransNo", "origTransNo is required"},
		{"bad requestDate", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["requestDate"] = "2026-01-01 10:00:00" }), 200, "PARAM_ERROR", "参数错误:requestDate", "yyyyMMddHHmmss"},
		{"impossible requestDate", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["requestDate"] = "20260231100000" }), 200, "PARAM_ERROR", "参数错误:requestDate", "yyyyMMddHHmmss"},
		{"extend too long", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["extend"] = strings.Repeat("长", 129) }), 200, "PARAM_ERROR", "参数错误:extend", "at most 128"},
		{"pay without goodsInfo", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { delete(b, "goodsInfo") }), 200, "PARAM_ERROR", "参数错误:goodsInfo", "goodsInfo is required"},
		{"unknown payType", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { b["payType"] = "WECHAT_NATIVE" }), 200, "PARAM_ERROR", "参数错误:payType", `"WECHAT_NATIVE" is not one of`},
		{"barcode payType on main-swept", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { b["payType"] = "WECHAT_MICROPAY" }), 200, "PARAM_ERROR", "参数错误:payType", "is not one of"},
		{"memo not JSON", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { b["memo"] = "openid=x" }), 200, "PARAM_ERROR", "参数错误:memo", "JSON object inside a string"},
		{"memo.timeExpire malformed", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { b["memo"] = `{"timeExpire":"30m"}` }), 200, "PARAM_ERROR", "参数错误:memo.timeExpire", "yyyyMMddHHmmss"},
		{"memo.timeExpire passed", "POST", huishouqiantest.Path, formType, validPay(func(b map[string]any) { b["memo"] = `{"timeExpire":"20260101095959"}` }), 200, "PARAM_ERROR", "参数错误:memo.timeExpire", "not after the current time"},
		{"barcode without payCode", "POST", huishouqiantest.Path, formType, validBarcode(func(b map[string]any) { delete(b, "payCode") }), 200, "PARAM_ERROR", "参数错误:payCode", "payCode is required"},
		{"barcode payCode not digits", "POST", huishouqiantest.Path, formType, validBarcode(func(b map[string]any) { b["payCode"] = "13456789012345678X" }), 200, "PARAM_ERROR", "参数错误:payCode", "digits only"},
		{"QR payType on barcode", "POST", huishouqiantest.Path, formType, validBarcode(func(b map[string]any) { b["payType"] = "WECHAT_JSAPI" }), 200, "PARAM_ERROR", "参数错误:payType", "is not one of"},
		{"refund of an unpaid order", "POST", huishouqiantest.Path, formType, validRefund(func(b map[string]any) { b["origTransNo"] = unpaid }), 200, "ORDER_STATUS_ERROR", "订单状态不允许该操作", "only a paid payment"},
		{"unknown path", "POST", "/api/acquiring/v2", formType, []byte(`a=b`), 404, "METHOD_NOT_SUPPORT", "不支持的接口", "every method is posted to /api/acquiring"},
		{"wrong HTTP method", "GET", huishouqiantest.Path, "", nil, 405, "PARAM_ERROR", "参数错误:请求方式必须为POST", "serves POST only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.Do(tt.method, tt.path, tt.contentType, tt.body)
			require.NoError(t, err, "every answer is a signed Huishouqian envelope")
			assert.Equal(t, tt.status, resp.Status)
			assert.False(t, resp.Success)
			assert.Equal(t, tt.code, resp.ErrorCode)
			assert.Equal(t, tt.msg, resp.ErrorMsg)
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), tt.diag, "every refusal explains itself")
			assert.Equal(t, before, e.snapshot(t), "bad input changes nothing")
		})
	}
}

func TestWrongMethodAnswerHasAllow(t *testing.T) {
	e := newEnv(t)
	req, err := http.NewRequest(http.MethodPut, e.srv.URL+huishouqiantest.Path, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST", resp.Header.Get("Allow"))
}

// The diagnostic of a signature failure shows the expected text, non-ASCII quoted, the
// secret redacted.
func TestSignatureDiagnostic(t *testing.T) {
	e := newEnv(t)
	content, err := huishouqiantest.SignContent(map[string]any{"transNo": "X", "extend": "中文"})
	require.NoError(t, err)
	f, err := e.client.NewForm(query, content)
	require.NoError(t, err)
	f.SignContent = `{"transNo":"X","extend":"中文"}` // the raw form of the same JSON: not what was signed
	resp, err := e.client.PostForm(f)
	require.NoError(t, err)
	assert.Equal(t, "SIGN_ERROR", resp.ErrorCode)
	diag := resp.Header.Get("X-Paysim-Diagnostic")
	assert.Contains(t, diag, `signContent={\"transNo\":\"X\",\"extend\":\"\u4e2d\u6587\"}&key=<sign key redacted>`)
	assert.Contains(t, diag, "keys/huishouqian/merchant_cert.pem")
}

// Huishouqian claims /api/acquiring and the paths under /api/acquiring/ only: the rest of
// /api/ is Shouqianba's (/api/v2/) or nobody's, answered by the server's generic 404.
func TestOnlyAcquiringPathsClaimed(t *testing.T) {
	e := newEnv(t)
	m := e.provider.Mount(gateway.New(e.core, gateway.VerifyStrict))
	assert.Equal(t, []string{huishouqiantest.Path}, m.Paths())
	assert.Equal(t, []string{huishouqiantest.Path + "/"}, m.Prefixes)
	require.NoError(t, gateway.CheckOverlaps(map[string]gateway.Mounts{"huishouqian": m, "shouqianba": {Prefixes: []string{"/api/v2/"}}}))

	resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, e.srv.URL+"/api/v2/pay", http.Header{"Content-Type": {formType}}, nil, []byte(`a=b`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Contains(t, string(raw), "POST /api/v2/pay is not a path paysim serves")
	assert.NotContains(t, string(raw), `"sign"`, "not answered in Huishouqian's shape")
}
