package shouqianba_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// placeholder marks, in a request built by an encoder, where the bytes that are not UTF-8
// go; encoders would replace those bytes, so they are put in after encoding.
const placeholder = "@NOT-UTF8@"

// A string that is not UTF-8, anywhere in a signed body, is refused with INVALID_PARAMS
// and an error_message naming it, once the signature verifies; it is never stored as
// U+FFFD.
func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("utf8"), 100, nil)
	// body encodes fields after mutate, with the placeholder replaced by bad.
	body := func(path string, fields map[string]any, bad string, mutate func(map[string]any)) []byte {
		mutate(fields)
		b, err := e.client.Body(path, fields)
		require.NoError(t, err)
		return bytes.ReplaceAll(b, []byte(placeholder), []byte(bad))
	}
	pay := func(bad string, mutate func(map[string]any)) []byte {
		return body(pathPay, payBody(id("utf8"), "100"), bad, mutate)
	}
	refund := func(bad string, mutate func(map[string]any)) []byte {
		return body(pathRefund, refundBody(order.ID, id("r"), "10"), bad, mutate)
	}
	set := func(k string, v any) func(map[string]any) { return func(d map[string]any) { d[k] = v } }
	tests := []struct {
		name    string
		path    string
		body    []byte
		tamper  bool // signed before the bad bytes went in
		code    string
		message string
		field   string // named by the diagnostic
	}{
		{"free text", pathPay, pay("\xff\xfe", set("subject", "测试"+placeholder)), false, "INVALID_PARAMS", "subject不是合法的UTF-8字符串", "subject"},
		{"GBK text", pathPay, pay("\xb2\xe2\xca\xd4", set("subject", placeholder)), false, "INVALID_PARAMS", "subject不是合法的UTF-8字符串", "subject"},
		{"a character cut short", pathPay, pay("\xe4\xb8", set("operator", "中"+placeholder)), false, "INVALID_PARAMS", "operator不是合法的UTF-8字符串", "operator"},
		{"order id", pathPay, pay("\xff", set("client_sn", "c"+placeholder)), false, "INVALID_PARAMS", "client_sn不是合法的UTF-8字符串", "client_sn"},
		{"amount", pathRefund, refund("\xc0", set("refund_amount", "1"+placeholder)), false, "INVALID_PARAMS", "refund_amount不是合法的UTF-8字符串", "refund_amount"},
		{"terminal, before it is compared", pathRefund, refund("\xff", set("terminal_sn", shouqianbatest.TerminalSN+placeholder)), false, "INVALID_PARAMS", "terminal_sn不是合法的UTF-8字符串", "terminal_sn"},
		{"unknown member", pathRefund, refund("\xff\xfe", set("x_note", placeholder)), false, "INVALID_PARAMS", "x_note不是合法的UTF-8字符串", "x_note"},
		{"inside extended", pathPay, pay("\xff", set("extended", map[string]any{"goods_tag": placeholder})), false, "INVALID_PARAMS", "extended.goods_tag不是合法的UTF-8字符串", "extended.goods_tag"},
		{"inside goods_details", pathPay, pay("\xff", set("goods_details", []any{map[string]any{"goods_name": placeholder}})), false, "INVALID_PARAMS", "goods_details[0].goods_name不是合法的UTF-8字符串", "goods_details[0].goods_name"},
		{"tampered: the signature error first", pathRefund, refund("\xff\xfe", set("x_note", placeholder)), true, "ILLEGAL_SIGN", "签名错误", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signed := tt.body
			if tt.tamper {
				signed = bytes.ReplaceAll(tt.body, []byte("\xff\xfe"), []byte(placeholder))
			}
			headers := map[string]string{"Content-Type": "application/json", "Authorization": e.client.Authorization(tt.path, signed)}
			before := e.snapshot(t)
			resp, err := e.client.Do("POST", tt.path, headers, tt.body)
			require.NoError(t, err, "every answer is a well-formed Shouqianba response")
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, "400", resp.ResultCode)
			assert.Equal(t, tt.code, resp.ErrorCode)
			assert.Equal(t, tt.message, resp.ErrorMessage)
			if tt.field != "" {
				assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), tt.field+" is not valid UTF-8")
			}
			assert.Equal(t, before, e.snapshot(t), "nothing is booked")
		})
	}
}

// Activation is signed by the vendor and books a terminal: refused the same way.
func TestInvalidUTF8Activate(t *testing.T) {
	e := newEnv(t)
	body := []byte("{\"app_id\":\"2025061300009239\",\"code\":\"42167943\",\"device_id\":\"POS-\xff\"}")
	before := e.snapshot(t)
	resp, err := e.client.PostRaw(pathActivate, body)
	require.NoError(t, err)
	assert.Equal(t, "INVALID_PARAMS", resp.ErrorCode)
	assert.Equal(t, "device_id不是合法的UTF-8字符串", resp.ErrorMessage)
	assert.False(t, resp.HasData(), "no terminal is issued")
	assert.Equal(t, before, e.snapshot(t))
}

// Served unverified (verify mode log or off), such a request is still refused.
func TestInvalidUTF8Unverified(t *testing.T) {
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			fields := payBody(id("utf8"), "100")
			fields["subject"] = placeholder
			b, err := e.client.Body(pathPay, fields)
			require.NoError(t, err)
			headers := map[string]string{"Content-Type": "application/json", "Authorization": e.client.Authorization(pathPay, b)}
			before := e.snapshot(t)
			resp, err := e.client.Do("POST", pathPay, headers, bytes.ReplaceAll(b, []byte(placeholder), []byte("\xff\xfe")))
			require.NoError(t, err)
			assert.Equal(t, "INVALID_PARAMS", resp.ErrorCode)
			assert.Equal(t, "subject不是合法的UTF-8字符串", resp.ErrorMessage)
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}
