package shouqianba

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
)

// fieldKind is the JSON shape a member must have.
type fieldKind int

const (
	text         fieldKind = iota // a JSON string
	fen                           // an amount in fen: a digit string, or a JSON integer (tolerated)
	object                        // a JSON object (extended)
	array                         // a JSON array (goods_details)
	textOrObject                  // reflect: documented as a string, sent as an object by doc examples
)

// maxFenDigits is String(10), the documented width of every amount field.
const maxFenDigits = 10

// rule describes one member of an endpoint.
type rule struct {
	name     string
	required bool
	max      int // characters; 0: no limit
	kind     fieldKind
	enum     []string
}

// problem is one thing wrong with a request, in the gateway's words and in English.
type problem struct{ zh, en string }

// problems are answered together, as the gateway lists them: "client_sn不可以为空；
// total_amount不可以为负数".
type problems []problem

func (ps problems) message() string {
	zh := make([]string, len(ps))
	for i, p := range ps {
		zh[i] = p.zh
	}
	return strings.Join(zh, "；")
}

func (ps problems) detail() string {
	en := make([]string, len(ps))
	for i, p := range ps {
		en[i] = p.en
	}
	return "invalid parameters: " + strings.Join(en, "; ")
}

func bad(zh, format string, args ...any) problem {
	return problem{zh: zh, en: fmt.Sprintf(format, args...)}
}

// check applies rules in order and returns every problem found.
func check(req *request, rules []rule) problems {
	var ps problems
	for _, r := range rules {
		if p, ok := checkOne(req, r); !ok {
			ps = append(ps, p)
		}
	}
	return ps
}

func checkOne(req *request, r rule) (problem, bool) {
	if !req.has(r.name) {
		if r.required {
			return bad(r.name+"不可以为空", "%s is required and was absent, null or empty", r.name), false
		}
		return problem{}, true
	}
	kind := req.kind(r.name)
	switch r.kind {
	case fen:
		return checkFen(req, r.name)
	case object:
		if kind != kindObject {
			return bad(r.name+"必须为JSON对象", "%s must be a JSON object, got a %s", r.name, kind), false
		}
		return problem{}, true
	case array:
		if kind != kindArray {
			return bad(r.name+"必须为JSON数组", "%s must be a JSON array, got a %s", r.name, kind), false
		}
		return problem{}, true
	case textOrObject:
		if kind == kindObject {
			return problem{}, true
		}
	}
	if kind != kindString {
		return bad(r.name+"必须为字符串", "%s must be a JSON string, got a %s", r.name, kind), false
	}
	v := req.str(r.name)
	if n := utf8.RuneCountInString(v); r.max > 0 && n > r.max {
		return bad(fmt.Sprintf("%s长度不可以超过%d", r.name, r.max), "%s is %d characters long, at most %d allowed", r.name, n, r.max), false
	}
	if len(r.enum) > 0 && !slices.Contains(r.enum, v) {
		return bad(fmt.Sprintf("%s不支持%s", r.name, v), "%s %q is not one of %s", r.name, v, strings.Join(r.enum, ", ")), false
	}
	return problem{}, true
}

// checkFen accepts a digit string of at most ten digits or, as some clients send, a JSON
// integer; zero, negatives, decimals and exponents are refused.
func checkFen(req *request, name string) (problem, bool) {
	var s string
	switch req.kind(name) {
	case kindString:
		s = req.str(name)
	case kindNumber:
		s = string(req.rawOf(name))
	default:
		return bad(name+"必须为字符串", "%s must be a digit string of fen such as \"100\", got a %s", name, req.kind(name)), false
	}
	if strings.HasPrefix(s, "-") {
		return bad(name+"不可以为负数", "%s %q is negative", name, s), false
	}
	a, err := sim.ParseFen(s)
	if err != nil || len(s) > maxFenDigits {
		return bad(name+"金额为整数，长度不超过10位，以分为单位", "%s %q is not a whole number of fen of at most %d digits (write 1.00 yuan as \"100\")", name, s, maxFenDigits), false
	}
	if a == 0 {
		return bad(name+"必须大于0", "%s must be at least 1 fen, got %q", name, s), false
	}
	return problem{}, true
}

// amount reads a member that check has accepted as fen.
func (r *request) amount(name string) sim.Amount {
	s := r.str(name)
	if r.kind(name) == kindNumber {
		s = string(r.rawOf(name))
	}
	a, _ := sim.ParseFen(s)
	return a
}

