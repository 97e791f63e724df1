package shouqianba

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/jsonscan"
)

// jsonKind is what a request member holds, for type checks.
type jsonKind int

const (
	kindString jsonKind = iota
	kindNumber
	kindObject
	kindArray
	kindBool
)

func (k jsonKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindObject:
		return "JSON object"
	case kindArray:
		return "JSON array"
	}
	return "boolean"
}

// request is a Shouqianba request: the raw body with its Authorization header, and the
// body decoded as one flat JSON object. Only the raw bytes are signed, so nothing decoded
// matters until the signature has been checked.
type request struct {
	// values holds string members; "" and null count as absent (protocols 1.5).
	values map[string]string
	// raw holds every non-null member as received, with its kind.
	raw   map[string]json.RawMessage
	kinds map[string]jsonKind

	// derr says why the body is not a request; it is refused once the signature is
	// checked, and the members above are then empty.
	derr *decodeError
	// cred says whose key signs the route; body and authorization are what is verified.
	cred          credential
	body          []byte
	authorization string
	// who is the signer (or, served unverified, the identity assumed in its place).
	who caller
	// scenario is the X-Paysim-Scenario header.
	scenario string
}

// str returns a string member, "" when absent, empty or not a string.
func (r *request) str(name string) string { return r.values[name] }

// has says whether a member is present with a value ("" and null are absent).
func (r *request) has(name string) bool {
	k, ok := r.kinds[name]
	return ok && (k != kindString || r.values[name] != "")
}

// decodeError is a body the gateway cannot read as a request at all.
type decodeError struct {
	message string // error_message, in the gateway's words
	detail  string // for X-Paysim-Diagnostic and the log
}

// decodeBody parses the body as one JSON object of members. Unknown members are kept and
// ignored; duplicate members resolve as encoding/json does (the last wins).
func decodeBody(body []byte) (*request, *decodeError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &decodeError{message: "请求体不能为空", detail: "the request body is empty; Shouqianba takes one JSON object"}
	}
	// The body is parsed once; encoding/json only words a refusal.
	top, err := jsonscan.Parse(body)
	if err != nil || top.Kind != jsonscan.Object {
		why := "it is null"
		var m map[string]json.RawMessage
		if uerr := json.Unmarshal(body, &m); uerr != nil {
			why = uerr.Error()
		} else if err != nil {
			why = err.Error()
		}
		return nil, &decodeError{message: "请求体不是合法的JSON对象", detail: fmt.Sprintf("the body is not a JSON object (%s): %s", why, sim.Clip(string(body), 60))}
	}
	n := len(top.Keys)
	req := &request{values: make(map[string]string, n), raw: make(map[string]json.RawMessage, n), kinds: make(map[string]jsonKind, n)}
	for i, name := range top.Keys {
		if slices.Contains(top.Keys[i+1:], name) {
			continue // a name given twice counts once, with its last value, as encoding/json decides
		}
		v := &top.Members[i]
		switch v.Kind {
		case jsonscan.Null:
			continue
		case jsonscan.String:
			req.values[name] = v.Text
			req.kinds[name] = kindString
		case jsonscan.Object:
			req.kinds[name] = kindObject
		case jsonscan.Array:
			req.kinds[name] = kindArray
		case jsonscan.Bool:
			req.kinds[name] = kindBool
		default:
			req.kinds[name] = kindNumber
		}
		req.raw[name] = v.Raw
	}
	return req, nil
}
