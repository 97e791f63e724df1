package umpay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// protocol is Umpay's envelope and signature scheme, plugged into the pipeline.
type protocol struct{ p *Provider }

var _ gateway.Protocol[*request, reply] = protocol{}

func (protocol) Name() string        { return Name }
func (protocol) Title() string       { return "Umpay" }
func (protocol) ContentType() string { return "application/json;charset=UTF-8" }

func (protocol) Decode(in *gateway.Inbound) (*request, reply, bool) {
	req, derr := decode(in.Header.Get("Content-Type"), in.Body)
	if derr != nil {
		return nil, failure(derr.code, derr.msg, derr.detail), false
	}
	req.scenario = in.Scenario
	return req, reply{}, true
}

// Authenticate resolves the signing identity from acqSpId alone and verifies the
// signature; acqMerId is not looked at before this (tampered vectors change it,
// protocols 1.4).
func (pr protocol) Authenticate(req *request, verify bool) (bool, error) {
	sp := pr.p.providers[req.spID]
	if sp == nil {
		return false, fmt.Errorf("acqSpId %s is not a known service provider, so there is no key to verify with (the test identity is acqSpId %s)", req.spID, TestSpID)
	}
	req.sp = sp
	if verify {
		if err := verifyRequest(pr.p.verifier, sp.PublicKey, req); err != nil {
			return true, fmt.Errorf("acqSpId %s (%s): %v", req.spID, sp.KeyFile, err)
		}
	}
	return true, nil
}

// Admit refuses text that is not UTF-8 (protocols 1.5), then checks acqMerId: present, a
// string, and one of the signer's merchants.
func (protocol) Admit(req *request) (reply, bool) {
	if bad := sim.InvalidUTF8InJSON(req.body, "body"); bad != nil {
		return failure(codeFormat, msgFormat+":"+bad.Field+msgNotUTF8, bad.Error()), false
	}
	if m, ok := req.byKey["acqMerId"]; !ok || m.empty() {
		return fieldReply(missing("acqMerId")), false
	} else if m.kind != kindString {
		return fieldReply(malformed("acqMerId必须为字符串", "acqMerId must be a JSON string, got %s", sim.Clip(m.text, 40))), false
	}
	sp := req.sp
	if sp == nil {
		return reply{}, true // served unverified (verify mode log or off): nothing to check against
	}
	if merID := req.str("acqMerId"); !slices.Contains(sp.Merchants, merID) {
		return failure(codeMerchant, msgMerchant, fmt.Sprintf("acqMerId %s is not a merchant of acqSpId %s (known: %s)", merID, req.spID, strings.Join(sp.Merchants, ", "))), false
	}
	return reply{}, true
}

func (protocol) Refuse(_ *request, r gateway.Refusal) reply {
	switch r.Kind {
	case gateway.RefuseMethod:
		return failure(codeFormat, msgMethod, r.Detail)
	case gateway.RefuseBodyTooLarge:
		return failure(codeFormat, msgFormat+":报文长度超过限制", r.Detail)
	case gateway.RefuseBodyUnread:
		return failure(codeFormat, msgFormat, r.Detail)
	case gateway.RefuseUnknownPath:
		return failure(codeFormat, msgUnknownPath, r.Detail)
	case gateway.RefuseUnknownCaller, gateway.RefuseBadSignature:
		return failure(codeBadSignature, msgBadSignature, r.Detail)
	case gateway.RefuseHeader:
		return failure(codeFormat, msgFormat, r.Detail)
	}
	return failure(codeSystem, msgSystem, r.Detail)
}

// Encode signs a reply: the values of the non-empty fields in key order joined by "|",
// SHA1withRSA with the platform key (protocols 5.3).
func (pr protocol) Encode(_ *request, rep reply) []byte {
	members, text := encode(rep.fields)
	sig, err := signResponse(pr.p.platform, text)
	if err != nil {
		// A key that cannot sign is a broken installation; say so in Umpay's shape.
		pr.p.core.Logger().Error("umpay signing failed", "err", err)
	}
	return marshal(members, sig)
}

// operations maps Umpay's route names to the neutral operation.
var operations = map[string]string{"micropay": "payment", "qrpay": "payment", "unifiedorder": "payment",
	"queryorder": "query", "refund": "refund", "refundquery": "refund_query", "closeorder": "close", "cancelorder": "reversal"}

// Describe names the request's merchant (acqMerId) and its order numbers: a create's
// orderNo is its own, a query's, close's or cancel's names the order asked about.
func (protocol) Describe(req *request, path string) gateway.Description {
	d := gateway.Description{Operation: gateway.OperationOf(path, operations), Merchant: req.str("acqMerId")}
	switch d.Operation {
	case "payment", "refund":
		d.IDs = []string{req.str("orderNo")}
	default:
		d.Refers = []string{req.str("orderNo")}
	}
	d.Refers = append(d.Refers, req.str(fOrigOrderNo), req.str("transactionId"))
	return d
}

// Tamper breaks the answer's signature for the bad-signature fault.
func (protocol) Tamper(body []byte) []byte { return gateway.TamperField(body, "signature") }
