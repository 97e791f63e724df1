package umpay

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/paysim/paysim/sim"
)

// orderType values each paying route takes (protocols 5.4).
var (
	barcodeOrderTypes = []string{"alipay", "wechat", "unionpay"}
	qrOrderTypes      = []string{"alipay", "wechat", "unionpay", "mobilepos", "dycode"}
	jsOrderTypes      = []string{"wechatJs", "alipayJs", "unionpayJs"}
)

// Stored wire fields of an order. Notifications (a later issue) need backUrl.
const (
	fAPI        = "api" // the route that created the order: micropay, qrpay, unifiedOrder
	fOrderType  = "orderType"
	fOrderTime  = "orderTime"
	fBackURL    = "backUrl"
	fMerPriv    = "merPriv"
	fGoodsInfo  = "goodsInfo"
	fPaySeq     = "paySeq"
	fDepBankSeq = "depBankSeq"
	fQRCode     = "qrCode"
	fUserID     = "userId"
)

// aliasTxn finds payments and refunds by the transactionId paysim minted.
const aliasTxn = "transactionId"

// Route names as stored in fAPI.
const (
	apiMicropay = "micropay"
	apiQRPay    = "qrpay"
	apiUnified  = "unifiedOrder"
)

var (
	payCommon = []rule{
		{name: "orderTime", required: true, format: dateTime14},
		{name: "orderNo", required: true, max: 64},
		{name: "txnAmt", required: true, format: fen},
		{name: "goodsId", max: 64},
		{name: "goodsInfo", max: 128},
		{name: "backUrl", max: 256},
		{name: "merPriv", max: 128},
		{name: "goodsTag", max: 32},
		{name: "subAppId", max: 32},
	}
	micropayRules = append(append([]rule{}, payCommon...),
		rule{name: "orderType", required: true, enum: barcodeOrderTypes},
		rule{name: "authCode", required: true, max: 128, format: digits},
		rule{name: "longitude", max: 16},
		rule{name: "latitude", max: 16},
	)
	qrpayRules = append(append([]rule{}, payCommon...),
		rule{name: "orderType", required: true, enum: qrOrderTypes},
		rule{name: "paymentValidTime", max: 6, format: digits},
		rule{name: "creditFlag", max: 2},
	)
	unifiedRules = append(append([]rule{}, payCommon...),
		rule{name: "orderType", required: true, enum: jsOrderTypes},
		rule{name: "userId", required: true, max: 128},
		rule{name: "appId", max: 32},
		rule{name: "paymentValidTime", max: 6, format: digits},
	)
)

func (p *Provider) micropay(req *request) reply {
	if fe := check(req, micropayRules); fe != nil {
		return fieldReply(fe)
	}
	return p.createPayment(req, apiMicropay, sim.FlowBarcode, 0)
}

func (p *Provider) qrpay(req *request) reply {
	if fe := check(req, qrpayRules); fe != nil {
		return fieldReply(fe)
	}
	return p.createPayment(req, apiQRPay, sim.FlowQRCode, validTime(req))
}

func (p *Provider) unifiedOrder(req *request) reply {
	// appId and subAppId are optional, wechatJs included (UM-A12): the field notes make appId
	// depend on whose app the openid in userId came from, and the official demo sends none.
	if fe := check(req, unifiedRules); fe != nil {
		return fieldReply(fe)
	}
	return p.createPayment(req, apiUnified, sim.FlowQRCode, validTime(req))
}

// validTime reads paymentValidTime (seconds). The docs clamp values under 300 or over
// 1800 to 300; with none given the order does not expire here, so that a test is never
// surprised by a close it did not ask for.
func validTime(req *request) time.Duration {
	s := req.str("paymentValidTime")
	if s == "" {
		return 0
	}
	secs, err := strconv.Atoi(s)
	if err != nil || secs < 300 || secs > 1800 {
		secs = 300
	}
	return time.Duration(secs) * time.Second
}

