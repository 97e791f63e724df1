package shouqianba

import (
	"fmt"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// protocol is Shouqianba's envelope and signature scheme, plugged into the pipeline. One
// value per route: cred says whose key signs it (the vendor's for activate, a terminal's
// otherwise), body whether the body is a JSON request or opaque bytes (uploadLog).
type protocol struct {
	p    *Provider
	cred credential
	body bodyKind
}

var _ gateway.Protocol[*request, reply] = protocol{}

func (protocol) Name() string        { return Name }
func (protocol) Title() string       { return "Shouqianba" }
func (protocol) ContentType() string { return "application/json;charset=UTF-8" }

// Decode never refuses: the signature covers the raw body, so a body that is not a JSON
// object is only refused once the request authenticates (Admit). An opaque body (the
// terminal's log) is not decoded at all.
func (pr protocol) Decode(in *gateway.Inbound) (*request, reply, bool) {
	var (
		req  = &request{}
		derr *decodeError
	)
	if pr.body == jsonBody {
		if req, derr = decodeBody(in.Body); derr != nil {
			req = &request{derr: derr}
		}
	}
	req.cred, req.body, req.authorization, req.scenario = pr.cred, in.Body, in.Header.Get("Authorization"), in.Scenario
	return req, reply{}, true
}

// Authenticate resolves the signer from the Authorization header alone and, when check is
// set, verifies the signature over the raw body. A request with no usable header or an
// unknown sn is left with the test terminal's merchant (or the test vendor) to serve as,
// so that in verify mode log or off a developer can point a client with real credentials
// at paysim.
func (pr protocol) Authenticate(req *request, check bool) (bool, error) {
	auth, perr := parseAuthorization(req.authorization)
	if perr != nil {
		auth.sn = fallbackSN(req)
	}
	var (
		role    string
		keys    []string
		unknown error
	)
	if req.cred == vendorSigned {
		v, known := pr.p.terminals.vendor(auth.sn)
		if !known {
			v = Vendor{SN: TestVendorSN, Key: TestVendorKey}
			unknown = fmt.Errorf("vendor_sn %s is not a vendor paysim knows (the test vendor is %s)", auth.sn, TestVendorSN)
		}
		req.who = caller{sn: v.SN, vendor: v}
		role, keys = "vendor_key", []string{v.Key}
	} else {
		t, known := pr.p.terminals.terminal(auth.sn)
		if !known {
			t = testTerminal()
			t.SN = auth.sn
			unknown = fmt.Errorf("terminal_sn %s is not a terminal paysim knows: activate one with /terminal/activate or use the test terminal %s", auth.sn, TestTerminalSN)
		}
		req.who = caller{sn: t.SN, terminal: t}
		role, keys = "terminal_key", t.keys()
	}
	switch {
	case perr != nil:
		return true, perr // no usable header is a signature error, whoever the fallback is
	case unknown != nil:
		return false, unknown
	case check:
		return true, verify(req.body, auth, role, keys)
	}
	return true, nil
}

// fallbackSN is the signer assumed when the Authorization header names none (served only
// when the verify mode is not strict).
func fallbackSN(req *request) string {
	if req.cred == vendorSigned {
		return TestVendorSN
	}
	if sn := req.str("terminal_sn"); sn != "" {
		return sn
	}
	return TestTerminalSN
}

// Admit refuses, once the request authenticates, a body that is not a JSON object or
// holds text that is not UTF-8 (protocols 1.5), then a body naming another terminal than
// the signer. An opaque body has nothing to check.
func (pr protocol) Admit(req *request) (reply, bool) {
	if pr.body == rawBody {
		return reply{}, true
	}
	if req.derr != nil {
		return gatewayError(errInvalidParams, req.derr.message, req.derr.detail), false
	}
	if bad := sim.InvalidUTF8InJSON(req.body, "body"); bad != nil {
		return gatewayError(errInvalidParams, bad.Field+msgNotUTF8, bad.Error()), false
	}
	// SQ-A3: only now, with the signature checked, is the body's terminal_sn trusted.
	if sn := req.str("terminal_sn"); req.cred == terminalSigned && sn != "" && sn != req.who.sn {
		return gatewayError(errInvalidTerminal, msgInvalidTerminal,
			fmt.Sprintf("the body names terminal_sn %s but the request is signed by terminal %s; a terminal may only act for itself", sn, req.who.sn)), false
	}
	return reply{}, true
}

func (protocol) Refuse(_ *request, r gateway.Refusal) reply {
	switch r.Kind {
	case gateway.RefuseMethod:
		return gatewayError(errInvalidParams, "请求方式必须为POST", r.Detail)
	case gateway.RefuseBodyTooLarge:
		return gatewayError(errInvalidParams, "请求体过大", r.Detail)
	case gateway.RefuseBodyUnread:
		return gatewayError(errInvalidParams, "请求体读取失败", r.Detail)
	case gateway.RefuseUnknownPath:
		return gatewayError(errInvalidParams, "接口不存在", r.Detail)
	case gateway.RefuseUnknownCaller:
		return gatewayError(errInvalidTerminal, msgInvalidTerminal, r.Detail)
	case gateway.RefuseBadSignature:
		return gatewayError(errIllegalSign, msgIllegalSign, r.Detail)
	case gateway.RefuseHeader:
		return gatewayError(errInvalidParams, msgInvalidParams, r.Detail)
	}
	return gatewayError(errSystem, msgSystem, r.Detail)
}

// Encode writes the vendor's JSON envelope; Shouqianba does not sign answers.
func (protocol) Encode(_ *request, rep reply) []byte { return encode(rep) }

// operations maps Shouqianba's path endings to the neutral operation.
var operations = map[string]string{"activate": "terminal", "checkin": "terminal", "uploadlog": "terminal", "pay": "payment", "precreate": "payment",
	"query": "query", "refund": "refund", "revoke": "reversal", "cancel": "reversal"}

// Describe names the merchant the signing terminal belongs to, the request's own ids and
// the order it names.
func (protocol) Describe(req *request, path string) gateway.Description {
	d := gateway.Description{Operation: gateway.OperationOf(path, operations), Merchant: req.who.terminal.MerchantSN,
		IDs: []string{req.str("refund_request_no"), req.str("device_id")}}
	if d.Operation == "payment" {
		d.IDs = append(d.IDs, req.str("client_sn"))
	} else {
		d.Refers = []string{req.str("sn"), req.str("client_sn")}
	}
	return d
}

// Redact keeps terminal keys, which activate and checkin hand out, out of the journal.
func (protocol) Redact(body []byte) []byte { return gateway.RedactField(body, "terminal_key") }
