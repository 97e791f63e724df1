package huishouqian_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
)

// placeholder marks, in a request built by an encoder, where the bytes that are not UTF-8
// go; encoders would replace those bytes, so they are put in after encoding.
const placeholder = "@NOT-UTF8@"

// A form field, or a string inside signContent, that is not UTF-8 is refused with
// PARAM_ERROR naming it, once the signature verifies; it is never stored as U+FFFD.
func TestInvalidUTF8(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	// form signs a refund after mutate, every placeholder replaced by bad; tamper signs
	// the placeholder and puts bad in afterwards.
	form := func(bad string, tamper bool, mutate func(*huishouqiantest.Form, map[string]any)) []byte {
		biz := refundBiz(id("RF-UTF8"), pay.ID, "10")
		f := huishouqiantest.Form{Method: refund, Version: "1.0", Format: "JSON", MerchantNo: huishouqiantest.MerchantNo, SignType: "RSA2"}
		mutate(&f, biz)
		content, err := huishouqiantest.SignContent(biz)
		require.NoError(t, err)
		f.SignContent = content
		put := func(f huishouqiantest.Form) huishouqiantest.Form {
			for _, s := range []*string{&f.Method, &f.Version, &f.Format, &f.SignContent} {
				*s = strings.ReplaceAll(*s, placeholder, bad)
			}
			return f
		}
		if !tamper {
			f = put(f)
		}
		f, err = e.client.SignForm(f)
		require.NoError(t, err)
		return put(f).Encode()
	}
	biz := func(k string, v any) func(*huishouqiantest.Form, map[string]any) {
		return func(_ *huishouqiantest.Form, b map[string]any) { b[k] = v }
	}
	tests := []struct {
		name  string
		body  []byte
		code  string
		msg   string
		field string // named by the diagnostic
	}{
		{"free text", form("\xff\xfe", false, biz("refundReason", "退款"+placeholder)), "PARAM_ERROR", "参数错误:refundReason", "refundReason"},
		{"GBK text", form("\xb2\xe2\xca\xd4", false, biz("extend", placeholder)), "PARAM_ERROR", "参数错误:extend", "extend"},
		{"a character cut short", form("\xe4\xb8", false, biz("extend", "中"+placeholder)), "PARAM_ERROR", "参数错误:extend", "extend"},
		{"order id", form("\xff", false, biz("transNo", "RF"+placeholder)), "PARAM_ERROR", "参数错误:transNo", "transNo"},
		{"amount", form("\xc0", false, biz("orderAmt", "1"+placeholder)), "PARAM_ERROR", "参数错误:orderAmt", "orderAmt"},
		{"unknown member", form("\xff", false, biz("x_note", placeholder)), "PARAM_ERROR", "参数错误:x_note", "x_note"},
		{"nested member", form("\xff", false, biz("x_extra", map[string]any{"name": placeholder})), "PARAM_ERROR", "参数错误:x_extra.name", "x_extra.name"},
		{"form field version", form("\xff", false, func(f *huishouqiantest.Form, _ map[string]any) { f.Version = "1.0" + placeholder }), "PARAM_ERROR", "参数错误:version", "version"},
		{"form field method, before it is looked up", form("\xff", false, func(f *huishouqiantest.Form, _ map[string]any) { f.Method = refund + placeholder }), "PARAM_ERROR", "参数错误:method", "method"},
		{"tampered: the signature error first", form("\xff\xfe", true, biz("extend", placeholder)), "SIGN_ERROR", "验签失败", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp, err := e.client.Do("POST", huishouqiantest.Path, formType, tt.body)
			require.NoError(t, err, "every answer is a signed Huishouqian envelope")
			assert.Equal(t, 200, resp.Status)
			assert.False(t, resp.Success)
			assert.Equal(t, tt.code, resp.ErrorCode)
			assert.Equal(t, tt.msg, resp.ErrorMsg)
			if tt.field != "" {
				assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), tt.field+" is not valid UTF-8")
			}
			assert.Equal(t, before, e.snapshot(t), "nothing is booked")
		})
	}
}

// signContent that is not JSON and not UTF-8 is refused as signContent.
func TestInvalidUTF8SignContentNotJSON(t *testing.T) {
	e := newEnv(t)
	f, err := e.client.NewForm(query, "transNo=\xff")
	require.NoError(t, err)
	resp, err := e.client.PostForm(f)
	require.NoError(t, err)
	assert.Equal(t, "PARAM_ERROR", resp.ErrorCode)
	assert.Equal(t, "参数错误:signContent", resp.ErrorMsg)
	assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), "signContent is not valid UTF-8")
}

// Served unverified (verify mode log or off), such a request is still refused.
func TestInvalidUTF8Unverified(t *testing.T) {
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			pay := e.seedPaid(t, id("PAY"), 100)
			content, err := huishouqiantest.SignContent(refundBiz(id("RF-UTF8"), pay.ID, "10"))
			require.NoError(t, err)
			f, err := e.client.NewForm(refund, content)
			require.NoError(t, err)
			f.SignContent = strings.Replace(f.SignContent, `"refundType"`, `"x_note":"`+"\xff\xfe"+`","refundType"`, 1) // the sign no longer verifies
			before := e.snapshot(t)
			resp, err := e.client.PostForm(f)
			require.NoError(t, err)
			assert.Equal(t, "PARAM_ERROR", resp.ErrorCode)
			assert.Equal(t, "参数错误:x_note", resp.ErrorMsg)
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}
