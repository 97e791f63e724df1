package shouqianba

import (
	"fmt"
	"time"

	"github.com/paysim/paysim/sim"
)

// Wire fields stored with an entity at creation.
const (
	fTerminalSN    = "terminal_sn"
	fPayway        = "payway"
	fSubPayway     = "sub_payway"
	fSubject       = "subject"
	fDescription   = "description"
	fOperator      = "operator"
	fReflect       = "reflect"
	fNotifyURL     = "notify_url"
	fTradeNo       = "trade_no"
	fPayerUID      = "payer_uid"
	fPayerLogin    = "payer_login"
	fQRCode        = "qr_code"
	fWapPayRequest = "wap_pay_request"

	fRefundRequestNo = "refund_request_no"
	fClientTSN       = "client_tsn"

	fCloseOp = "operation" // cancel or revoke
	fAbort   = "abort"     // "true" when the close stops a payment not yet paid
)

// Aliases orders and refunds can be found by. A refund's alias is its order's sn and
// refund_request_no; the latest attempt under a serial holds it.
const (
	aliasSN      = "sn"
	aliasTradeNo = "trade_no"
	aliasRefund  = "refund"
)

func refundAlias(orderSN, refundRequestNo string) string { return orderSN + "/" + refundRequestNo }

// orderFields renders an order as biz_response.data.
func orderFields(v sim.PaymentView) orderData {
	f := v.Fields
	d := make(orderData, 24)
	d.set("terminal_sn", f[fTerminalSN])
	d.set("sn", v.ProviderID)
	d.set("client_sn", v.ID)
	d.set("payway", f[fPayway])
	d.set("payway_name", paywayNames[f[fPayway]])
	d.set("sub_payway", f[fSubPayway])
	d.set("total_amount", v.Amount.Fen())
	d.set("net_amount", (v.Amount - v.Refunded).Fen())
	d.set("subject", f[fSubject])
	d.set("description", f[fDescription])
	d.set("operator", f[fOperator])
	d.set("reflect", f[fReflect])
	d.set("ctime", millis(v.CreatedAt))
	orderStatus, status := paymentState(v)
	if v.Status == sim.StatusSuccess && v.Pending > 0 {
		orderStatus, status = orderRefundInProgress, flowInProgress
	}
	d["order_status"], d["status"] = orderStatus, status
	if paid(v) {
		// What the payment settled; an order never paid settled nothing.
		d.set("settlement_amount", v.Amount.Fen())
		d.set("trade_no", f[fTradeNo])
		d.set("payer_uid", f[fPayerUID])
		d.set("payer_login", f[fPayerLogin])
		d["payment_list"] = []map[string]string{{"type": "BANKCARD_DEBIT", "amount_total": v.Amount.Fen()}}
	}
	if v.Status.Final() {
		finished(d, v.CreatedAt, v.FinishedAt)
	}
	return d
}

// finished sets when the last operation completed, at paysim and at the wallet: the
// wallet channelLag earlier, but never before the order was created, so that ctime <=
// channel_finish_time <= finish_time holds for an order paid the instant it was made.
func finished(d orderData, created, at time.Time) {
	channel := at.Add(-channelLag)
	if channel.Before(created) {
		channel = created
	}
	d["finish_time"] = millis(at)
	d["channel_finish_time"] = millis(channel)
}

func unfinished(d orderData) {
	delete(d, "finish_time")
	delete(d, "channel_finish_time")
}

// refundFields renders an order as its refund left it: status is the refund's flow
// status, settlement_amount its amount and operator its operator (the operator of the
// last action, as the query page says).
func refundFields(r sim.RefundView) orderData {
	d := orderFields(r.Payment)
	d["settlement_amount"] = r.Amount.Fen()
	if op := r.Fields[fOperator]; op != "" {
		d["operator"] = op
	}
	switch r.Status {
	case sim.StatusSuccess:
		d["order_status"], d["status"] = refundedState(r.Payment), flowSuccess
		finished(d, r.Payment.CreatedAt, r.FinishedAt)
	case sim.StatusFailed:
		d["order_status"], d["status"] = refundedState(r.Payment), flowFailCanceled
		finished(d, r.Payment.CreatedAt, r.FinishedAt)
	case sim.StatusUnknown:
		d["order_status"], d["status"] = orderRefundError, flowRefundError
		unfinished(d)
	default:
		d["order_status"], d["status"] = orderRefundInProgress, flowInProgress
		unfinished(d)
	}
	return d
}

func refundResult(s sim.Status) string {
	switch s {
	case sim.StatusSuccess:
		return refundOK
	case sim.StatusFailed:
		return refundFail
	case sim.StatusUnknown:
		return refundError
	}
	return refundInProgress
}

// closeFields renders an order as a cancel or revoke left it. A cancel names no
// operator, so the order's stays.
func closeFields(c sim.CloseView) orderData {
	d := orderFields(c.Payment)
	switch c.Status {
	case sim.StatusProcessing:
		d["order_status"], d["status"] = orderCancelInProgress, flowInProgress
		unfinished(d)
	case sim.StatusUnknown:
		d["order_status"], d["status"] = orderCancelError, flowCancelError
		unfinished(d)
	case sim.StatusFailed:
		d["status"] = flowFailCanceled
		finished(d, c.Payment.CreatedAt, c.FinishedAt)
	}
	return d
}

// closeResult is the cancel family code: CANCEL_ABORT_* when the close stopped a payment
// still being paid, CANCEL_* when it reversed a paid one.
func closeResult(c sim.CloseView) string {
	abort := c.Fields[fAbort] == "true"
	switch c.Status {
	case sim.StatusSuccess:
		return pick(abort, cancelAbortOK, cancelOK)
	case sim.StatusProcessing:
		return pick(abort, cancelAbortInProgress, cancelInProgress)
	}
	return pick(abort, cancelAbortError, cancelError)
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

// locate finds the order a request names: by sn first (Shouqianba's order number, or the
// wallet's trade_no, which refunds may carry), then by client_sn, as the seed page says.
// counted makes a successful lookup a status query of the order.
func (p *Provider) locate(merchant string, req *request, counted bool) (sim.PaymentView, error) {
	sn, clientSN := req.str("sn"), req.str("client_sn")
	if sn != "" {
		for _, alias := range []string{aliasSN, aliasTradeNo} {
			v, err := p.core.QueryPayment(Name, merchant, sim.ByAlias(alias, sn), counted)
			if sim.KindOf(err) != sim.ErrNotFound {
				return v, err
			}
		}
	}
	if clientSN != "" {
		v, err := p.core.QueryPayment(Name, merchant, sim.ByID(clientSN), counted)
		if sim.KindOf(err) != sim.ErrNotFound {
			return v, err
		}
	}
	var by []string
	if sn != "" {
		by = append(by, fmt.Sprintf("sn %q", sn))
	}
	if clientSN != "" {
		by = append(by, fmt.Sprintf("client_sn %q", clientSN))
	}
	return sim.PaymentView{}, sim.Errorf(sim.ErrNotFound, "merchant %s has no order with %s (orders are per merchant: a terminal sees the orders of its own merchant)",
		merchant, joinOr(by))
}

func joinOr(parts []string) string {
	if len(parts) == 2 {
		return parts[0] + " or " + parts[1]
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "no locator"
}
