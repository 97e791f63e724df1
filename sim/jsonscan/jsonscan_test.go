package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference parses data with encoding/json's token stream: what Parse must agree with.
func reference(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := refValue(dec)
	if err != nil {
		return Value{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Value{}, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func refValue(dec *json.Decoder) (Value, error) {
	tok, err := dec.Token()
	if err != nil {
		return Value{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		v := Value{Kind: Object}
		if t == '[' {
			v.Kind = Array
		}
		for dec.More() {
			if v.Kind == Object {
				k, err := dec.Token()
				if err != nil {
					return Value{}, err
				}
				v.Keys = append(v.Keys, k.(string))
			}
			m, err := refValue(dec)
			if err != nil {
				return Value{}, err
			}
			v.Members = append(v.Members, m)
		}
		_, err := dec.Token()
		return v, err
	case string:
		return Value{Kind: String, Text: t}, nil
	case json.Number:
		return Value{Kind: Number, Text: t.String()}, nil
	case bool:
		if t {
			return Value{Kind: Bool, Text: "true"}, nil
		}
		return Value{Kind: Bool, Text: "false"}, nil
	}
	return Value{Kind: Null, Text: "null"}, nil
}

// same compares two trees apart from Raw, and checks that every Raw parses back to its
// value.
func same(t *testing.T, data []byte, want, got Value) {
	t.Helper()
	require.Equal(t, want.Kind, got.Kind, "%q", data)
	require.Equal(t, want.Text, got.Text, "%q", data)
	require.Equal(t, want.Keys, got.Keys, "%q", data)
	require.Len(t, got.Members, len(want.Members), "%q", data)
	again, err := Parse(got.Raw)
	require.NoError(t, err, "Raw %q of %q", got.Raw, data)
	require.Equal(t, got.Kind, again.Kind)
	require.Equal(t, got.Text, again.Text)
	for i := range want.Members {
		same(t, data, want.Members[i], got.Members[i])
	}
}

var seeds = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e+10`, `true`, `false`, `null`, ` {"a" : 1 , "b":[1,2,{"c":null}] } `,
	`{"sys_id":"6666000100000001","product_id":"PAYUN","data":{"huifu_id":"6666000100000002","trans_amt":"1.00","n":12.50},"sign":"abc=="}`,
	`{"data":"{\"a\":\"\\u4e2d\"}"}`, `{"a":"\u2028\ud83d\ude00\ud800x"}`, "{\"a\":\"\xff\xfe\"}", `{"a":1,"a":2}`,
	`{"a":"x\/y\b\f\n\r\t"}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `"abc`, "\"a\tb\"",
	`{"a":1}{"b":2}`, `[`, `{`, `{"a":`, `nul`, `tru`, `"\x"`, `"\u12"`, `"\u12G4"`, "\xef\xbb\xbf{}", `[[[[]]]]`,
}

// Nesting is bounded where encoding/json bounds it.
func TestDepthBoundAsEncodingJSON(t *testing.T) {
	for _, n := range []int{MaxDepth, MaxDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			close := map[string]string{"[": "]", `{"a":`: "}"}[open]
			data := []byte(strings.Repeat(open, n) + "1" + strings.Repeat(close, n))
			_, err := Parse(data)
			assert.Equal(t, json.Valid(data), err == nil, "depth %d of %s: %v", n, open, err)
		}
	}
}

// check compares Parse with encoding/json: it refuses what json.Valid refuses (which is
// what json.Unmarshal refuses), and otherwise gives the tree json's token stream gives.
func check(t *testing.T, data []byte) {
	got, err := Parse(data)
	if valid := json.Valid(data); valid != (err == nil) {
		t.Fatalf("%.80q: json.Valid says %v, Parse says %v", data, valid, err)
	}
	if err != nil {
		return
	}
	want, err := reference(data)
	require.NoError(t, err, "%.80q", data)
	assert.Equal(t, string(bytes.Trim(data, " \t\r\n")), string(got.Raw), "the top Raw is the value itself")
	same(t, data, want, got)
}

func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		t.Run("", func(t *testing.T) { check(t, []byte(s)) })
	}
}

func TestParseKeepsOrderRawAndLastDuplicate(t *testing.T) {
	data := []byte(`{"b": 1.50, "a": {"y": "2", "x": [true]}, "b": "again"}`)
	v, err := Parse(data)
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a", "b"}, v.Keys)
	assert.Equal(t, "1.50", v.Members[0].Text, "a number keeps its literal")
	assert.Equal(t, `{"y": "2", "x": [true]}`, string(v.Members[1].Raw), "raw bytes as received")
	last, ok := v.Get("b")
	require.True(t, ok)
	assert.Equal(t, "again", last.Text)
	_, ok = v.Get("c")
	assert.False(t, ok)
}

func TestSyntaxErrorSaysWhere(t *testing.T) {
	_, err := Parse([]byte(`{"a": 1,, }`))
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 8, se.Offset)
	assert.Contains(t, err.Error(), "offset 8")
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { check(t, data) })
}
