package umpay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"sort"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// reply is what an endpoint answers: the fields to sign.
type reply struct {
	fields     map[string]string
	diagnostic string        // X-Paysim-Diagnostic: why the request was refused
	scenario   string        // X-Paysim-Scenario: which scenario the entity runs
	why        string        // why the entity got it, for the journal
	fault      string        // the network fault its scenario puts on this answer
	kind       sim.ErrorKind // the neutral kind of a refusal, for the metrics
	// answer is the created entity's stored answer; retry says this is an identical
	// retry, answered with the bytes stored there.
	answer *sim.StoredAnswer
	retry  bool
}

func (r reply) Meta() gateway.Meta {
	return gateway.Meta{Diagnostic: r.diagnostic, Scenario: r.scenario, ScenarioWhy: r.why, Fault: r.fault,
		Code: r.fields["respCode"], Kind: r.kind, Answer: r.answer, Retry: r.retry}
}

// failure is the one Umpay error envelope: respCode and respMsg, signed like any answer.
func failure(code, msg, diagnostic string) reply {
	return reply{fields: map[string]string{"respCode": code, "respMsg": msg}, diagnostic: diagnostic}
}

func fieldReply(fe *fieldError) reply {
	r := failure(fe.code, fe.msg, fe.detail)
	r.kind = sim.ErrInvalidParams
	return r
}

// numericFields are emitted as JSON numbers, as in the vendor samples (protocols 1.1).
var numericFields = map[string]bool{"txnAmt": true, "origTxnAmt": true, "payAmt": true, "settlementAmt": true}

// encode writes fields as a JSON object (keys sorted, empty values omitted, amounts as
// numbers, "|" replaced by "/" so the signed text stays unambiguous, UM-A7) and returns
// it together with the text the signature must cover.
func encode(fields map[string]string) (members [][2]string, text string) {
	keys := make([]string, 0, len(fields))
	clean := make(map[string]string, len(fields))
	for k, v := range fields {
		if k == "signature" {
			continue
		}
		v = strings.ReplaceAll(sim.ScrubText(v), "|", "/")
		if v == "" {
			continue
		}
		keys = append(keys, k)
		clean[k] = v
	}
	sort.Strings(keys)
	members = make([][2]string, len(keys))
	for i, k := range keys {
		members[i] = [2]string{k, clean[k]}
	}
	return members, responseText(keys, clean)
}

// marshal renders the members and the signature as the response body.
func marshal(members [][2]string, signature string) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, m := range members {
		sim.WriteJSONString(&b, m[0])
		b.WriteByte(':')
		if numericFields[m[0]] && sim.IsDigits(m[1]) && (m[1] == "0" || m[1][0] != '0') {
			b.WriteString(m[1])
		} else {
			sim.WriteJSONString(&b, m[1])
		}
		b.WriteByte(',')
	}
	sim.WriteJSONString(&b, "signature")
	b.WriteByte(':')
	sim.WriteJSONString(&b, signature)
	b.WriteByte('}')
	return b.Bytes()
}

// refusal maps a neutral error to Umpay's code (protocols 5.6, 6.4), then applies the
// response overrides of a scenario that refused the operation. notFound is the code for
// a missing entity: 17 for queries, 35 for the original of a refund, cancel or close.
func refusal(err error, notFound string) reply {
	var e *sim.Error
	if !errors.As(err, &e) {
		e = &sim.Error{Kind: sim.ErrSystem, Detail: err.Error()}
	}
	var r reply
	switch e.Kind {
	case sim.ErrNotFound:
		msg := msgNoTrade
		if notFound == codeIneligible {
			msg = msgIneligible
		}
		r = failure(notFound, msg, e.Detail)
	case sim.ErrDuplicateRequest:
		r = failure(codeDuplicate, msgDuplicate, e.Detail)
	case sim.ErrInsufficientBalance:
		r = failure(codeOverRefund, msgOverRefund, e.Detail)
	case sim.ErrInvalidState:
		r = failure(codeIneligible, msgIneligible, e.Detail)
	case sim.ErrInvalidParams:
		r = failure(codeFormat, msgFormat, e.Detail)
	case sim.ErrUnknownMerchant:
		r = failure(codeMerchant, msgMerchant, e.Detail)
	case sim.ErrBadSignature:
		r = failure(codeBadSignature, msgBadSignature, e.Detail)
	default:
		r = failure(codeSystem, msgSystem, e.Detail)
	}
	maps.Copy(r.fields, e.Fields)
	r.scenario, r.kind = e.Scenario, e.Kind
	return r
}

// fingerprint identifies a request's business content for idempotency: the members with
// the signature and empty values dropped (protocols 1.6).
func fingerprint(req *request) string {
	h := sha256.New()
	for _, m := range req.members {
		if m.empty() {
			continue
		}
		h.Write([]byte(m.key))
		h.Write([]byte{0})
		h.Write([]byte(m.text))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
