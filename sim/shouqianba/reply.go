package shouqianba

import (
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// reply is everything an answer can be. Shouqianba has two error levels: the gateway's
// (top-level result_code 400/500 with error_code, no biz_response) and the business one
// (result_code 200, biz_response with its own result_code and error_code). Both are
// built by the constructors below and written by encode, and nowhere else.
type reply struct {
	resultCode   string
	errorCode    string // top level: when resultCode is not 200, and uploadLog's SUCCESS
	errorMessage string
	biz          *biz
	diagnostic   string        // X-Paysim-Diagnostic: why the request was refused
	scenario     string        // X-Paysim-Scenario: which scenario the entity answered about runs
	why          string        // why the entity got its scenario, for the journal
	fault        string        // the network fault its scenario puts on this answer
	kind         sim.ErrorKind // the neutral kind of a refusal, for the metrics
}

// Meta carries no stored answer: Shouqianba answers a retry from the entity as it stands
// now (CLIENT_SN_CONFLICT for a pay, the refund's current state for a refund, SQ-A5),
// never with the first bytes, so there is nothing to keep.
func (r reply) Meta() gateway.Meta {
	return gateway.Meta{Diagnostic: r.diagnostic, Scenario: r.scenario, ScenarioWhy: r.why, Fault: r.fault, Code: r.code(), Kind: r.kind}
}

// code is the code the log line of a refusal names: the error code at whichever level
// there is one, else the result code (CANCEL_ERROR), so it is never empty.
func (r reply) code() string {
	switch {
	case r.biz == nil && r.errorCode != "":
		return r.errorCode
	case r.biz == nil:
		return r.resultCode
	case r.biz.errorCode != "":
		return r.biz.errorCode
	case r.biz.resultCode != "":
		return r.biz.resultCode
	}
	return r.resultCode
}

// biz is biz_response.
type biz struct {
	resultCode   string
	errorCode    string
	errorMessage string
	// data is the order; nil leaves it out (a bare FAIL has none, SQ-A10).
	data orderData
	// terminal is the flat biz_response of activate and checkin.
	terminal map[string]string
}

// orderData is biz_response.data: string values only, plus the payment_list array.
type orderData map[string]any

// set stores a value, leaving out empty ones: strict clients choke on "" amounts.
func (d orderData) set(k, v string) {
	if v != "" {
		d[k] = v
	}
}

// gatewayError is a top-level refusal: 400 INVALID_PARAMS, INVALID_TERMINAL, ILLEGAL_SIGN
// or 500 UNKNOWN_SYSTEM_ERROR.
func gatewayError(code, message, diagnostic string) reply {
	result := resultClient
	if code == errSystem {
		result = resultServer
	}
	return reply{resultCode: result, errorCode: code, errorMessage: message, diagnostic: diagnostic}
}

func invalidParams(ps problems) reply {
	r := gatewayError(errInvalidParams, ps.message(), ps.detail())
	r.kind = sim.ErrInvalidParams
	return r
}

// bizFailure is a business refusal: FAIL with an error code and no data.
func bizFailure(code, diagnostic string) reply {
	return reply{resultCode: resultOK, diagnostic: diagnostic,
		biz: &biz{resultCode: bizFail, errorCode: code, errorMessage: bizMessages[code]}}
}

// outcome is a business answer carrying the order.
func outcome(result string, data orderData) reply {
	return reply{resultCode: resultOK, biz: &biz{resultCode: result, data: data}}
}

// withError adds a business error code to an outcome (PAY_FAIL + TRADE_TIMEOUT ...).
func (r reply) withError(code string) reply {
	r.biz.errorCode, r.biz.errorMessage = code, bizMessages[code]
	return r
}

// failedBy makes an answer whose operation the wallet refused (PAY_FAIL, PRECREATE_FAIL,
// REFUND_FAIL, a failed cancel) the refusal it is: its diagnostic names what failed, the
// scenario and state that made it fail and the code it answers, after the state's
// overrides (so PAY_FAIL + INSUFFICIENT_FUND, not the default TRADE_FAILED).
func (r reply) failedBy(v sim.EntityView, what string) reply {
	code := r.biz.resultCode
	if r.biz.errorCode != "" {
		code += " + " + r.biz.errorCode
	}
	r.diagnostic = fmt.Sprintf("%s failed: scenario %s (state %s) answers %s", what, v.Scenario, v.State, code)
	return r
}

// about makes the answer one about the entity v: its state's overrides, and for the
// journal and the pipeline its scenario's reason and fault. It does not name the scenario
// in X-Paysim-Scenario; the answers that do set it themselves.
func (r reply) about(v sim.EntityView) reply {
	r = r.apply(v.Overrides)
	r.why, r.fault = v.SelectedBy, v.Fault
	return r
}

// apply lays a scenario's response overrides over the answer: result_code, error_code
// and error_message address biz_response, every other name a data member ("" removes it).
func (r reply) apply(fields map[string]string) reply {
	if r.biz == nil || len(fields) == 0 {
		return r
	}
	for k, v := range fields {
		switch k {
		case "result_code":
			r.biz.resultCode = v
		case "error_code":
			r.biz.errorCode = v
		case "error_message":
			r.biz.errorMessage = v
		default:
			if r.biz.data == nil {
				continue
			}
			if v == "" {
				delete(r.biz.data, k)
			} else {
				r.biz.data[k] = v
			}
		}
	}
	return r
}

// refusalContext is what decides the code of a neutral error on one endpoint.
type refusalContext struct {
	op sim.Operation
	// fullyRefunded says the order has nothing left to refund, which the gateway
	// reports as a wrong order state rather than a short balance.
	fullyRefunded bool
}

// refusal maps a neutral error to Shouqianba's codes (protocols: Shouqianba error
// responses; neutral model, errors), then applies a refusing scenario's overrides.
func refusal(err error, ctx refusalContext) reply {
	var e *sim.Error
	if !errors.As(err, &e) {
		e = &sim.Error{Kind: sim.ErrSystem, Detail: err.Error()}
	}
	var r reply
	switch e.Kind {
	case sim.ErrNotFound:
		r = bizFailure(codeOrderNotExists, e.Detail)
	case sim.ErrDuplicateRequest:
		r = bizFailure(codeClientSNConflict, e.Detail)
	case sim.ErrInsufficientBalance:
		r = bizFailure(codeRefundableShort, e.Detail)
		if ctx.fullyRefunded {
			r = bizFailure(codeRefundInvalidState, e.Detail)
			r.biz.errorMessage = msgFullyRefunded
		}
	case sim.ErrInvalidState:
		switch {
		case ctx.op == sim.OpRefund:
			r = bizFailure(codeRefundInvalidState, e.Detail)
		case e.Reason == sim.ReasonAlreadyClosed:
			r = bizFailure(codeCancelNoop, e.Detail)
		default:
			r = bizFailure(codeCancelInvalidState, e.Detail)
		}
	case sim.ErrInvalidParams:
		r = gatewayError(errInvalidParams, msgInvalidParams, e.Detail)
	case sim.ErrUnknownMerchant:
		r = gatewayError(errInvalidTerminal, msgInvalidTerminal, e.Detail)
	case sim.ErrBadSignature:
		r = gatewayError(errIllegalSign, msgIllegalSign, e.Detail)
	default:
		r = gatewayError(errSystem, msgSystem, e.Detail)
	}
	r = r.apply(e.Fields)
	r.scenario, r.kind = e.Scenario, e.Kind
	return r
}

// encode writes the envelope with members in the vendor's order: result_code first,
// then error_code and error_message, then biz_response; the same inside biz_response.
// An answer without biz_response is a gateway error, or the log upload's
// {"result_code":"200","error_code":"SUCCESS","error_message":"ok"}. Data members come
// sorted, which keeps answers byte-identical run to run.
func encode(r reply) []byte {
	b := make([]byte, 0, 1024)
	b = append(b, `{"result_code":`...)
	b = appendString(b, r.resultCode)
	if r.resultCode != resultOK || r.biz == nil {
		b = member(b, "error_code", r.errorCode)
		b = member(b, "error_message", r.errorMessage)
		return append(b, '}')
	}
	b = append(b, `,"biz_response":`...)
	switch {
	case r.biz.terminal != nil:
		b = appendObject(b, r.biz.terminal)
	default:
		b = append(b, `{"result_code":`...)
		b = appendString(b, r.biz.resultCode)
		b = member(b, "error_code", r.biz.errorCode)
		b = member(b, "error_message", r.biz.errorMessage)
		if r.biz.data != nil {
			b = append(b, `,"data":`...)
			b = appendData(b, r.biz.data)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func member(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',')
	b = appendString(b, name)
	b = append(b, ':')
	return appendString(b, value)
}

// appendData writes the order: string members, and payment_list.
func appendData(b []byte, d orderData) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(d) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := d[k].(type) {
		case string:
			b = appendString(b, v)
		case []map[string]string:
			b = append(b, '[')
			for j, item := range v {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendObject(b, item)
			}
			b = append(b, ']')
		default:
			// Only strings and lists of string objects are ever stored; anything else
			// would be a bug, and a string keeps the answer parseable.
			b = appendString(b, fmt.Sprint(v))
		}
	}
	return append(b, '}')
}

func appendObject(b []byte, m map[string]string) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string the way encoding/json does, less its HTML
// escaping (so URLs in qr_code read as sent): invalid UTF-8 becomes U+FFFD, and U+2028
// and U+2029 are escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
