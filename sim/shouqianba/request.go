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
	// members are the body's non-null members as received, each name once with its last
	// value. A slice, not maps: a request has a dozen members, and looking one up by name
	// costs less than building three maps for every request.
	members []bodyMember

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

// bodyMember is one member of the body.
type bodyMember struct {
	name string
	kind jsonKind
	text string // a string member's value
	raw  json.RawMessage
}

// member returns the member called name, nil when absent or null.
func (r *request) member(name string) *bodyMember {
	for i := range r.members {
		if r.members[i].name == name {
			return &r.members[i]
		}
	}
	return nil
}

// str returns a string member, "" when absent, empty or not a string ("" and null count as
// absent, protocols 1.5).
func (r *request) str(name string) string {
	if m := r.member(name); m != nil && m.kind == kindString {
		return m.text
	}
	return ""
}

// kind is what a member holds; check has first, since an absent member reads as a string.
func (r *request) kind(name string) jsonKind {
	if m := r.member(name); m != nil {
		return m.kind
	}
	return kindString
}

// rawOf is a member's JSON text as received.
func (r *request) rawOf(name string) json.RawMessage {
	if m := r.member(name); m != nil {
		return m.raw
	}
	return nil
}

// has says whether a member is present with a value ("" and null are absent).
func (r *request) has(name string) bool {
	m := r.member(name)
	return m != nil && (m.kind != kindString || m.text != "")
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
	req := &request{members: make([]bodyMember, 0, len(top.Keys))}
	for i, name := range top.Keys {
		if slices.Contains(top.Keys[i+1:], name) {
			continue // a name given twice counts once, with its last value, as encoding/json decides
		}
		v := &top.Members[i]
		m := bodyMember{name: name, raw: v.Raw}
		switch v.Kind {
		case jsonscan.Null:
			continue
		case jsonscan.String:
			m.kind, m.text = kindString, v.Text
		case jsonscan.Object:
			m.kind = kindObject
		case jsonscan.Array:
			m.kind = kindArray
		case jsonscan.Bool:
			m.kind = kindBool
		default:
			m.kind = kindNumber
		}
		req.members = append(req.members, m)
	}
	return req, nil
}