func (p *Provider) createPayment(req *request, api string, flow sim.Flow, expires time.Duration) reply {
	now := p.core.Now()
	txn := p.transactionID(now)
	orderType := req.str("orderType")
	fields := map[string]string{
		fAPI: api, fOrderType: orderType, fOrderTime: req.str("orderTime"), fBackURL: req.str("backUrl"),
		fMerPriv: req.str("merPriv"), fGoodsInfo: req.str("goodsInfo"), fUserID: req.str("userId"),
		fPaySeq: p.paySeq(), fDepBankSeq: p.depBankSeq(now, orderType),
	}
	var extra map[string]string
	switch api {
	case apiQRPay:
		fields[fQRCode] = p.qrCode(orderType, txn)
	case apiUnified:
		appID := req.str("appId")
		if appID == "" {
			appID = req.str("subAppId")
		}
		extra = p.jsPayment(orderType, appID, txn, now)
		extra["openId"] = req.str("userId")
	}
	key := sim.Key{Provider: Name, Merchant: req.str("acqMerId"), ID: req.str("orderNo")}
	v, err := p.core.CreatePayment(sim.PaymentRequest{
		Key: key, ProviderID: txn, Aliases: map[string]string{aliasTxn: txn},
		Amount: amountOf(req, "txnAmt"), Flow: flow, Fields: fields,
		Fingerprint: fingerprint(req), Scenario: req.scenario, ExpiresAfter: expires,
	})
	if err != nil {
		return refusal(err, codeIneligible)
	}
	if v.Replayed {
		// UM-A4: an orderNo is used once, even by an identical retry of a payment: the
		// retry is refused, not answered with the stored bytes.
		return failure(codeDuplicate, msgDuplicate, "orderNo "+v.ID+" of merchant "+v.Merchant+" was already used for payment "+v.ProviderID+"; query it with pay/queryOrder")
	}
	out := map[string]string{
		"platDate": v.CreatedAt.Format(dateLayout), "orderNo": v.ID, "transactionId": v.ProviderID,
		"txnAmt": v.Amount.Fen(),
	}
	out["respCode"], out["respMsg"] = payCode(v.Status, flow)
	switch {
	case v.Status == sim.StatusSuccess:
		maps.Copy(out, paidFields(v))
	case api == apiQRPay && !v.Status.Final():
		out["qrCode"] = v.Fields[fQRCode]
	case api == apiUnified && !v.Status.Final():
		maps.Copy(out, extra)
	}
	return finish(out, v.EntityView)
}

// paidFields are what a paid order carries: the payment serial, the wallet's number and
// the settlement date.
func paidFields(v sim.PaymentView) map[string]string {
	return map[string]string{
		"paySeq": v.Fields[fPaySeq], "depBankSeq": v.Fields[fDepBankSeq],
		"stlDate": v.FinishedAt.Format(dateLayout),
	}
}

// finish applies the scenario state's overrides and names the scenario. The answer to a
// create carries the entity's stored answer: the pipeline keeps the signed bytes there,
// and sends them again to an identical retry.
func finish(out map[string]string, v sim.EntityView) reply {
	maps.Copy(out, v.Overrides)
	return reply{fields: out, scenario: v.Scenario, why: v.SelectedBy, fault: v.Fault, answer: v.Answer, retry: v.Replayed}
}

// PrepareSeed mints what a paid order created through qrpay would carry. Fields may ask
// for another route (api: micropay makes a barcode payment that cancelOrder can revoke)
// or orderType.
func (p *Provider) PrepareSeed(req *sim.PaymentRequest) error {
	now := p.core.Now()
	txn := p.transactionID(now)
	f := map[string]string{fAPI: apiQRPay, fOrderType: "wechat", fOrderTime: now.Format(dateTimeLayout)}
	maps.Copy(f, req.Fields)
	if !slices.Contains([]string{apiMicropay, apiQRPay, apiUnified}, f[fAPI]) {
		f[fAPI] = apiQRPay
	}
	f[fPaySeq], f[fDepBankSeq] = p.paySeq(), p.depBankSeq(now, f[fOrderType])
	req.ProviderID, req.Fields = txn, f
	req.Aliases = map[string]string{aliasTxn: txn}
	req.Flow = sim.FlowQRCode
	if f[fAPI] == apiMicropay {
		req.Flow = sim.FlowBarcode
	}
	return nil
}
