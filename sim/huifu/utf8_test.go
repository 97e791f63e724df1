package huifu_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
)

// placeholder marks, in a request built by an encoder, where the bytes that are not UTF-8
// go; encoders would replace those bytes, so they are put in after encoding.
const placeholder = "@NOT-UTF8@"

// A string that is not UTF-8, anywhere in a signed request, is refused with 10000000 and
// a resp_desc naming it, once the signature verifies; it is never stored as U+FFFD.
func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	// asIs signs the refund's data after mutate with the placeholder replaced by bad, the
	// bytes signed as sent.
	asIs := func(bad string, mutate func(map[string]any)) []byte {
		d := refundData(id("rf-utf8"), pay.ID, "0.10")
		mutate(d)
		text, err := json.Marshal(d)
		require.NoError(t, err)
		body, err := e.client.SignedDataBody(bytes.ReplaceAll(text, []byte(placeholder), []byte(bad)))
		require.NoError(t, err)
		return body
	}
	// asString sends data as a JSON string (some plugins), the string signed as sent.
	asString := func(bad string, mutate func(map[string]any)) []byte {
		d := refundData(id("rf-utf8"), pay.ID, "0.10")
		mutate(d)
		text, err := json.Marshal(d)
		require.NoError(t, err)
		text = bytes.ReplaceAll(text, []byte(placeholder), []byte(bad))
		signed, err := e.client.SignedDataBody(text)
		require.NoError(t, err)
		var env map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(signed, &env))
		quoted := append(append([]byte(`"`), bytes.ReplaceAll(text, []byte(`"`), []byte(`\"`))...), '"')
		return []byte(`{"sys_id":"` + e.client.SysID + `","product_id":"` + e.client.ProductID + `","data":` + string(quoted) + `,"sign":` + string(env["sign"]) + `}`)
	}
	// tampered signs the data with the placeholder, then puts bad in: not what was signed.
	tampered := func(bad string, mutate func(map[string]any)) []byte {
		d := refundData(id("rf-utf8"), pay.ID, "0.10")
		mutate(d)
		body, err := e.client.SignedBody(d)
		require.NoError(t, err)
		return bytes.ReplaceAll(body, []byte(placeholder), []byte(bad))
	}
	// envelope puts bad in product_id, which Huifu does not sign.
	envelope := func(bad string) []byte {
		c := *e.client
		c.ProductID = placeholder
		body, err := c.SignedBody(refundData(id("rf-utf8"), pay.ID, "0.10"))
		require.NoError(t, err)
		return bytes.ReplaceAll(body, []byte(placeholder), []byte(bad))
	}
	set := func(k string, v any) func(map[string]any) { return func(d map[string]any) { d[k] = v } }
	tests := []struct {
		name  string
		body  []byte
		desc  string
		field string // named by the diagnostic
	}{
		{"free text", asIs("\xff\xfe", set("remark", "备注"+placeholder)), "remark不是合法的UTF-8字符串", "remark"},
		{"request id", asIs("\xff\xfe", set("req_seq_id", "rf"+placeholder)), "req_seq_id不是合法的UTF-8字符串", "req_seq_id"},
		{"amount", asIs("\xc0", set("ord_amt", "0.1"+placeholder)), "ord_amt不是合法的UTF-8字符串", "ord_amt"},
		{"a character cut short", asIs("\xe4\xb8", set("remark", "中"+placeholder)), "remark不是合法的UTF-8字符串", "remark"},
		{"GBK text", asIs("\xb2\xe2\xca\xd4", set("remark", placeholder)), "remark不是合法的UTF-8字符串", "remark"},
		{"unknown member", asIs("\xff", set("x_note", placeholder)), "x_note不是合法的UTF-8字符串", "x_note"},
		{"nested member", asIs("\xff", set("x_extra", map[string]any{"items": []any{map[string]any{"name": placeholder}}})), "x_extra.items[0].name不是合法的UTF-8字符串", "x_extra.items[0].name"},
		{"data as a JSON string", asString("\xff\xfe", set("remark", placeholder)), "remark不是合法的UTF-8字符串", "remark"},
		{"envelope member", envelope("\xff\xfe"), "product_id不是合法的UTF-8字符串", "product_id"},
		{"tampered: the signature error first", tampered("\xff\xfe", set("remark", placeholder)), "验签不通过", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.PostRaw(pathRefund, "application/json", tt.body)
			require.NoError(t, err, "every answer is a signed Huifu response")
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, "10000000", resp.Code())
			assert.Equal(t, tt.desc, resp.Data["resp_desc"])
			diag := resp.Header.Get(gateway.DiagnosticHeader)
			if tt.field != "" {
				assert.Contains(t, diag, tt.field+" is not valid UTF-8")
			}
			for k, v := range resp.Data {
				assert.NotContains(t, v, "\ufffd", "%s is not echoed with U+FFFD for its bytes", k)
			}
			assert.Equal(t, before, e.snapshot(t), "nothing is booked")
		})
	}
}

// A member name that is not UTF-8 is refused too.
func TestInvalidUTF8MemberName(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	d := refundData(id("rf-utf8"), pay.ID, "0.10")
	d[placeholder] = "x"
	text, err := json.Marshal(d)
	require.NoError(t, err)
	body, err := e.client.SignedDataBody(bytes.ReplaceAll(text, []byte(placeholder), []byte("\xff\xfe")))
	require.NoError(t, err)
	before := e.snapshot(t)
	resp, err := e.client.PostRaw(pathRefund, "application/json", body)
	require.NoError(t, err)
	assert.Equal(t, "10000000", resp.Code())
	assert.Contains(t, resp.Data["resp_desc"], "不是合法的UTF-8字符串")
	assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), `member name "\xff\xfe" is not valid UTF-8`)
	assert.Equal(t, before, e.snapshot(t))
}

// Served unverified (verify mode log or off), such a request is still refused.
func TestInvalidUTF8Unverified(t *testing.T) {
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			pay := e.seedPaid(t, id("pay"), "1.00")
			d := refundData(id("rf-utf8"), pay.ID, "0.10")
			d["remark"] = placeholder
			body, err := e.client.SignedBody(d)
			require.NoError(t, err)
			body = bytes.ReplaceAll(body, []byte(placeholder), []byte("\xff\xfe")) // the signature no longer verifies
			before := e.snapshot(t)
			resp, err := e.client.PostRaw(pathRefund, "application/json", body)
			require.NoError(t, err)
			assert.Equal(t, "10000000", resp.Code())
			assert.Equal(t, "remark不是合法的UTF-8字符串", resp.Data["resp_desc"])
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}
