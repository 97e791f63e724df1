package huishouqian

import (
	"fmt"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// protocol is Huishouqian's form envelope and signature scheme, plugged into the pipeline.
type protocol struct{ p *Provider }

var _ gateway.Protocol[*request, reply] = protocol{}

func (protocol) Name() string        { return Name }
func (protocol) Title() string       { return "Huishouqian" }
func (protocol) ContentType() string { return "application/json;charset=UTF-8" }

// Decode reads the form. It never looks inside signContent; that is only trusted once the
// signature is checked. Until then the answer is signed for the test identity.
func (pr protocol) Decode(in *gateway.Inbound) (*request, reply, bool) {
	req, derr := decodeBody(in.Header.Get("Content-Type"), in.Body)
	if derr != nil {
		return nil, failure(codeParam, msgParam+derr.what, derr.detail), false
	}
	req.scenario = in.Scenario
	req.signer = pr.p.fallback
	return req, reply{}, true
}

// Authenticate resolves the signing identity from merchantNo alone and verifies the
// signature; nothing inside signContent is looked at before this.
func (pr protocol) Authenticate(req *request, verify bool) (bool, error) {
	m := pr.p.merchants[req.merchantNo]
	if m == nil {
		return false, fmt.Errorf("merchantNo %s is not a known merchant, so there is no key to verify with (the test identity is merchantNo %s); expected signed text: %s",
			req.merchantNo, TestMerchantNo, sim.QuoteText(string(signingText(signedPairs(req), redactedKey, false))))
	}
	req.signer = m
	if !verify {
		return true, nil
	}
	if !strings.EqualFold(req.signType, signTypeRSA2) {
		// HQ-A3: CFCA carries an encrypted payload paysim cannot read.
		return true, fmt.Errorf("signType %q is not supported; paysim verifies signType RSA2 (SHA256withRSA, hex) only", req.signType)
	}
	if err := verifyRequest(pr.p.verifier, m, req); err != nil {
		return true, fmt.Errorf("merchantNo %s (%s): %v", m.No, m.KeyFile, err)
	}
	return true, nil
}

// Admit checks the public fields that only matter once the request is trusted: every
// field and every string inside signContent must be UTF-8 (protocols 1.5), the method
// must be served, and signContent must parse.
func (protocol) Admit(req *request) (reply, bool) {
	if bad := invalidUTF8(req); bad != nil {
		return failure(codeParam, msgParam+bad.Field, bad.Error()), false
	}
	if req.method == "" {
		return failure(codeParam, msgParam+"method", "the form has no method; name the operation, e.g. method=POLYMERIZE_QUERY"), false
	}
	if operations[req.method] == nil {
		return failure(codeMethod, msgMethod, fmt.Sprintf("method %q is not served; served: %s", req.method, strings.Join(Methods(), ", "))), false
	}
	if req.version == "" {
		return failure(codeParam, msgParam+"version", "the form has no version; send version=1.0"), false
	}
	if !strings.EqualFold(req.format, "JSON") {
		return failure(codeParam, msgParam+"format", fmt.Sprintf("format is %q; signContent must be JSON, send format=JSON", req.format)), false
	}
	if req.signContent == "" {
		return failure(codeParam, msgParam+"signContent", "the form has no signContent; put the business parameters there as a JSON object string"), false
	}
	biz, err := parseSignContent(req.signContent)
	if err != nil {
		return failure(codeParam, msgParam+"signContent", fmt.Sprintf("signContent is not a JSON object (%v): %s", err, sim.QuoteText(req.signContent))), false
	}
	req.biz = biz
	return reply{}, true
}

// invalidUTF8 finds the first form field that is not UTF-8, in form order; inside
// signContent, the string named by its path, as the other parameter errors name them.
func invalidUTF8(req *request) *sim.UTF8Error {
	for _, f := range [][2]string{{"method", req.method}, {"version", req.version}, {"format", req.format},
		{"merchantNo", req.merchantNo}, {"signType", req.signType}} {
		if bad := sim.InvalidUTF8(f[0], f[1]); bad != nil {
			return bad
		}
	}
	if bad := sim.InvalidUTF8InJSON(req.signContent, "signContent"); bad != nil {
		return bad
	}
	return sim.InvalidUTF8("sign", req.sign)
}

func (protocol) Refuse(_ *request, r gateway.Refusal) reply {
	switch r.Kind {
	case gateway.RefuseMethod:
		return failure(codeParam, msgParam+"请求方式必须为POST", r.Detail)
	case gateway.RefuseBodyTooLarge:
		return failure(codeParam, msgParam+"请求内容过大", r.Detail)
	case gateway.RefuseBodyUnread:
		return failure(codeParam, msgParam+"请求内容读取失败", r.Detail)
	case gateway.RefuseUnknownPath:
		return failure(codeMethod, msgMethod, r.Detail)
	case gateway.RefuseUnknownCaller, gateway.RefuseBadSignature:
		return failure(codeSign, msgSign, r.Detail)
	case gateway.RefuseHeader:
		return failure(codeParam, msgParam+"请求参数不合法", r.Detail)
	}
	return failure(codeSystem, msgSystem, r.Detail)
}

// Encode signs the answer with the platform key over a text ending in the shared secret of
// the signer: the merchant identified, or the test identity when none is (so that even
// those answers verify for a client configured with it).
func (pr protocol) Encode(req *request, rep reply) []byte {
	signer := pr.p.fallback
	if req != nil && req.signer != nil {
		signer = req.signer
	}
	return pr.p.encode(rep, signer.SignKey)
}

// neutralOps maps the gateway's methods to the neutral operation.
var neutralOps = map[string]string{MethodMainSwept: "payment", MethodBeSwept: "payment", MethodQuery: "query",
	MethodRefund: "refund", MethodRefundQuery: "refund_query"}

// Describe names the request's merchant and the transNo of signContent: a create's own,
// a query's the one asked about.
func (protocol) Describe(req *request, _ string) gateway.Description {
	d := gateway.Description{Operation: neutralOps[req.method], Merchant: req.merchantNo}
	biz := req.biz
	if biz == nil { // not admitted yet: read signContent for the journal only
		var err error
		if biz, err = parseSignContent(req.signContent); err != nil {
			return d
		}
	}
	switch d.Operation {
	case "payment", "refund":
		d.IDs = []string{biz.str(fTransNo)}
	default:
		d.Refers = []string{biz.str(fTransNo)}
	}
	d.Refers = append(d.Refers, biz.str(fOrigTransNo))
	return d
}

// Tamper breaks the answer's sign for the bad-signature fault.
func (protocol) Tamper(body []byte) []byte { return gateway.TamperField(body, "sign") }
