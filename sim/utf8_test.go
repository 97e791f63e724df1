package sim_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func TestInvalidUTF8InJSON(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		field string // "" when the text is valid
		isKey bool
		bad   string
	}{
		{"valid", `{"a":"中文","b":[1,{"c":"\u00e9"}]}`, "", false, ""},
		{"top-level member", "{\"a\":\"x\",\"remark\":\"\xff\xfe\"}", "remark", false, "\xff\xfe"},
		{"first of two", "{\"a\":\"\xff\",\"b\":\"\xfe\"}", "a", false, "\xff"},
		{"nested object", "{\"a\":1,\"extended\":{\"goods_tag\":\"t\xc0\"}}", "extended.goods_tag", false, "t\xc0"},
		{"array item", "{\"goods\":[{\"name\":\"ok\"},{\"name\":\"\xe4\xb8\"}]}", "goods[1].name", false, "\xe4\xb8"},
		{"string in an array", "{\"tags\":[\"ok\",1,\"\xff\"]}", "tags[2]", false, "\xff"},
		{"after a nested object", "{\"x\":{\"y\":[1,2]},\"z\":\"\xff\"}", "z", false, "\xff"},
		{"member name", "{\"ok\":1,\"n\xff\":\"v\"}", "n\ufffd", true, "n\xff"},
		{"escapes kept", "{\"a\":\"\\\"\\n\xff\\u4e2d\"}", "a", false, "\"\n\xff中"},
		{"top-level string", "\"\xff\"", "the text", false, "\xff"},
		{"not JSON", "a=\xff", "the text", false, "a=\xff"},
		{"JSON broken before the bad bytes", "{\"a\":,\"b\":\"\xff\"}", "the text", false, "{\"a\":,\"b\":\"\xff\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, e := range []*sim.UTF8Error{sim.InvalidUTF8InJSON(tt.text, "the text"), sim.InvalidUTF8InJSON([]byte(tt.text), "the text")} {
				if tt.field == "" {
					assert.Nil(t, e)
					continue
				}
				require.NotNil(t, e)
				assert.Equal(t, tt.field, e.Field)
				assert.Equal(t, tt.isKey, e.Name)
				assert.Equal(t, tt.bad, e.Text)
				assert.Contains(t, e.Error(), "not valid UTF-8")
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	assert.Nil(t, sim.InvalidUTF8("version", "1.0"))
	e := sim.InvalidUTF8("version", "1.0\xff")
	require.NotNil(t, e)
	assert.Equal(t, `version is not valid UTF-8: "1.0\xff"`, e.Error()[:len(`version is not valid UTF-8: "1.0\xff"`)])
}

// UnquoteJSON reads what encoding/json reads, but keeps bytes that are not UTF-8.
func TestUnquoteJSON(t *testing.T) {
	for _, lit := range []string{`""`, `"abc"`, `"中文"`, `"\"\\\/\b\f\n\r\t"`, `"\u4e2d\u6587"`, `"\ud83d\ude00"`, `"\ud800"`, `"\ud800x"`, `"\ud800\u0041"`, `"\udc00\ud800"`} {
		var want string
		require.NoError(t, json.Unmarshal([]byte(lit), &want), lit)
		got, err := sim.UnquoteJSON([]byte(lit))
		require.NoError(t, err, lit)
		assert.Equal(t, want, got, lit)
		// The same with a byte that is not UTF-8 in front: the slow path.
		got, err = sim.UnquoteJSON([]byte("\"\xff" + lit[1:]))
		require.NoError(t, err, lit)
		assert.Equal(t, "\xff"+want, got, lit)
	}
	got, err := sim.UnquoteJSON([]byte(" \"\xff\" \n"))
	require.NoError(t, err, "spaces around the literal")
	assert.Equal(t, "\xff", got)
	for _, lit := range []string{"\"\xff", "\"\xff\\\"", "\"\xff\\x\"", "\"\xff\\u12\"", "\"\xff\x01\"", "\"\xff\"\""} {
		_, err := sim.UnquoteJSON([]byte(lit))
		assert.Error(t, err, "%q", lit)
	}
}

// Whatever the text: a JSON text is refused exactly when it is not UTF-8, always with a
// field named; and UnquoteJSON reads every literal encoding/json reads, to the same text
// once its bytes that are not UTF-8 are read as U+FFFD.
func FuzzUTF8(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, "{\"a\":\"\xff\"}", "{\"\xff\":[\"\xfe\"]}", "\"\xe4\xb8\\ud800\"", `"\ud83d\ude00"`, "x\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		e := sim.InvalidUTF8InJSON(text, "whole")
		if (e == nil) != utf8.Valid(text) {
			t.Fatalf("InvalidUTF8InJSON(%q) = %v", text, e)
		}
		if e != nil && (e.Field == "" || e.Error() == "") {
			t.Fatalf("InvalidUTF8InJSON(%q) names nothing: %+v", text, e)
		}
		var want string
		if json.Unmarshal(text, &want) != nil {
			return
		}
		got, err := sim.UnquoteJSON(text)
		if err != nil {
			t.Fatalf("UnquoteJSON(%q): %v, encoding/json reads %q", text, err, want)
		}
		if string([]rune(got)) != want {
			t.Fatalf("UnquoteJSON(%q) = %q, encoding/json reads %q", text, got, want)
		}
	})
}
