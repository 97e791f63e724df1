package umpay_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
)

// placeholder marks, in a request built by an encoder, where the bytes that are not UTF-8
// go; encoders would replace those bytes, so they are put in after encoding.
const placeholder = "@NOT-UTF8@"

// asIs signs fields with every placeholder replaced by bad, as the signed text a client
// builds from the bytes it holds, and sends those bytes as they are. tamper puts bad in
// only after signing the placeholder: not what was signed.
func (e *env) asIs(t *testing.T, fields map[string]any, bad string, tamper bool) []byte {
	t.Helper()
	withBad := make(map[string]any, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok && !tamper {
			v = strings.ReplaceAll(s, placeholder, bad)
		}
		withBad[k] = v
	}
	text, err := e.client.SignText(withBad)
	require.NoError(t, err)
	sig, err := e.client.SignString(text)
	require.NoError(t, err)
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out["signature"] = sig
	body, err := json.Marshal(out)
	require.NoError(t, err)
	return bytes.ReplaceAll(body, []byte(placeholder), []byte(bad))
}

// A string member that is not UTF-8 is refused with 10 and a respMsg naming it, once the
// signature verifies; it is never stored as U+FFFD.
func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	micropay := func(k, v string) map[string]any { return with(micropayData(id("MP-UTF8"), "100", "wechat"), k, v) }
	refund := func(k, v string) map[string]any {
		return with(refundData(id("RF-UTF8"), pay.ID, "100", "10"), k, v)
	}
	tests := []struct {
		name   string
		path   string
		fields map[string]any
		bad    string
		tamper bool
		code   string
		msg    string
		field  string // named by the diagnostic
	}{
		{"free text", pathMicropay, micropay("goodsInfo", "测试"+placeholder), "\xff\xfe", false, "10", "报文格式错误:goodsInfo不是合法的UTF-8字符串", "goodsInfo"},
		{"GBK text", pathMicropay, micropay("goodsInfo", placeholder), "\xb2\xe2\xca\xd4", false, "10", "报文格式错误:goodsInfo不是合法的UTF-8字符串", "goodsInfo"},
		{"a character cut short", pathMicropay, micropay("goodsInfo", "中"+placeholder), "\xe4\xb8", false, "10", "报文格式错误:goodsInfo不是合法的UTF-8字符串", "goodsInfo"},
		{"order number", pathMicropay, micropay("orderNo", "MP"+placeholder), "\xff", false, "10", "报文格式错误:orderNo不是合法的UTF-8字符串", "orderNo"},
		{"amount", pathRefund, refund("txnAmt", "1"+placeholder), "\xc0", false, "10", "报文格式错误:txnAmt不是合法的UTF-8字符串", "txnAmt"},
		{"merchant, before it is looked up", pathRefund, refund("acqMerId", "42516662"+placeholder), "\xff", false, "10", "报文格式错误:acqMerId不是合法的UTF-8字符串", "acqMerId"},
		{"unknown member", pathRefund, refund("x_note", placeholder), "\xff\xfe", false, "10", "报文格式错误:x_note不是合法的UTF-8字符串", "x_note"},
		{"tampered: the signature error first", pathRefund, refund("x_note", placeholder), "\xff\xfe", true, "11", "验证签名失败", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.Do("POST", tt.path, "application/json", e.asIs(t, tt.fields, tt.bad, tt.tamper))
			require.NoError(t, err, "every answer is a signed Umpay response")
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, tt.code, resp.Code())
			assert.Equal(t, tt.msg, resp.Fields["respMsg"])
			if tt.field != "" {
				assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), tt.field+" is not valid UTF-8")
			}
			assert.Equal(t, before, e.snapshot(t), "nothing is booked")
		})
	}
}

// Served unverified (verify mode log or off), such a request is still refused.
func TestInvalidUTF8Unverified(t *testing.T) {
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			body := e.asIs(t, with(micropayData(id("MP-UTF8"), "100", "wechat"), "goodsInfo", placeholder), "\xff\xfe", true)
			before := e.snapshot(t)
			resp, err := e.client.Do("POST", pathMicropay, "application/json", body)
			require.NoError(t, err)
			assert.Equal(t, "10", resp.Code())
			assert.Equal(t, "报文格式错误:goodsInfo不是合法的UTF-8字符串", resp.Fields["respMsg"])
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}
