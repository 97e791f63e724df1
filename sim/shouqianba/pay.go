package shouqianba

import (
	"fmt"
	"time"

	"github.com/paysim/paysim/sim"
)

// How long an order may stay undecided before the gateway cancels it on its own: a pay
// in progress after about 40 s, a precreate after about 4 min (protocols: Shouqianba
// endpoints, behaviour).
const (
	payExpiry       = 40 * time.Second
	precreateExpiry = 4 * time.Minute
)

// payFingerprint is the same for every pay and precreate: a client_sn that exists is a
// CLIENT_SN_CONFLICT whether or not the retry is identical (protocols 1.6), so the
// content of the retry never matters.
const payFingerprint = "order"

// orderKind is what differs between pay and precreate.
type orderKind struct {
	flow      sim.Flow
	payway    string
	subPayway string
	expires   time.Duration
}

func (p *Provider) pay(req *request) reply {
	if ps := append(check(req, payRules), orderProblems(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	payway := req.str("payway")
	if payway == "" {
		var ok bool
		if payway, ok = paywayFromBarcode(req.str("dynamic_id")); !ok {
			return p.invalidBarcode(req)
		}
	}
	return p.createOrder(req, orderKind{flow: sim.FlowBarcode, payway: payway, subPayway: subBarcode, expires: payExpiry})
}

func (p *Provider) precreate(req *request) reply {
	if ps := append(check(req, precreateRules), orderProblems(req)...); len(ps) > 0 {
		return invalidParams(ps)
	}
	sub := req.str("sub_payway")
	if sub == "" {
		sub = subQRCode
	}
	return p.createOrder(req, orderKind{flow: sim.FlowQRCode, payway: req.str("payway"), subPayway: sub, expires: precreateExpiry})
}

// invalidBarcode answers a payer code no wallet issues (SQ-A6): PAY_FAIL, with the order
// data the gateway reports for a payment it cancelled at once. No order is kept.
func (p *Provider) invalidBarcode(req *request) reply {
	now := p.core.Now()
	d := orderData{}
	d.set("terminal_sn", req.who.sn)
	d.set("sn", p.orderSN(now))
	d.set("client_sn", req.str("client_sn"))
	d.set("total_amount", req.amount("total_amount").Fen())
	d.set("net_amount", req.amount("total_amount").Fen())
	d.set("subject", sim.ScrubText(req.str("subject")))
	d.set("operator", sim.ScrubText(req.str("operator")))
	d.set("ctime", millis(now))
	d["order_status"], d["status"] = orderPayCanceled, flowFailCanceled
	finished(d, now, now)
	rep := outcome(payFail, d).withError(codeInvalidBarcode)
	rep.diagnostic = fmt.Sprintf("dynamic_id %q is not a wallet payment code and no payway was given: WeChat codes start 10-15, Alipay 25-30, UnionPay 62 (SQ-A6)", sim.Clip(req.str("dynamic_id"), 40))
	return rep
}

func (p *Provider) createOrder(req *request, k orderKind) reply {
	now := p.core.Now()
	sn := p.orderSN(now)
	fields := map[string]string{
		fTerminalSN: req.who.sn, fPayway: k.payway, fSubPayway: k.subPayway,
		fSubject: sim.ScrubText(req.str("subject")), fDescription: sim.ScrubText(req.str("description")),
		fOperator: sim.ScrubText(req.str("operator")), fReflect: sim.ScrubText(req.text("reflect")),
		fNotifyURL: req.str("notify_url"), fTradeNo: p.tradeNo(now, k.payway),
	}
	fields[fPayerUID], fields[fPayerLogin] = p.payer(k.payway)
	if uid := req.str("payer_uid"); uid != "" {
		fields[fPayerUID], fields[fPayerLogin] = sim.ScrubText(uid), ""
	}
	if k.flow == sim.FlowQRCode {
		if k.subPayway == subWAP || k.subPayway == subMini {
			fields[fWapPayRequest] = p.wapPayRequest(k.payway, now)
		} else {
			fields[fQRCode] = p.qrCode(k.payway)
		}
	}
	key := sim.Key{Provider: Name, Merchant: req.who.terminal.MerchantSN, ID: req.str("client_sn")}
	v, err := p.core.CreatePayment(sim.PaymentRequest{
		Key: key, ProviderID: sn, Aliases: map[string]string{aliasSN: sn, aliasTradeNo: fields[fTradeNo]},
		Amount: req.amount("total_amount"), Flow: k.flow, Fields: fields,
		Fingerprint: payFingerprint, Scenario: req.scenario, ExpiresAfter: k.expires,
	})
	if err != nil {
		return refusal(err, refusalContext{op: sim.OpPayment})
	}
	if v.Replayed {
		// Any pay or precreate naming an existing client_sn is refused, identical or not.
		return bizFailure(codeClientSNConflict, fmt.Sprintf("client_sn %s already names order %s of merchant %s; every pay and precreate needs a new client_sn (to learn how an order ended, query it)",
			v.ID, v.ProviderID, v.Merchant))
	}
	var rep reply
	if k.flow == sim.FlowBarcode {
		rep = payAnswer(v)
	} else {
		rep = precreateAnswer(v)
	}
	rep = rep.about(v.EntityView)
	rep.scenario = v.Scenario
	if v.Status == sim.StatusFailed || v.Status == sim.StatusClosed {
		rep = rep.failedBy(v.EntityView, "the payment of order "+v.ProviderID)
	}
	return rep
}

// payAnswer maps a new barcode payment: paid, still being paid, failed, or unknown (the
// "ERROR" family, neutral unknown).
func payAnswer(v sim.PaymentView) reply {
	d := orderFields(v)
	switch v.Status {
	case sim.StatusSuccess:
		return outcome(payOK, d)
	case sim.StatusUnknown:
		return outcome(payFailError, d)
	case sim.StatusFailed, sim.StatusClosed:
		return outcome(payFail, d).withError(codeTradeFailed)
	}
	return outcome(payInProgress, d)
}

// precreateAnswer maps a new QR or WAP order; while it waits for the payer it carries
// what the payer scans or the wallet opens.
func precreateAnswer(v sim.PaymentView) reply {
	d := orderFields(v)
	switch v.Status {
	case sim.StatusUnknown:
		return outcome(precreateFailError, d)
	case sim.StatusFailed, sim.StatusClosed:
		return outcome(precreateFail, d).withError(codeTradeFailed)
	case sim.StatusProcessing:
		d.set("qr_code", v.Fields[fQRCode])
		d.set("wap_pay_request", v.Fields[fWapPayRequest])
	}
	return outcome(precreateOK, d)
}

// PrepareSeed mints what a paid order made through /upay/v2/pay would carry. Fields may
// set payway, sub_payway, subject, operator, terminal_sn, and sn (a 16-digit order number
// to use instead of a minted one, e.g. the one a captured request names).
func (p *Provider) PrepareSeed(req *sim.PaymentRequest) error {
	now := p.core.Now()
	f := map[string]string{fTerminalSN: TestTerminalSN, fPayway: "3", fSubPayway: subBarcode,
		fSubject: "paysim seeded order", fOperator: "paysim"}
	for k, v := range req.Fields {
		f[k] = v
	}
	if paywayNames[f[fPayway]] == "" {
		f[fPayway] = "3"
	}
	sn := f[aliasSN]
	delete(f, aliasSN)
	switch {
	case sn == "":
		sn = p.orderSN(now)
	case len(sn) != 16 || !sim.IsDigits(sn):
		return fmt.Errorf("sn %q is not an order number Shouqianba could have given: 16 digits, such as 7892260101000001", sn)
	}
	f[fTradeNo] = p.tradeNo(now, f[fPayway])
	f[fPayerUID], f[fPayerLogin] = p.payer(f[fPayway])
	req.ProviderID, req.Fields = sn, f
	req.Aliases = map[string]string{aliasSN: sn, aliasTradeNo: f[fTradeNo]}
	req.Flow = sim.FlowQRCode
	if f[fSubPayway] == subBarcode {
		req.Flow = sim.FlowBarcode
	}
	return nil
}
