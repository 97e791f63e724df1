package huifu

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"sort"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// reply is what an endpoint answers: the data fields to sign.
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
		Code: r.fields["resp_code"], Kind: r.kind, Answer: r.answer, Retry: r.retry}
}

func failure(code, desc, diagnostic string) reply {
	return reply{fields: map[string]string{"resp_code": code, "resp_desc": desc}, diagnostic: diagnostic}
}

// echoed are the request ids the gateway echoes on every answer.
var echoed = []string{"huifu_id", "req_date", "req_seq_id"}

// withEcho adds the echoed request ids.
func withEcho(r reply, req *request) reply {
	if req == nil {
		return r
	}
	for _, k := range echoed {
		if v := req.str(k); v != "" && r.fields[k] == "" {
			r.fields[k] = v
		}
	}
	return r
}

// withOriginal echoes the ids of the original order the request names, as close and
// closequery answers carry them even when they refuse.
func withOriginal(r reply, req *request) reply {
	for _, k := range []string{"org_req_date", "org_req_seq_id", "org_hf_seq_id"} {
		if v := req.str(k); v != "" && r.fields[k] == "" {
			r.fields[k] = v
		}
	}
	return r
}

func fieldReply(fe *fieldError, req *request) reply {
	r := withEcho(failure(fe.code, fe.desc, fe.detail), req)
	r.kind = sim.ErrInvalidParams
	return r
}

// refusalText is the wording of one endpoint for the neutral errors that differ between
// endpoints.
type refusalText struct {
	notFound     string
	invalidState string
	// overAmount is the wording of ErrInsufficientBalance (default 申请退款金额大于可退余额).
	overAmount string
}

// refusal maps a neutral error to Huifu's code and wording (protocols: error responses),
// then applies the response overrides of a scenario that refused the operation.
func refusal(err error, req *request, text refusalText) reply {
	var e *sim.Error
	if !errors.As(err, &e) {
		e = &sim.Error{Kind: sim.ErrSystem, Detail: err.Error()}
	}
	var r reply
	switch e.Kind {
	case sim.ErrNotFound:
		desc := text.notFound
		if e.Reason == sim.ReasonNoClose {
			desc = descNoClose
		}
		r = failure(codeNotFound, desc, e.Detail)
	case sim.ErrDuplicateRequest:
		r = failure(codeDuplicate, descDuplicate, e.Detail)
	case sim.ErrInsufficientBalance:
		r = failure(codeAmountCheck, cmp.Or(overAmountText(e.Reason, text), descOverRefund), e.Detail)
		r.fields["trans_stat"] = statFailed
	case sim.ErrInvalidState:
		desc := text.invalidState
		if e.Reason == sim.ReasonAlreadyClosed {
			desc = descAlreadyClosed
		}
		r = failure(codeInvalidState, desc, e.Detail)
	case sim.ErrInvalidParams:
		r = failure(codeInvalid, "无效参数", e.Detail)
	case sim.ErrUnknownMerchant:
		r = failure(codeMerchantMissing, descNoMerchant, e.Detail)
	case sim.ErrBadSignature:
		r = failure(codeInvalid, descBadSign, e.Detail)
	default:
		r = failure(codeSystem, descSystem, e.Detail)
	}
	r = withEcho(r, req)
	maps.Copy(r.fields, e.Fields)
	r.scenario, r.kind = e.Scenario, e.Kind
	return r
}

// fingerprint identifies a request's business content for idempotency: the data members
// with empty values dropped, so that an SDK that sends "" for unset fields and one that
// omits them make the same request.
func fingerprint(req *request) string {
	type member struct{ k, v string }
	var ms []member
	for i, k := range req.tree.keys {
		n := req.tree.members[i]
		if (n.kind == kindString && n.text == "") || (n.kind == kindLiteral && n.text == "null") {
			continue
		}
		ms = append(ms, member{k, string(canonicalValue(n))})
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
