package huishouqian

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// reply is what an operation answers: a result (success:true) or an envelope error
// (success:false).
type reply struct {
	result     map[string]string
	errorCode  string
	errorMsg   string
	diagnostic string        // X-Paysim-Diagnostic: why the request was refused or missed
	scenario   string        // X-Paysim-Scenario: which scenario the entity runs
	why        string        // why the entity got it, for the journal
	fault      string        // the network fault its scenario puts on this answer
	kind       sim.ErrorKind // the neutral kind of a refusal, for the metrics
	// answer is the created entity's stored answer; retry says this is an identical
	// retry, answered with the bytes stored there.
	answer *sim.StoredAnswer
	retry  bool
}

// Meta names the code of a refusal or a miss for the log: errorCode, or the result's
// respCode of a query miss.
func (r reply) Meta() gateway.Meta {
	code := r.errorCode
	if code == "" {
		code = r.result["respCode"]
	}
	return gateway.Meta{Diagnostic: r.diagnostic, Scenario: r.scenario, ScenarioWhy: r.why, Fault: r.fault,
		Code: code, Kind: r.kind, Answer: r.answer, Retry: r.retry}
}

// failure is the gateway's error envelope, success:false. Both errorCode and errorMsg are
// always non-empty: one client drops empty pairs from the signed text, the other keeps them.
func failure(code, msg, diagnostic string) reply {
	return reply{errorCode: code, errorMsg: msg, diagnostic: diagnostic}
}

// refusal maps a neutral error to the gateway's envelope error (protocols: Huishouqian
// error responses), then applies the errorCode/errorMsg overrides of a scenario that
// refused the operation.
func refusal(err error) reply {
	var e *sim.Error
	if !errors.As(err, &e) {
		e = &sim.Error{Kind: sim.ErrSystem, Detail: err.Error()}
	}
	var r reply
	switch e.Kind {
	case sim.ErrNotFound:
		r = failure(codeNoOriginal, msgNoOriginal, e.Detail)
	case sim.ErrDuplicateRequest:
		r = failure(codeTransNoRepeat, msgTransNoRepeat, e.Detail)
	case sim.ErrInsufficientBalance:
		r = failure(codeRefundExceed, msgRefundExceed, e.Detail)
	case sim.ErrInvalidState:
		r = failure(codeStatus, msgStatus, e.Detail)
	case sim.ErrInvalidParams:
		r = failure(codeParam, msgParam+"请求参数不合法", e.Detail)
	case sim.ErrBadSignature, sim.ErrUnknownMerchant:
		r = failure(codeSign, msgSign, e.Detail)
	default:
		r = failure(codeSystem, msgSystem, e.Detail)
	}
	if v := e.Fields["errorCode"]; v != "" {
		r.errorCode = v
	}
	if v := e.Fields["errorMsg"]; v != "" {
		r.errorMsg = v
	}
	r.scenario, r.kind = e.Scenario, e.Kind
	return r
}

// keptEmpty are result fields sent even when empty: finishedDate is "" while unfinished, as
// in the vendor example. Every other empty field is left out.
var keptEmpty = []string{"finishedDate"}

// encodeResult renders result fields once, compact, keys sorted, raw UTF-8: these exact
// bytes are signed and then carried as the result string.
func encodeResult(fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" || slices.Contains(keptEmpty, k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		sim.WriteJSONString(&b, k)
		b.WriteByte(':')
		sim.WriteJSONString(&b, fields[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// encode builds the signed envelope:
//
//	{"success":true,"result":"<json>","errorCode":null,"errorMsg":null,"sign":"<hex>"}
//	{"success":false,"errorCode":"<code>","errorMsg":"<msg>","sign":"<hex>"}
//
// The signature covers result=<result>&success=true&key=<secret> or
// errorCode=<code>&errorMsg=<msg>&success=false&key=<secret>, built from the same strings
// the client decodes, so how the envelope escapes them does not matter.
func (p *Provider) encode(rep reply, secret string) []byte {
	var signed []byte
	var result []byte
	ok := rep.result != nil
	if ok {
		result = encodeResult(rep.result)
		signed = fmt.Appendf(nil, "result=%s&success=true&key=%s", result, secret)
	} else {
		signed = fmt.Appendf(nil, "errorCode=%s&errorMsg=%s&success=false&key=%s", rep.errorCode, rep.errorMsg, secret)
	}
	sign, err := signHex(p.platform, signed)
	if err != nil {
		// A key that cannot sign is a broken installation; the answer says so by not verifying.
		p.core.Logger().Error("huishouqian signing failed", "err", err)
	}
	var b bytes.Buffer
	b.Grow(len(result)*2 + len(sign) + 128)
	b.WriteString(`{"success":`)
	b.WriteString(p.successText(ok))
	if ok {
		b.WriteString(`,"result":`)
		sim.WriteJSONString(&b, string(result))
		b.WriteString(`,"errorCode":null,"errorMsg":null`)
	} else {
		b.WriteString(`,"errorCode":`)
		sim.WriteJSONString(&b, rep.errorCode)
		b.WriteString(`,"errorMsg":`)
		sim.WriteJSONString(&b, rep.errorMsg)
	}
	b.WriteString(`,"sign":"`)
	b.WriteString(sign)
	b.WriteString(`"}`)
	return b.Bytes()
}

// successText is success as a JSON boolean (HQ-A1), or as a string when switched.
func (p *Provider) successText(ok bool) string {
	s := "false"
	if ok {
		s = "true"
	}
	if p.successAsString {
		return `"` + s + `"`
	}
	return s
}

// fingerprint identifies a request's business content for idempotency: every member with
// a value, amounts normalised to fen, so "100" and 100 make the same request.
func fingerprint(b *bizContent) string {
	type member struct{ k, v string }
	ms := make([]member, 0, len(b.values)+len(b.others))
	for k, v := range b.values {
		if k == fOrderAmt || k == fOrigOrderAmt {
			if a, err := sim.ParseFen(v); err == nil {
				v = a.Fen()
			}
		}
		ms = append(ms, member{k, v})
	}
	for k, raw := range b.others {
		ms = append(ms, member{k, string(raw)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].k < ms[j].k })
	h := sha256.New()
	for _, m := range ms {
		h.Write([]byte(m.k))
		h.Write([]byte{0})
		h.Write([]byte(m.v))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
