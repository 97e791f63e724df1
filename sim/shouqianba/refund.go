package shouqianba

import (
	"fmt"
	"strconv"

	"github.com/paysim/paysim/sim"
)

// refundFingerprint is the same for every refund: whether a refund_request_no was used
// before is decided here by the state of that refund (SQ-A5), not by the retry's content.
const refundFingerprint = "refund"

// refund books a full or partial refund. refund_request_no is unique per order: the
// ledger key is the order's sn and the serial, plus an attempt number once an earlier
// attempt under the same serial has failed.
func (p *Provider) refund(req *request) reply {
	if ps := append(check(req, refundRules), locatorProblem(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	merchant := req.who.terminal.MerchantSN
	order, err := p.locate(merchant, req, false)
	if err != nil {
		return refusal(err, refusalContext{op: sim.OpRefund})
	}
	ctx := refusalContext{op: sim.OpRefund, fullyRefunded: order.Status == sim.StatusSuccess && order.Refunded >= order.Amount}
	no, amount := req.str("refund_request_no"), req.amount("refund_amount")
	alias := refundAlias(order.ProviderID, no)
	fields := map[string]string{fTerminalSN: req.who.sn, fRefundRequestNo: no, fOperator: sim.ScrubText(req.str("operator")),
		fClientTSN: req.str("client_tsn")}
	for attempt := 1; ; attempt++ {
		key := sim.Key{Provider: Name, Merchant: merchant, ID: attemptID(alias, attempt)}
		v, err := p.core.CreateRefund(sim.RefundRequest{
			Key: key, Payment: sim.ByAlias(aliasSN, order.ProviderID), ProviderID: key.ID,
			Aliases: map[string]string{aliasRefund: alias}, Amount: amount, Fields: fields,
			Fingerprint: refundFingerprint, Scenario: req.scenario,
		})
		if err != nil {
			return refusal(err, ctx)
		}
		if !v.Replayed {
			p.inflight.refundStarted(order.Key, alias)
			rep := refundAnswer(v)
			rep.scenario = v.Scenario
			return rep
		}
		switch v.Status {
		case sim.StatusFailed:
			continue // SQ-A5: a failed refund may be retried under its serial
		case sim.StatusSuccess:
			return bizFailure(codeRefundNoop, fmt.Sprintf("refund_request_no %s of order %s already refunded %s fen; a further partial refund needs a new refund_request_no (SQ-A5)",
				no, order.ProviderID, v.Amount.Fen()))
		}
		// A refund still being decided is reported as it stands now, whatever amount
		// this request asked for: its settlement_amount says which refund it is. That
		// is an answer, not a refusal, so it carries no diagnostic (SQ-A5).
		rep := refundAnswer(v)
		rep.scenario = v.Scenario
		return rep
	}
}

func attemptID(alias string, attempt int) string {
	if attempt == 1 {
		return alias
	}
	return alias + "#" + strconv.Itoa(attempt)
}

func refundAnswer(v sim.RefundView) reply {
	rep := outcome(refundResult(v.Status), refundFields(v))
	if v.Status == sim.StatusFailed {
		rep = rep.withError(codeTradeFailed)
	}
	rep = rep.about(v.EntityView)
	if v.Status == sim.StatusFailed {
		rep = rep.failedBy(v.EntityView, fmt.Sprintf("the refund of %s fen of order %s (refund_request_no %s)", v.Amount.Fen(), v.Payment.ProviderID, v.Fields[fRefundRequestNo]))
	}
	return rep
}
