package huifu

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/jsonscan"
)

// request is a decoded Huifu envelope: {sys_id, product_id, sign, data}.
type request struct {
	// body is the request as received, for the UTF-8 check of every member (Admit).
	body      []byte
	sysID     string
	productID string
	sign      string
	// dataText is the data member as received: the raw object bytes, or the decoded
	// text when a client sent data as a JSON string.
	dataText   []byte
	dataString bool
	tree       *jsonNode
	// values holds data's top-level string members; "" and null count as absent.
	values map[string]string
	// kinds records members that are present but not strings, to report wrong types.
	kinds map[string]jsonKind
	// merchant is who signed it; nil when sys_id names nobody paysim knows.
	merchant *Merchant
	// scenario is the X-Paysim-Scenario header.
	scenario string
}

// str returns a data member, "" when absent, empty or not a string.
func (r *request) str(name string) string { return r.values[name] }

// decodeError is a request the gateway cannot even read, answered with 10000000.
type decodeError struct {
	desc   string // resp_desc, in the gateway's words
	detail string // for X-Paysim-Diagnostic and the log
}

func (e *decodeError) Error() string { return e.detail }

// decode reads the envelope: content type and JSON shape. It never looks at business
// fields; those are only trusted once the signature is checked.
func decode(contentType string, body []byte) (*request, *decodeError) {
	if mt := gateway.MediaType(contentType); mt != "application/json" {
		return nil, &decodeError{desc: "无效参数", detail: fmt.Sprintf("Content-Type is %q; Huifu takes application/json", contentType)}
	}
	return decodeBody(body)
}

func decodeBody(body []byte) (*request, *decodeError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &decodeError{desc: "请求内容体不能为空", detail: "the request body is empty"}
	}
	// The body is parsed once; the slow path below only runs to word a refusal the way
	// encoding/json words it.
	env, err := jsonscan.Parse(body)
	if err != nil || env.Kind != jsonscan.Object && env.Kind != jsonscan.Null {
		var m map[string]json.RawMessage
		why := json.Unmarshal(body, &m)
		if why == nil {
			why = err
		}
		return nil, &decodeError{desc: "请求内容体不是合法的JSON", detail: "the body is not a JSON object: " + why.Error()}
	}
	req := &request{body: body, values: map[string]string{}, kinds: map[string]jsonKind{}}
	for _, m := range []struct {
		name string
		dst  *string
	}{{"sys_id", &req.sysID}, {"product_id", &req.productID}, {"sign", &req.sign}} {
		v, ok := env.Get(m.name)
		if !ok || v.Kind == jsonscan.Null {
			continue
		}
		if v.Kind != jsonscan.String {
			return nil, &decodeError{desc: m.name + "的类型必须为字符串", detail: fmt.Sprintf("envelope member %s must be a JSON string, got %s", m.name, sim.Clip(string(v.Raw), 40))}
		}
		*m.dst = v.Text
	}
	if req.sysID == "" {
		return nil, &decodeError{desc: "sys_id不能为空", detail: "the envelope has no sys_id, so paysim cannot tell whose key verifies it"}
	}
	data, ok := env.Get("data")
	if !ok || data.Kind == jsonscan.Null {
		return nil, &decodeError{desc: "data不能为空", detail: "the envelope has no data member"}
	}
	req.dataText = data.Raw
	var tree *jsonNode
	if data.Kind == jsonscan.String {
		// Some plugins send data as a JSON string holding the object; its bytes are kept
		// as received, since the string is what they signed.
		s, err := sim.UnquoteJSON(data.Raw)
		if err != nil {
			return nil, &decodeError{desc: "data不是合法的JSON", detail: err.Error()}
		}
		req.dataText, req.dataString = []byte(s), true
		tree, err = parseTree(req.dataText)
		if err != nil {
			tree = nil
		}
	} else {
		tree = nodeOf(data)
	}
	if tree == nil || tree.kind != kindObject {
		return nil, &decodeError{desc: "data必须为JSON对象", detail: fmt.Sprintf("data must be a JSON object of business fields, got %s", sim.Clip(string(req.dataText), 40))}
	}
	req.tree = tree
	for i, k := range tree.keys {
		v := tree.members[i]
		switch {
		case v.kind == kindString:
			req.values[k] = v.text
			delete(req.kinds, k)
		case v.kind == kindLiteral && v.text == "null":
			delete(req.values, k)
		default:
			delete(req.values, k)
			req.kinds[k] = v.kind
		}
	}
	return req, nil
}
