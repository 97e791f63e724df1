package shouqianba

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A body is read the way encoding/json reads it into a map: a name given twice keeps its
// last value, and a null counts as absent, even over an earlier value.
func TestDecodeBodyDuplicatesAndNulls(t *testing.T) {
	cases := []struct {
		body   string
		values map[string]string
		kinds  map[string]jsonKind
	}{
		{`{"a":"x","a":null}`, map[string]string{}, map[string]jsonKind{}},
		{`{"a":null,"a":"y"}`, map[string]string{"a": "y"}, map[string]jsonKind{"a": kindString}},
		{`{"a":"x","a":1}`, map[string]string{}, map[string]jsonKind{"a": kindNumber}},
		{`{"a":1,"a":"y","b":[1],"c":{},"d":true}`, map[string]string{"a": "y"},
			map[string]jsonKind{"a": kindString, "b": kindArray, "c": kindObject, "d": kindBool}},
	}
	for _, c := range cases {
		req, derr := decodeBody([]byte(c.body))
		require.Nil(t, derr, c.body)
		values, kinds := map[string]string{}, map[string]jsonKind{}
		var want map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(c.body), &want))
		for _, m := range req.members {
			if m.kind == kindString {
				values[m.name] = m.text
			}
			kinds[m.name] = m.kind
			assert.Equal(t, string(want[m.name]), string(m.raw), "%s: raw %s", c.body, m.name)
		}
		assert.Equal(t, c.values, values, c.body)
		assert.Equal(t, c.kinds, kinds, c.body)
	}
}

// A body that is not one JSON object is refused with encoding/json's own words.
func TestDecodeBodyRefusals(t *testing.T) {
	for body, want := range map[string]string{
		`null`:    "it is null",
		`[1]`:     "cannot unmarshal array",
		`{"a":1,`: "unexpected end of JSON input",
		`{"a" 1}`: "invalid character '1' after object key",
	} {
		_, derr := decodeBody([]byte(body))
		require.NotNil(t, derr, body)
		assert.Contains(t, derr.detail, want, body)
	}
}
