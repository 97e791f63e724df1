package umpay

import (
	"fmt"

	"github.com/paysim/paysim/sim"
)

var (
	refundRules = []rule{
		{name: "orderTime", required: true, format: dateTime14},
		{name: "origOrderNo", required: true, max: 64},
		{name: "origTxnAmt", required: true, format: fen},
		{name: "orderNo", required: true, max: 64},
		{name: "txnAmt", required: true, format: fen},
		{name: "backUrl", max: 256},
		{name: "merPriv", max: 128},
	}
	refundQueryRules = []rule{
		{name: "orderNo", required: true, max: 64},
	}
)

// Stored wire fields of a refund.
const fOrigOrderNo = "origOrderNo"

// original finds the order a refund, close or cancel is about, without counting a
// status query, and says which one was missing if none is found.
func (p *Provider) original(merchant, orderNo string) (sim.PaymentView, error) {
	v, err := p.core.QueryPayment(Name, merchant, sim.ByID(orderNo), false)
	if sim.KindOf(err) == sim.ErrNotFound {
		return v, sim.Errorf(sim.ErrNotFound, "no original order %q of merchant %s", orderNo, merchant)
	}
	return v, err
}

// refund asks for money back. 00 means accepted; pay/refundQuery gives the result. An
// identical retry gets the stored bytes of the first answer (UM-A4).
func (p *Provider) refund(req *request) reply {
	if fe := check(req, refundRules); fe != nil {
		return fieldReply(fe)
	}
	merchant, origNo := req.str("acqMerId"), req.str("origOrderNo")
	orig, err := p.original(merchant, origNo)
	if err != nil {
		return refusal(err, codeIneligible)
	}
	if total := amountOf(req, "origTxnAmt"); total != orig.Amount {
		return failure(codeMismatch, msgMismatch, fmt.Sprintf("origTxnAmt %s must be the original order's full amount %s (fen), not %s",
			req.byKey["origTxnAmt"].text, orig.Amount.Fen(), total.Fen()))
	}
	now := p.core.Now()
	txn := p.transactionID(now)
	v, err := p.core.CreateRefund(sim.RefundRequest{
		Key:     sim.Key{Provider: Name, Merchant: merchant, ID: req.str("orderNo")},
		Payment: sim.ByID(origNo), ProviderID: txn, Aliases: map[string]string{aliasTxn: txn},
		Amount: amountOf(req, "txnAmt"), Fingerprint: fingerprint(req), Scenario: req.scenario,
		Fields: map[string]string{fOrigOrderNo: origNo, fOrderTime: req.str("orderTime"),
			fBackURL: req.str("backUrl"), fMerPriv: req.str("merPriv")},
	})
	if err != nil {
		return refusal(err, codeIneligible)
	}
	out := map[string]string{
		"respCode": codeOK, "respMsg": msgOK,
		"platDate": v.CreatedAt.Format(dateLayout), "transactionId": v.ProviderID,
		"orderNo": v.ID, "txnAmt": v.Amount.Fen(),
	}
	return finish(out, v.EntityView)
}

// refundQuery reads a refund: origRespCode 02 processing, 00 refunded, 01 failed.
func (p *Provider) refundQuery(req *request) reply {
	if fe := check(req, refundQueryRules); fe != nil {
		return fieldReply(fe)
	}
	v, err := p.core.QueryRefund(Name, req.str("acqMerId"), sim.ByID(req.str("orderNo")))
	if err != nil {
		return refusal(err, codeNoTrade)
	}
	out := map[string]string{
		"respCode": codeOK, "respMsg": msgOK, "origRespCode": refundState(v.Status),
		"platDate": v.CreatedAt.Format(dateLayout), "orderNo": v.ID, "txnAmt": v.Amount.Fen(),
		"transactionId": v.ProviderID,
	}
	return finish(out, v.EntityView)
}
