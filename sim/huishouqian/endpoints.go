package huishouqian

import (
	"fmt"
	"maps"
	"slices"

	"github.com/paysim/paysim/sim"
)

// Business parameter names, also the keys of the wire fields stored with an entity.
const (
	fTransNo        = "transNo"
	fOrigTransNo    = "origTransNo"
	fOrderAmt       = "orderAmt"
	fOrigOrderAmt   = "origOrderAmt"
	fPayType        = "payType"
	fPayCode        = "payCode"
	fGoodsInfo      = "goodsInfo"
	fRequestDate    = "requestDate"
	fSubMerchantNo  = "subMerchantNo"
	fReturnURL      = "returnUrl" // the notify URL, kept for the notification engine
	fPageURL        = "pageUrl"
	fMemo           = "memo"
	fExtend         = "extend"
	fRefundReason   = "refundReason"
	fMethod         = "method" // the originating method, which a notification repeats (HQ-A5)
	fQRCode         = "qrCode"
	fChannelOrderNo = "channelOrderNo"
	fPayOrderNo     = "payOrderNo"
	fBuyerName      = "buyerName"
	fFundChannel    = "fundChannel"
	fFundBankCode   = "fundBankCode"
)

// payType values (protocols: Huishouqian methods), split by how the payer authorises.
var (
	mainSweptPayTypes = []string{"ALI_JSAPI", "ALI_APPLET", "WECHAT_APPLET", "WECHAT_JSAPI",
		"DYNAMIC_WECHAT", "DYNAMIC_ALPAY", "DYNAMIC_UNION", "DYNAMIC_ALL"}
	barcodePayTypes = []string{"ALI_BARCODEPAY", "WECHAT_MICROPAY"}
)

var (
	transNoRule  = rule{name: fTransNo, required: true, max: 64}
	orderAmtRule = rule{name: fOrderAmt, required: true, max: 16, format: fen}
	mainRules    = []rule{
		transNoRule, orderAmtRule,
		{name: fPayType, required: true, enum: mainSweptPayTypes},
		{name: fGoodsInfo, required: true},
		{name: fRequestDate, required: true, format: dateTime},
		{name: fSubMerchantNo, max: 16},
		{name: fMemo, format: jsonObject},
		{name: fExtend, max: 128},
	}
	barcodeRules = []rule{
		transNoRule, orderAmtRule,
		{name: fPayType, required: true, enum: barcodePayTypes},
		{name: fPayCode, required: true, max: 32, format: digits},
		{name: fGoodsInfo, required: true},
		{name: fRequestDate, required: true, format: dateTime},
		{name: fSubMerchantNo, max: 16},
		{name: fMemo, format: jsonObject},
		{name: fExtend, max: 128},
	}
	queryRules  = []rule{transNoRule}
	refundRules = []rule{
		transNoRule,
		{name: fOrigTransNo, required: true, max: 64},
		orderAmtRule,
		{name: fRequestDate, required: true, format: dateTime},
		{name: fOrigOrderAmt, max: 16, format: fen},
		{name: fExtend, max: 128},
	}
)

func (p *Provider) mainSwept(req *request) reply {
	if fe := check(req.biz, mainRules); fe != nil {
		return fe.reply()
	}
	return p.createPayment(req, sim.FlowQRCode)
}

func (p *Provider) beSwept(req *request) reply {
	if fe := check(req.biz, barcodeRules); fe != nil {
		return fe.reply()
	}
	return p.createPayment(req, sim.FlowBarcode)
}

