package shouqianba

import (
	"bytes"
	"encoding/json"
	"testing"
)

// appendString must agree with encoding/json (less HTML escaping), which every client's
// decoder is tested against.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r", "\x00\x01\x1f\x7f", "\b\f",
		"测试商品", "\u2028\u2029", "<a href='x'>&</a>", "bad \xff utf8 \xe4\xb8", "https://qr.alipay.com/bax0?a=1&b=2"} {
		if got, want := string(appendString(nil, s)), stdString(t, s); got != want {
			t.Errorf("appendString(%q) = %s, encoding/json says %s", s, got, want)
		}
	}
}

func stdString(t testing.TB, s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
