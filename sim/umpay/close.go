package umpay

import (
	"errors"
	"fmt"
	"time"

	"github.com/paysim/paysim/sim"
)

var closeRules = []rule{
	{name: "orderNo", required: true, max: 64},
}

// Close and cancel requests carry no id of their own: each is keyed by the order it
// closes, so a repeated request finds the first one and is answered with where it stands
// now (a close that was still undecided may have succeeded since).
func closeKey(merchant, kind, orderNo string) sim.Key {
	return sim.Key{Provider: Name, Merchant: merchant, ID: kind + ":" + orderNo}
}

// closeOrder closes an order the payer has not paid (in progress or failed). A paid order
// gets 35; an order that is already closed gets 00 (UM-A6).
func (p *Provider) closeOrder(req *request) reply {
	if fe := check(req, closeRules); fe != nil {
		return fieldReply(fe)
	}
	merchant, orderNo := req.str("acqMerId"), req.str("orderNo")
	pay, err := p.original(merchant, orderNo)
	if err != nil {
		return refusal(err, codeIneligible)
	}
	done := map[string]string{"respCode": codeOK, "respMsg": msgOK, "platDate": p.core.Now().Format(dateLayout), "orderNo": orderNo}
	switch {
	case pay.Status == sim.StatusClosed && pay.Closure == sim.ClosureReversed:
		return failure(codeIneligible, msgIneligible, fmt.Sprintf("order %s was revoked by pay/cancelOrder; there is nothing to close", orderNo))
	case pay.Status == sim.StatusFailed:
		// The payment can no longer be paid, so closing it is already true.
		return reply{fields: done}
	}
	v, err := p.core.CreateClose(sim.CloseRequest{Key: closeKey(merchant, "close", orderNo), Payment: sim.ByID(orderNo),
		Scenario: req.scenario, Fields: map[string]string{fOrderTime: req.str("orderTime")}})
	if err != nil {
		var e *sim.Error
		if errors.As(err, &e) && e.Kind == sim.ErrInvalidState && e.Scenario == "" {
			switch {
			case e.Reason == sim.ReasonAlreadyClosed || pay.Status == sim.StatusClosed:
				return reply{fields: done} // UM-A6, also for an order closed by expiry
			case e.Reason == sim.ReasonPaymentFinal:
				return failure(codeIneligible, msgIneligible, fmt.Sprintf("order %s is paid; a paid order cannot be closed: refund it with pay/refund, or revoke a same-day barcode payment with pay/cancelOrder (%s)", orderNo, e.Detail))
			}
		}
		return refusal(err, codeIneligible)
	}
	return p.closeReply(v, done)
}

// cancelOrder revokes a same-day WeChat or Alipay barcode payment, paid or not (撤销).
// Anything else gets 35.
func (p *Provider) cancelOrder(req *request) reply {
	if fe := check(req, closeRules); fe != nil {
		return fieldReply(fe)
	}
	merchant, orderNo := req.str("acqMerId"), req.str("orderNo")
	pay, err := p.original(merchant, orderNo)
	if err != nil {
		return refusal(err, codeIneligible)
	}
	if why := cancelRefusal(pay, p.core.Now()); why != "" {
		return failure(codeIneligible, msgIneligible, why)
	}
	v, err := p.core.CreateClose(sim.CloseRequest{Key: closeKey(merchant, "cancel", orderNo), Payment: sim.ByID(orderNo),
		Scenario: req.scenario, Reverse: true, Fields: map[string]string{fOrderTime: req.str("orderTime")}})
	if err != nil {
		return refusal(err, codeIneligible)
	}
	return p.closeReply(v, map[string]string{"platDate": p.core.Now().Format(dateLayout), "orderNo": orderNo,
		"transactionId": pay.ProviderID})
}

// cancelRefusal says why an order cannot be revoked, or "" if it can.
func cancelRefusal(pay sim.PaymentView, now time.Time) string {
	switch {
	case pay.Fields[fAPI] != apiMicropay:
		return fmt.Sprintf("order %s was placed through pay/%s; only barcode (pay/micropay) payments can be revoked, close it with pay/closeOrder or refund it", pay.ID, pay.Fields[fAPI])
	case walletOf(pay.Fields[fOrderType]) == "unionpay":
		return fmt.Sprintf("order %s is a unionpay barcode payment; only WeChat and Alipay payments can be revoked, refund it instead", pay.ID)
	case pay.CreatedAt.Format(dateLayout) != now.Format(dateLayout):
		return fmt.Sprintf("order %s was paid on %s; only same-day payments can be revoked (today is %s), refund it instead",
			pay.ID, pay.CreatedAt.Format(dateLayout), now.Format(dateLayout))
	}
	return ""
}

// closeReply answers a close or cancel by the status it has now. A repeated request is
// answered the same way, never with the stored bytes of the first answer: a close that
// was still undecided then may have succeeded since.
func (p *Provider) closeReply(v sim.CloseView, out map[string]string) reply {
	out["respCode"], out["respMsg"] = closeCode(v.Status)
	r := finish(out, v.EntityView)
	r.answer, r.retry = nil, false
	return r
}