func (p *Provider) createPayment(req *request, flow sim.Flow) reply {
	biz := req.biz
	now := p.core.Now()
	memo := sim.ScrubText(memoText(biz))
	expiresAfter, fe := expiry(memo, now)
	if fe != nil {
		return fe.reply()
	}
	amount, _ := sim.ParseFen(biz.str(fOrderAmt))
	payType := biz.str(fPayType)
	tradeNo := p.tradeNo(now)
	fields := map[string]string{
		fMethod: req.method, fPayType: payType, fGoodsInfo: sim.ScrubText(biz.str(fGoodsInfo)),
		fRequestDate: biz.str(fRequestDate), fSubMerchantNo: biz.str(fSubMerchantNo),
		fReturnURL: biz.str(fReturnURL), fPageURL: biz.str(fPageURL), fMemo: memo,
		fExtend: sim.ScrubText(biz.str(fExtend)), fChannelOrderNo: p.channelOrderNo(now),
		fPayOrderNo: p.payOrderNo(now, payType),
	}
	fields[fBuyerName], fields[fFundChannel], fields[fFundBankCode] = p.payer(payType)
	if flow == sim.FlowQRCode {
		fields[fQRCode] = p.qrCode(payType, tradeNo, now)
	}
	v, err := p.core.CreatePayment(sim.PaymentRequest{
		Key:        sim.Key{Provider: Name, Merchant: req.merchantNo, ID: biz.str(fTransNo)},
		ProviderID: tradeNo, Amount: amount, Flow: flow, Fields: fields,
		Fingerprint: fingerprint(biz), Scenario: req.scenario, ExpiresAfter: expiresAfter,
	})
	if err != nil {
		return refusal(err)
	}
	if v.Replayed {
		// HQ-A4: a pay transNo is never reused, even for an identical retry. The refusal
		// still names the entity's scenario, as every identical retry does; it carries no
		// stored answer, so the pipeline sends this refusal rather than the first answer.
		r := failure(codeTransNoRepeat, msgTransNoRepeat, fmt.Sprintf("transNo %s of merchant %s was already used for a payment (created %s); a pay transNo cannot be reused",
			v.ID, v.Merchant, v.CreatedAt.Format(dateTimeLayout)))
		r.scenario = v.Scenario
		return r
	}
	out := paymentResult(v)
	if flow == sim.FlowBarcode {
		out["finishedDate"] = finishedDate(v.EntityView)
		out[fFundChannel], out[fFundBankCode] = paidOnly(v, fFundChannel), paidOnly(v, fFundBankCode)
	} else if !v.Status.Final() {
		out[fQRCode] = v.Fields[fQRCode]
	}
	return finish(out, v.EntityView)
}

// paymentResult holds the order fields every pay and query answer carries.
func paymentResult(v sim.PaymentView) map[string]string {
	out := map[string]string{
		"merchantNo": v.Merchant, fTransNo: v.ID, "tradeNo": v.ProviderID,
		fOrderAmt: v.Amount.Fen(), "orderStatus": orderStatus(v.Status),
		fPayOrderNo: paidOnly(v, fPayOrderNo), fExtend: v.Fields[fExtend],
	}
	out["respCode"], out["respMsg"] = respFor(v.Status)
	return out
}

// paidOnly is a field the wallet only reports once the payer has paid.
func paidOnly(v sim.PaymentView, field string) string {
	if v.Status != sim.StatusSuccess {
		return ""
	}
	return v.Fields[field]
}

func finishedDate(v sim.EntityView) string {
	if v.FinishedAt.IsZero() {
		return ""
	}
	return v.FinishedAt.Format(dateTimeLayout)
}

// finish applies the scenario state's overrides and names the scenario. The answer to a
// create carries the entity's stored answer: the pipeline keeps the signed bytes there,
// and sends them again to an identical retry.
func finish(out map[string]string, v sim.EntityView) reply {
	maps.Copy(out, v.Overrides)
	return reply{result: out, scenario: v.Scenario, why: v.SelectedBy, fault: v.Fault, answer: v.Answer, retry: v.Replayed}
}

// notFoundResult is a query miss: success:true with respCode 200004 (HQ-A2).
func notFoundResult(merchantNo, transNo string, err error) reply {
	if sim.KindOf(err) != sim.ErrNotFound {
		return refusal(err)
	}
	return reply{result: map[string]string{"merchantNo": merchantNo, fTransNo: transNo,
		"respCode": respNotFound, "respMsg": respMsgNotFound}, diagnostic: err.Error()}
}

func (p *Provider) query(req *request) reply {
	if fe := check(req.biz, queryRules); fe != nil {
		return fe.reply()
	}
	// queryType ("2" or 2) has no known meaning and is ignored.
	transNo := req.biz.str(fTransNo)
	v, err := p.core.QueryPayment(Name, req.merchantNo, sim.ByID(transNo), true)
	if err != nil {
		return notFoundResult(req.merchantNo, transNo, err)
	}
	out := paymentResult(v)
	out["finishedDate"] = finishedDate(v.EntityView)
	for _, f := range []string{fPayType, fGoodsInfo, fRequestDate, fChannelOrderNo, fMemo} {
		out[f] = v.Fields[f]
	}
	for _, f := range []string{fBuyerName, fFundChannel, fFundBankCode} {
		out[f] = paidOnly(v, f)
	}
	return finish(out, v.EntityView)
}

