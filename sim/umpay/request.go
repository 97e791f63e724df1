package umpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// valueKind is the JSON type of a top-level request member. Only scalars are allowed on
// payment routes (protocols: Umpay request signature, nested objects get 10).
type valueKind int

const (
	kindString valueKind = iota
	kindNumber
	kindBool
	kindNull
)

// member is one top-level request member with the text it contributes to the signed
// string: a string's decoded value, a number's JSON literal, true/false, or "null".
type member struct {
	key  string
	text string
	kind valueKind
}

// empty reports whether the member counts as absent ("" and null, protocols 1.5).
func (m member) empty() bool {
	return m.kind == kindNull || (m.kind == kindString && m.text == "")
}

// request is a decoded Umpay body: flat JSON with the signature as one of its members.
type request struct {
	// body is the request as received, for the UTF-8 check of every member (Admit).
	body      []byte
	spID      string
	signature string
	// sigField names the member the signature came from: "signature", or "sign" (UM-A8).
	sigField string
	// members are sorted by key, the signature member excluded.
	members []member
	byKey   map[string]member
	// sp is who signed it; nil when acqSpId names nobody paysim knows.
	sp *ServiceProvider
	// scenario is the X-Paysim-Scenario header.
	scenario string
}

// str returns a member's text when it is a non-empty JSON string, "" otherwise.
func (r *request) str(name string) string {
	m, ok := r.byKey[name]
	if !ok || m.kind != kindString {
		return ""
	}
	return m.text
}

// decodeError is a request that cannot even be read; answered before any verification.
type decodeError struct {
	code   string
	msg    string // respMsg
	detail string // for X-Paysim-Diagnostic and the log
}

func (e *decodeError) Error() string { return e.detail }

func formatError(msg, format string, args ...any) *decodeError {
	return &decodeError{code: codeFormat, msg: msg, detail: fmt.Sprintf(format, args...)}
}

// decode reads the envelope. It looks at nothing but the content type, the JSON shape
// and the two members needed to verify: acqSpId and the signature.
func decode(contentType string, body []byte) (*request, *decodeError) {
	if mt := gateway.MediaType(contentType); !isJSONMediaType(mt) {
		return nil, formatError(msgFormat+":Content-Type必须为application/json",
			"Content-Type is %q; Umpay takes a JSON body sent as application/json", contentType)
	}
	return decodeBody(body)
}

func isJSONMediaType(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func decodeBody(body []byte) (*request, *decodeError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, formatError(msgFormat+":报文为空", "the request body is empty; send a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, formatError(msgFormat+":报文不是合法的JSON对象", "the body is not a JSON object: %v", err)
	}
	req := &request{body: body, byKey: make(map[string]member, len(raw))}
	for k, v := range raw {
		m, err := classify(k, v)
		if err != nil {
			return nil, err
		}
		req.byKey[k] = m
	}
	req.sigField = "signature"
	if s, ok := req.byKey["signature"]; !ok || s.empty() {
		if a, ok := req.byKey["sign"]; ok && !a.empty() {
			req.sigField = "sign" // UM-A8
		}
	}
	if s, ok := req.byKey[req.sigField]; ok {
		if s.kind != kindString && s.kind != kindNull {
			return nil, formatError(msgFormat+":"+req.sigField+"必须为字符串", "%s must be a JSON string of base64, got %s", req.sigField, s.text)
		}
		req.signature = s.text
		if s.kind == kindNull {
			req.signature = ""
		}
	}
	for k, m := range req.byKey {
		if k != req.sigField {
			req.members = append(req.members, m)
		}
	}
	sort.Slice(req.members, func(i, j int) bool { return req.members[i].key < req.members[j].key })
	sp, ok := req.byKey["acqSpId"]
	switch {
	case !ok || sp.empty():
		return nil, &decodeError{code: codeMissing, msg: msgMissing + ":acqSpId",
			detail: "acqSpId is absent or empty, so paysim cannot tell whose key verifies the request (the test identity is acqSpId " + TestSpID + ")"}
	case sp.kind != kindString:
		return nil, formatError(msgFormat+":acqSpId必须为字符串", "acqSpId must be a JSON string, got %s", sp.text)
	}
	req.spID = sp.text
	return req, nil
}

// classify turns one raw member into its kind and signed text. Objects and arrays are
// refused: Umpay payment routes take flat bodies only.
func classify(key string, raw json.RawMessage) (member, *decodeError) {
	switch raw[0] {
	case '"':
		// The bytes are kept as received: the signed text is built from them, and text
		// that is not UTF-8 is refused by name once the signature verifies.
		s, err := sim.UnquoteJSON(raw)
		if err != nil {
			return member{}, formatError(msgFormat, "member %s is not a valid JSON string: %v", key, err)
		}
		return member{key: key, text: s, kind: kindString}, nil
	case '{', '[':
		return member{}, formatError(msgFormat+":"+key+"不能为对象或数组",
			"member %s is a JSON object or array; payment routes take flat JSON with scalar values only", key)
	case 'n':
		return member{key: key, text: "null", kind: kindNull}, nil
	case 't', 'f':
		return member{key: key, text: string(raw), kind: kindBool}, nil
	}
	return member{key: key, text: string(raw), kind: kindNumber}, nil
}