// text reads a textOrObject member: the string, or the object's JSON text.
func (r *request) text(name string) string {
	if r.kind(name) == kindObject {
		return string(r.rawOf(name))
	}
	return r.str(name)
}

// locatorProblem enforces "sn and client_sn may not both be empty".
func locatorProblem(req *request) problems {
	if req.str("sn") == "" && req.str("client_sn") == "" {
		return problems{bad("sn和client_sn不可以同时为空", "one of sn (Shouqianba's order number) and client_sn (yours) is required to find the order")}
	}
	return nil
}

// Rules per endpoint (protocols: Shouqianba endpoints; lengths from the vendor's field
// tables).
var (
	terminalSN = rule{name: "terminal_sn", required: true, max: 32}
	orderSN    = rule{name: "sn", max: 64} // a refund's sn may carry the channel's 28-digit trade_no
	orderCSN   = rule{name: "client_sn", max: 32}

	activateRules = []rule{
		{name: "app_id", max: 64}, // required unless legacy type is sent: see activationProblems
		{name: "code", required: true, max: 64},
		{name: "device_id", required: true, max: 128},
		{name: "client_sn", max: 64},
		{name: "name", max: 128},
		{name: "os_info", max: 128},
		{name: "sdk_version", max: 64},
		{name: "type", max: 16},
	}
	checkinRules = []rule{
		terminalSN,
		{name: "device_id", required: true, max: 128},
		{name: "os_info", max: 128},
		{name: "sdk_version", max: 64},
	}
	orderRules = []rule{
		terminalSN,
		{name: "client_sn", required: true, max: 32},
		{name: "total_amount", required: true, kind: fen},
		{name: "subject", required: true, max: 64},
		{name: "operator", required: true, max: 32},
		{name: "description", max: 256},
		{name: "longitude", max: 32},
		{name: "latitude", max: 32},
		{name: "device_id", max: 64}, // String(32) in the docs; the official Python demo sends a 36-character UUID
		{name: "extended", kind: object},
		{name: "goods_details", kind: array},
		{name: "reflect", max: 64, kind: textOrObject},
		{name: "notify_url", max: 256},
	}
	payRules = append(slices.Clone(orderRules),
		rule{name: "dynamic_id", required: true, max: 32},
		rule{name: "payway", enum: sortedKeys(paywayNames)},
	)
	precreateRules = append(slices.Clone(orderRules),
		rule{name: "payway", required: true, enum: sortedKeys(paywayNames)},
		rule{name: "sub_payway", enum: precreateSubPayways},
		rule{name: "payer_uid", max: 64},
	)
	queryRules  = []rule{terminalSN, orderSN, orderCSN, {name: "refund_request_no", max: 20}}
	refundRules = []rule{terminalSN, orderSN, orderCSN,
		{name: "refund_request_no", required: true, max: 20},
		{name: "operator", required: true, max: 32},
		{name: "refund_amount", required: true, kind: fen},
		{name: "client_tsn", max: 32},
		{name: "extended", kind: object},
		{name: "goods_details", kind: array},
	}
	closeRules = []rule{terminalSN, orderSN, orderCSN}
)

// orderProblems adds the checks that involve two members of a pay or precreate.
func orderProblems(req *request) problems {
	var ps problems
	if req.has("longitude") != req.has("latitude") {
		ps = append(ps, bad("longitude和latitude必须同时传入", "longitude and latitude go together: send both or neither"))
	}
	if needsPayerUID(req.str("payway"), req.str("sub_payway")) && req.str("payer_uid") == "" {
		ps = append(ps, bad("payer_uid不可以为空", "payer_uid (the payer's openid or Alipay user id) is required for payway %s with sub_payway %s",
			req.str("payway"), req.str("sub_payway")))
	}
	return ps
}

// activationProblems requires app_id of current clients; the legacy activation the
// official Python demo still sends names a device type instead.
func activationProblems(req *request) problems {
	if !req.has("app_id") && !req.has("type") {
		return problems{bad("app_id不可以为空", "app_id (your app's id at Shouqianba) is required; legacy clients send type instead")}
	}
	return nil
}

// needsPayerUID says whether a precreate must name its payer. A mini-program order always
// does, a WAP order only in WeChat (the openid of the JSAPI call): the official Java demo
// precreates an Alipay WAP order without payer_uid, and paysim accepts it.
func needsPayerUID(payway, sub string) bool {
	return sub == subMini || (sub == subWAP && payway == "3")
}