func (p *Provider) refund(req *request) reply {
	biz := req.biz
	if fe := check(biz, refundRules); fe != nil {
		return fe.reply()
	}
	orig := sim.ByID(biz.str(fOrigTransNo))
	if text := biz.str(fOrigOrderAmt); text != "" {
		pay, err := p.core.QueryPayment(Name, req.merchantNo, orig, false)
		if err != nil {
			return refusal(err)
		}
		if want, _ := sim.ParseFen(text); want != pay.Amount {
			return invalid(fOrigOrderAmt, "origOrderAmt %s fen does not equal the amount of order %s, %s fen", want.Fen(), pay.ID, pay.Amount.Fen()).reply()
		}
	}
	amount, _ := sim.ParseFen(biz.str(fOrderAmt))
	now := p.core.Now()
	key := sim.Key{Provider: Name, Merchant: req.merchantNo, ID: biz.str(fTransNo)}
	v, err := p.core.CreateRefund(sim.RefundRequest{
		Key: key, Payment: orig, ProviderID: p.tradeNo(now), Amount: amount,
		Fingerprint: fingerprint(biz), Scenario: req.scenario,
		Fields: map[string]string{fMethod: req.method, fRequestDate: biz.str(fRequestDate), fReturnURL: biz.str(fReturnURL),
			fExtend: sim.ScrubText(biz.str(fExtend)), fRefundReason: sim.ScrubText(biz.str(fRefundReason))},
	})
	if err != nil {
		return refusal(err)
	}
	// HQ-A4: an identical refund gets the stored result, byte for byte (the pipeline sends
	// it instead of this rendering).
	return finish(refundResult(v), v.EntityView)
}

// refundResult holds the fields of refund and refund query answers.
func refundResult(v sim.RefundView) map[string]string {
	out := map[string]string{
		"merchantNo": v.Merchant, fTransNo: v.ID, fOrigTransNo: v.Payment.ID, "tradeNo": v.ProviderID,
		fOrderAmt: v.Amount.Fen(), "orderStatus": orderStatus(v.Status), "finishedDate": finishedDate(v.EntityView),
		fExtend: v.Fields[fExtend],
	}
	out["respCode"], out["respMsg"] = respFor(v.Status)
	return out
}

func (p *Provider) refundQuery(req *request) reply {
	if fe := check(req.biz, queryRules); fe != nil {
		return fe.reply()
	}
	transNo := req.biz.str(fTransNo)
	v, err := p.core.QueryRefund(Name, req.merchantNo, sim.ByID(transNo))
	if err != nil {
		return notFoundResult(req.merchantNo, transNo, err)
	}
	return finish(refundResult(v), v.EntityView)
}

// PrepareSeed mints what a paid order created through POLYMERIZE_MAIN_SWEPTN would carry.
// Fields may name the payType (a barcode payType seeds a barcode order).
func (p *Provider) PrepareSeed(req *sim.PaymentRequest) error {
	now := p.core.Now()
	f := map[string]string{fPayType: "DYNAMIC_ALL", fGoodsInfo: "paysim seeded order", fRequestDate: now.Format(dateTimeLayout)}
	maps.Copy(f, req.Fields)
	req.Flow, f[fMethod] = sim.FlowQRCode, MethodMainSwept
	switch {
	case slices.Contains(barcodePayTypes, f[fPayType]):
		req.Flow, f[fMethod] = sim.FlowBarcode, MethodBeSwept
	case !slices.Contains(mainSweptPayTypes, f[fPayType]):
		f[fPayType] = "DYNAMIC_ALL"
	}
	tradeNo := p.tradeNo(now)
	f[fChannelOrderNo] = p.channelOrderNo(now)
	f[fPayOrderNo] = p.payOrderNo(now, f[fPayType])
	f[fBuyerName], f[fFundChannel], f[fFundBankCode] = p.payer(f[fPayType])
	req.ProviderID, req.Fields = tradeNo, f
	return nil
}
