package huifu

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// protocol is Huifu's envelope and signature scheme, plugged into the pipeline.
type protocol struct{ p *Provider }

var _ gateway.Protocol[*request, reply] = protocol{}

func (protocol) Name() string        { return Name }
func (protocol) Title() string       { return "Huifu" }
func (protocol) ContentType() string { return "application/json;charset=UTF-8" }

func (protocol) Decode(in *gateway.Inbound) (*request, reply, bool) {
	req, derr := decode(in.Header.Get("Content-Type"), in.Body)
	if derr != nil {
		return nil, failure(codeInvalid, derr.desc, derr.detail), false
	}
	req.scenario = in.Scenario
	return req, reply{}, true
}

// Authenticate resolves the signing identity from the envelope's sys_id alone and
// verifies the signature; data is not trusted before this.
func (pr protocol) Authenticate(req *request, verify bool) (bool, error) {
	m := pr.p.merchants[req.sysID]
	if m == nil {
		return false, fmt.Errorf("sys_id %s is not a known merchant, so there is no key to verify with (the test identity is sys_id %s)", req.sysID, TestSysID)
	}
	req.merchant = m
	if verify {
		if err := verifyRequest(pr.p.verifier, m.PublicKey, req); err != nil {
			return true, fmt.Errorf("sys_id %s (%s): %v", req.sysID, m.KeyFile, err)
		}
	}
	return true, nil
}

// Admit refuses text that is not UTF-8 (protocols 1.5), then checks data.huifu_id and
// product_id against the signer, once it is trusted.
func (protocol) Admit(req *request) (reply, bool) {
	if bad := invalidUTF8(req); bad != nil {
		rep := withEcho(failure(codeInvalid, bad.Field+descNotUTF8, bad.Error()), req)
		if slices.Contains(echoed, bad.Field) {
			delete(rep.fields, bad.Field) // not echoed with U+FFFD for its bytes
		}
		return rep, false
	}
	m := req.merchant
	if m == nil {
		return reply{}, true // served unverified (verify mode log or off): nothing to check against
	}
	if huifuID := req.str("huifu_id"); huifuID != "" && !slices.Contains(m.HuifuIDs, huifuID) {
		return withEcho(failure(codeMerchantMissing, descNoMerchant,
			fmt.Sprintf("huifu_id %s is not a merchant of sys_id %s (known: %s)", huifuID, req.sysID, strings.Join(m.HuifuIDs, ", "))), req), false
	}
	if len(m.Products) > 0 && !slices.Contains(m.Products, req.productID) {
		return withEcho(failure(codeProductMissing, descNoProduct,
			fmt.Sprintf("product_id %q is not enabled for sys_id %s (enabled: %s)", req.productID, req.sysID, strings.Join(m.Products, ", "))), req), false
	}
	return reply{}, true
}

// invalidUTF8 finds the first string that is not UTF-8: in data (named as the other
// parameter errors name data members), then in the envelope.
func invalidUTF8(req *request) *sim.UTF8Error {
	if bad := sim.InvalidUTF8InJSON(req.dataText, "data"); bad != nil {
		return bad
	}
	return sim.InvalidUTF8InJSON(req.body, "body")
}

func (protocol) Refuse(req *request, r gateway.Refusal) reply {
	switch r.Kind {
	case gateway.RefuseMethod:
		return failure(codeInvalid, descMethod, r.Detail)
	case gateway.RefuseBodyTooLarge:
		return failure(codeInvalid, "请求内容体过大", r.Detail)
	case gateway.RefuseBodyUnread:
		return failure(codeInvalid, "请求内容体不能为空", r.Detail)
	case gateway.RefuseUnknownPath:
		return failure(codeInvalid, descUnknownPath, r.Detail)
	case gateway.RefuseUnknownCaller:
		return failure(codeInvalid, descBadSign, r.Detail)
	case gateway.RefuseBadSignature:
		return withEcho(failure(codeInvalid, descBadSign, r.Detail), req)
	case gateway.RefuseHeader:
		return withEcho(failure(codeInvalid, "无效参数", r.Detail), req)
	}
	return failure(codeSystem, descSystem, r.Detail)
}

// Encode signs data and wraps it. Every Huifu answer has both data and sign (the Go SDK
// panics on a response without sign).
func (pr protocol) Encode(_ *request, rep reply) []byte {
	data := encodeData(rep.fields)
	sign, err := signData(pr.p.platform, data)
	if err != nil {
		// A key that cannot sign is a broken installation; say so in Huifu's shape.
		pr.p.core.Logger().Error("huifu signing failed", "err", err)
		sign = ""
	}
	body := make([]byte, 0, len(data)+len(sign)+20)
	body = append(body, `{"data":`...)
	body = append(body, data...)
	body = append(body, `,"sign":"`...)
	body = append(body, sign...)
	return append(body, `"}`...)
}

// operations maps Huifu's path endings to the neutral operation.
var operations = map[string]string{"jspay": "payment", "micropay": "payment", "query": "query", "refund": "refund",
	"refundquery": "refund_query", "close": "close", "closequery": "close_query",
	"confirm": "confirm", "confirmquery": "confirm_query", "confirmrefund": "confirm_refund", "confirmrefundquery": "confirm_refund_query",
	"preorder": "payment", "queryorderinfo": "query", "htrefund": "refund", "queryrefundinfo": "refund_query"}

// Describe names the request's merchant (huifu_id), its own request id and the ids of
// what it refers to.
func (protocol) Describe(req *request, path string) gateway.Description {
	return gateway.Description{Operation: gateway.OperationOf(path, operations), Merchant: req.str("huifu_id"),
		IDs: []string{req.str("req_seq_id")},
		Refers: []string{req.str("org_req_seq_id"), req.str("org_hf_seq_id"), req.str("out_ord_id"),
			req.str("mer_ord_id"), req.str("org_party_order_id"), req.str("org_mer_ord_id"), req.str("party_order_id"), req.str("pre_order_id")}}
}

// Tamper breaks the answer's sign for the bad-signature fault.
func (protocol) Tamper(body []byte) []byte { return gateway.TamperField(body, "sign") }
