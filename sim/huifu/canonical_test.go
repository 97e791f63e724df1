package huifu

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   string
		opt  canonicalOptions
		want string
	}{
		{"php escapes undone", `{"remark":"\u9000\u6b3e\/x","a":"1"}`, canonicalOptions{}, `{"a":"1","remark":"退款/x"}`},
		{"python spacing removed", `{"b": "1", "a": "x"}`, canonicalOptions{}, `{"a":"x","b":"1"}`},
		{"nested order and number literals kept", `{"b":{"z":1,"y":2.50},"a":[1, 2.50e0, true, null]}`, canonicalOptions{}, `{"a":[1,2.50e0,true,null],"b":{"z":1,"y":2.50}}`},
		{"nested sorted on request", `{"b":{"z":1,"y":{"d":1,"c":2}},"a":[{"q":1,"p":2}]}`, canonicalOptions{sortNested: true}, `{"a":[{"p":2,"q":1}],"b":{"y":{"c":2,"d":1},"z":1}}`},
		{"html characters raw", `{"a":"<b>&amp;</b>"}`, canonicalOptions{}, `{"a":"<b>&amp;</b>"}`},
		{"controls escaped minimally", `{"a":"x\u0001\n\t\"\\y"}`, canonicalOptions{}, `{"a":"x\u0001\n\t\"\\y"}`},
		{"line separators raw", `{"a":"x\u2028y\u2029"}`, canonicalOptions{}, "{\"a\":\"x\u2028y\u2029\"}"},
		{"line separators escaped", `{"a":"x\u2028y\u2029"}`, canonicalOptions{escapeLineSep: true}, `{"a":"x\u2028y\u2029"}`},
		{"surrogate pair decoded", `{"a":"\ud83d\ude00"}`, canonicalOptions{}, `{"a":"😀"}`},
		{"last duplicate wins", `{"a":"1","b":"2","a":"3"}`, canonicalOptions{}, `{"a":"3","b":"2"}`},
		{"bytewise key order", `{"b":"","B":"","_":"","a1":"","a":""}`, canonicalOptions{}, `{"B":"","_":"","a":"","a1":"","b":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := parseTree([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(canonical(tree, tt.opt)))
		})
	}
}

func TestParseTreeRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":}`, `{"a":1} x`, `{"a" 1}`, `[1,]`} {
		_, err := parseTree([]byte(in))
		assert.Error(t, err, in)
	}
}

func TestEncodeData(t *testing.T) {
	got := encodeData(map[string]string{"z": "1", "a": "退款/<&>", "empty": "", "sep": "a\u2028b\x01c"})
	assert.Equal(t, `{"a":"退款/<&>","sep":"a b c","z":"1"}`, string(got), "sorted, empties dropped, raw UTF-8, scrubbed")
}

// Each candidate matches a way a real client signs; a request signed that way verifies.
func TestVerifyCandidates(t *testing.T) {
	keys := simtest.Keys()
	priv, err := rsakey.LoadPrivate(keys, "huifu/merchant_private.pem")
	require.NoError(t, err)
	pub, err := rsakey.LoadPublic(keys, "huifu/merchant_public.pem")
	require.NoError(t, err)
	sign := func(text string) string {
		sig, err := rsakey.Sign(priv, crypto.SHA256, []byte(text))
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(sig)
	}
	envelope := func(data, sign string) []byte {
		return []byte(`{"sys_id":"6666000100000001","data":` + data + `,"sign":"` + sign + `"}`)
	}
	tests := []struct {
		name, wire, signed string
	}{
		{"go sdk: raw bytes", `{"a":"1","b":"x"}`, `{"a":"1","b":"x"}`},
		{"hand-rolled unsorted raw bytes", `{"b":"x","a":"1"}`, `{"b":"x","a":"1"}`},
		{"php/python: canonical", `{"b": "\u9000", "a": "1"}`, `{"a":"1","b":"退"}`},
		{"line separator escaped", `{"b": "x\u2028", "a": "1"}`, `{"a":"1","b":"x\u2028"}`},
		{"nested maps sorted", `{"b": {"z": "1", "y": "2"}, "a": "1"}`, `{"a":"1","b":{"y":"2","z":"1"}}`},
		{"nested sorted, separator escaped", `{"b": {"z": "\u2028", "y": "2"}}`, `{"b":{"y":"2","z":"\u2028"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, derr := decodeBody(envelope(tt.wire, sign(tt.signed)))
			require.Nil(t, derr)
			assert.NoError(t, verifyRequest(rsakey.NewVerifier(0), pub, req))
			forged, derr := decodeBody(envelope(tt.wire, sign(tt.signed+" ")))
			require.Nil(t, derr)
			assert.Error(t, verifyRequest(rsakey.NewVerifier(0), pub, forged))
		})
	}
	t.Run("data as a JSON string", func(t *testing.T) {
		text := `{"b":"x","a":"1"}`
		quoted, _ := json.Marshal(text)
		req, derr := decodeBody(envelope(string(quoted), sign(text)))
		require.Nil(t, derr)
		assert.NoError(t, verifyRequest(rsakey.NewVerifier(0), pub, req))
	})
	t.Run("unpadded base64 sign", func(t *testing.T) {
		s := sign(`{"a":"1"}`)
		req, derr := decodeBody(envelope(`{"a":"1"}`, base64.RawStdEncoding.EncodeToString(mustB64(t, s))))
		require.Nil(t, derr)
		assert.NoError(t, verifyRequest(rsakey.NewVerifier(0), pub, req))
	})
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestBarcodeTradeType(t *testing.T) {
	tests := map[string]string{"10": "T_MICROPAY", "15": "T_MICROPAY", "25": "A_MICROPAY", "30": "A_MICROPAY", "62": "U_MICROPAY", "01": "D_MICROPAY", "16": "", "31": "", "9": ""}
	for prefix, want := range tests {
		got, ok := barcodeTradeType(prefix + "1234567890123456")
		if len(prefix) < 2 {
			got, ok = barcodeTradeType(prefix)
		}
		assert.Equal(t, want, got, prefix)
		assert.Equal(t, want != "", ok, prefix)
	}
}
