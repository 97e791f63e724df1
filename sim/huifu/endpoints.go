package huifu

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/paysim/paysim/sim"
)

// Trade types the scanpay API takes (protocols: Huifu endpoints).
var (
	orderTradeTypes   = []string{"T_JSAPI", "T_MINIAPP", "T_APP", "A_JSAPI", "A_NATIVE", "U_NATIVE", "U_JSAPI", "D_NATIVE"}
	barcodeTradeTypes = []string{"T_MICROPAY", "A_MICROPAY", "U_MICROPAY", "D_MICROPAY"}
)

// Stored wire fields of an entity.
const (
	fReqDate    = "req_date"
	fTradeType  = "trade_type"
	fGoodsDesc  = "goods_desc"
	fNotifyURL  = "notify_url"
	fRemark     = "remark"
	fProductID  = "product_id"
	fPartyOrder = "party_order_id"
	fOutTrans   = "out_trans_id"
	fPayInfoKey = "pay_info_field"
	fPayInfo    = "pay_info"
	fHfSeqID    = "hf_seq_id"
)

// Aliases payments and refunds can be found by. aliasReq combines req_date and
// req_seq_id: Huifu ids are unique per merchant and day.
const (
	aliasSeq   = "hf_seq_id"
	aliasParty = "party_order_id"
	aliasReq   = "req"
)

func reqAlias(date, seq string) string { return date + "/" + seq }

var (
	commonCreate = []rule{
		{name: "req_date", required: true, format: dateYMD},
		{name: "req_seq_id", required: true, max: 128},
		{name: "huifu_id", required: true, max: 32},
	}
	jspayRules = append(append([]rule{}, commonCreate...),
		rule{name: "goods_desc", required: true, max: 127},
		rule{name: "trade_type", required: true, enum: orderTradeTypes},
		rule{name: "trans_amt", required: true, max: 14, format: yuan},
		rule{name: "notify_url", max: 512},
		rule{name: "remark", max: 255},
		delayRule,
	)
	micropayRules = append(append([]rule{}, commonCreate...),
		rule{name: "trans_amt", required: true, max: 14, format: yuan},
		rule{name: "goods_desc", required: true, max: 127},
		rule{name: "auth_code", required: true, max: 128, format: digits},
		rule{name: "risk_check_data", required: true, max: 2048},
		rule{name: "notify_url", max: 512},
		rule{name: "remark", max: 255},
		delayRule,
	)
	queryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", format: dateYMD},
		{name: "org_req_seq_id", max: 128},
		{name: "org_hf_seq_id", max: 128},
		{name: "out_ord_id", max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
	refundRules = append(append([]rule{}, commonCreate...),
		rule{name: "ord_amt", required: true, max: 14, format: yuan},
		rule{name: "org_req_date", required: true, format: dateYMD},
		rule{name: "org_req_seq_id", max: 128},
		rule{name: "org_hf_seq_id", max: 128},
		rule{name: "org_party_order_id", max: 64},
		rule{name: "notify_url", max: 512},
		rule{name: "remark", max: 84},
	)
	refundQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", format: dateYMD},
		{name: "org_req_seq_id", max: 128},
		{name: "org_hf_seq_id", max: 128},
		{name: "mer_ord_id", max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
	closeRules = append(append([]rule{}, commonCreate...),
		rule{name: "org_req_date", required: true, format: dateYMD},
		rule{name: "org_req_seq_id", max: 128},
		rule{name: "org_hf_seq_id", max: 128},
	)
)

const (
	locatorDesc       = "原请求流水号和原全局流水号不能同时为空"
	refundLocatorDesc = "原交易请求流水号、原交易微信支付宝的商户单号、原交易全局流水号不能同时为空"
	queryLocatorDesc  = "原请求流水号、原全局流水号、汇付服务订单号不能同时为空"
	refundQLocator    = "原请求流水号、原全局流水号、商户订单号不能同时为空"
)

func (p *Provider) jspay(req *request) reply {
	if fe := check(req, jspayRules); fe != nil {
		return fieldReply(fe, req)
	}
	return p.createPayment(req, sim.FlowQRCode, req.str("trade_type"), req.str("trans_amt"), descOrdered)
}

func (p *Provider) micropay(req *request) reply {
	if fe := check(req, micropayRules); fe != nil {
		return fieldReply(fe, req)
	}
	tradeType, ok := barcodeTradeType(req.str("auth_code"))
	if !ok {
		return fieldReply(invalid("auth_code付款码无效", "auth_code %q is not a wallet payment code: WeChat codes start 10-15, Alipay 25-30, UnionPay 62, digital RMB 01", req.str("auth_code")), req)
	}
	return p.createPayment(req, sim.FlowBarcode, tradeType, req.str("trans_amt"), descProcessing)
}

// barcodeTradeType tells the wallet from the payer's code, as the gateway does.
func barcodeTradeType(code string) (string, bool) {
	if len(code) < 2 {
		return "", false
	}
	switch prefix := code[:2]; {
	case prefix >= "10" && prefix <= "15":
		return "T_MICROPAY", true
	case prefix >= "25" && prefix <= "30":
		return "A_MICROPAY", true
	case prefix == "62":
		return "U_MICROPAY", true
	case prefix == "01":
		return "D_MICROPAY", true
	}
	return "", false
}

func (p *Provider) createPayment(req *request, flow sim.Flow, tradeType, amountText, processingDesc string) reply {
	amount, _ := sim.ParseYuan(amountText)
	now := p.core.Now()
	seq := p.seqID(now)
	fields := map[string]string{
		fReqDate: req.str("req_date"), fTradeType: tradeType, fGoodsDesc: req.str("goods_desc"),
		fNotifyURL: req.str("notify_url"), fRemark: req.str("remark"), fProductID: req.productID,
		fPartyOrder: p.partyOrderID(now), fOutTrans: p.outTransID(now, payChannel(tradeType)),
	}
	if flow == sim.FlowQRCode {
		fields[fPayInfoKey], fields[fPayInfo] = p.payInfo(tradeType, seq, now)
	}
	key := sim.Key{Provider: Name, Merchant: req.str("huifu_id"), ID: req.str("req_seq_id")}
	v, err := p.core.CreatePayment(sim.PaymentRequest{
		Key: key, ProviderID: seq, Amount: amount, Flow: flow, Fields: fields,
		Aliases:     map[string]string{aliasSeq: seq, aliasParty: fields[fPartyOrder], aliasReq: reqAlias(fields[fReqDate], key.ID)},
		Fingerprint: fingerprint(req), Scenario: req.scenario, Delayed: req.str("delay_acct_flag") == "Y",
	})
	if err != nil {
		return refusal(err, req, refusalText{})
	}
	code, desc := createCode(v.Status, processingDesc)
	out := paymentFields(v)
	out["resp_code"], out["resp_desc"] = code, desc
	out["req_date"], out["req_seq_id"] = v.Fields[fReqDate], v.ID
	if v.Status == sim.StatusProcessing || v.Status == sim.StatusUnknown {
		if k := v.Fields[fPayInfoKey]; k != "" {
			out[k] = v.Fields[fPayInfo]
		}
	}
	return finish(out, v.EntityView)
}

// paymentFields are the order fields common to pay answers and queries.
func paymentFields(v sim.PaymentView) map[string]string {
	f := map[string]string{
		"huifu_id":       v.Merchant,
		"hf_seq_id":      v.ProviderID,
		"trade_type":     v.Fields[fTradeType],
		"trans_amt":      v.Amount.Yuan(),
		"trans_stat":     transStat(v.Status),
		"party_order_id": v.Fields[fPartyOrder],
		"remark":         v.Fields[fRemark],
	}
	if v.Status == sim.StatusSuccess {
		f["end_time"] = v.FinishedAt.Format(dateTimeLayout)
		f["acct_date"] = v.FinishedAt.Format(dateLayout)
		f["out_trans_id"] = v.Fields[fOutTrans]
		f["settlement_amt"] = v.Amount.Yuan()
		f["fee_amt"] = "0.00"
	}
	if v.Status == sim.StatusClosed {
		f["bank_message"] = descClosedBankNote
	}
	return f
}

// finish applies the scenario state's overrides and names the scenario. The answer to a
// create carries the entity's stored answer: the pipeline keeps the signed bytes there,
// and sends them again to an identical retry.
func finish(out map[string]string, v sim.EntityView) reply {
	for k, val := range v.Overrides {
		out[k] = val
	}
	return reply{fields: out, scenario: v.Scenario, why: v.SelectedBy, fault: v.Fault, answer: v.Answer, retry: v.Replayed}
}

// paymentLocator picks how a request names the original order: the global hf_seq_id if
// given, else the merchant's req_seq_id on org_req_date, else the wallet order number.
func paymentLocator(req *request, seqField, partyField string) sim.Locator {
	switch {
	case req.str("org_hf_seq_id") != "":
		return sim.ByAlias(aliasSeq, req.str("org_hf_seq_id"))
	case req.str(seqField) != "":
		return sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str(seqField)))
	}
	return sim.ByAlias(aliasParty, req.str(partyField))
}

// requireDate enforces "org_req_date unless org_hf_seq_id is used".
func requireDate(req *request) *fieldError {
	if req.str("org_hf_seq_id") == "" && req.str("org_req_date") == "" {
		return invalid("org_req_date不能为空", "org_req_date is required unless the order is named by org_hf_seq_id")
	}
	return nil
}

// explainMiss adds to a not-found error what paysim does have under that request id,
// since a wrong org_req_date is the commonest reason a lookup misses.
func (p *Provider) explainMiss(rep reply, req *request, seqField string, refund bool) reply {
	seq := req.str(seqField)
	if seq == "" || req.str("org_hf_seq_id") != "" {
		return rep
	}
	merchant := req.str("huifu_id")
	var date string
	for _, r := range p.core.Inspect(Name, merchant, seq) {
		if !refund && r.ID == seq {
			date = r.Fields[fReqDate]
		}
		for _, rf := range r.Refunds {
			if refund && rf.ID == seq {
				date = rf.Fields[fReqDate]
			}
		}
	}
	if date != "" && date != req.str("org_req_date") {
		rep.diagnostic += fmt.Sprintf("; %s %s exists with req_date %s, but the request asked for org_req_date %s", seqField, seq, date, req.str("org_req_date"))
	}
	return rep
}

func (p *Provider) query(req *request) reply {
	if fe := check(req, queryRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, queryLocatorDesc, "org_req_seq_id", "org_hf_seq_id", "out_ord_id"); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := requireDate(req); fe != nil {
		return fieldReply(fe, req)
	}
	// out_ord_id is matched against the wallet order number the gateway minted.
	v, err := p.core.QueryPayment(Name, req.str("huifu_id"), paymentLocator(req, "org_req_seq_id", "out_ord_id"), true)
	if err != nil {
		return p.explainMiss(refusal(err, req, refusalText{notFound: descNoTrade}), req, "org_req_seq_id", false)
	}
	out := paymentFields(v)
	out["resp_code"], out["resp_desc"] = codeOK, descQueryOK
	out["org_req_date"], out["org_req_seq_id"], out["org_hf_seq_id"] = v.Fields[fReqDate], v.ID, v.ProviderID
	out["trans_type"] = v.Fields[fTradeType]
	out["delay_acct_flag"], out["div_flag"] = yesNo(v.Delayed), "N"
	if v.Delayed {
		out["unconfirm_amt"] = v.Unconfirmed().Yuan()
	}
	delete(out, "hf_seq_id")
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

func (p *Provider) refund(req *request) reply { return p.createRefund(req, refundRules, false) }

// createRefund books a scanpay refund or, hosted set, a hosted checkout's (htRefund), which
// answers 00000000 once the refund is accepted (HF-A17).
func (p *Provider) createRefund(req *request, rules []rule, hosted bool) reply {
	if fe := check(req, rules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, refundLocatorDesc, "org_hf_seq_id", "org_req_seq_id", "org_party_order_id"); fe != nil {
		return fieldReply(fe, req)
	}
	amount, _ := sim.ParseYuan(req.str("ord_amt"))
	now := p.core.Now()
	seq := p.seqID(now)
	key := sim.Key{Provider: Name, Merchant: req.str("huifu_id"), ID: req.str("req_seq_id")}
	v, err := p.core.CreateRefund(sim.RefundRequest{
		Key: key, Payment: paymentLocator(req, "org_req_seq_id", "org_party_order_id"),
		ProviderID: seq, Amount: amount, Fingerprint: fingerprint(req), Scenario: req.scenario,
		Aliases: map[string]string{aliasSeq: seq, aliasReq: reqAlias(req.str("req_date"), key.ID)},
		Fields: map[string]string{fReqDate: req.str("req_date"), fNotifyURL: req.str("notify_url"),
			fRemark: req.str("remark"), fProductID: req.productID, fHfSeqID: seq},
	})
	if err != nil {
		rep := refusal(err, req, refusalText{notFound: descNoOriginal, invalidState: descNotBooked})
		rep.fields["product_id"] = req.productID
		rep.fields["ord_amt"] = amount.Yuan()
		rep.fields["org_req_date"] = req.str("org_req_date")
		rep.fields["org_req_seq_id"] = req.str("org_req_seq_id")
		if sim.KindOf(err) == sim.ErrInsufficientBalance {
			p.withUnconfirmed(rep.fields, req)
		}
		return p.explainMiss(rep, req, "org_req_seq_id", false)
	}
	out := refundFields(v)
	out["resp_code"], out["resp_desc"] = createCode(v.Status, descProcessing)
	if hosted && !v.Status.Final() {
		out["resp_code"], out["resp_desc"] = codeOK, descOK
	}
	out["product_id"] = v.Fields[fProductID]
	out["huifu_id"], out["req_date"], out["req_seq_id"], out["hf_seq_id"] = v.Merchant, v.Fields[fReqDate], v.ID, v.ProviderID
	out["org_req_date"], out["org_req_seq_id"] = v.Payment.Fields[fReqDate], v.Payment.ID
	out["remark"] = v.Fields[fRemark]
	return finish(out, v.EntityView)
}

// refundFields are the refund fields common to refund answers and refund queries.
func refundFields(v sim.RefundView) map[string]string {
	f := map[string]string{
		"trans_date":  v.CreatedAt.Format(dateLayout),
		"trans_time":  v.CreatedAt.Format(timeLayout),
		"trans_stat":  transStat(v.Status),
		"ord_amt":     v.Amount.Yuan(),
		"pay_channel": payChannel(v.Payment.Fields[fTradeType]),
	}
	if v.Status.Final() {
		f["trans_finish_time"] = v.FinishedAt.Format(dateTimeLayout)
	}
	if v.Status == sim.StatusSuccess {
		f["actual_ref_amt"] = v.Amount.Yuan()
	}
	if v.Payment.Delayed {
		f["unconfirm_amt"], f["fund_freeze_stat"] = v.Payment.Unconfirmed().Yuan(), freezeStat(v.Payment)
	}
	return f
}

func (p *Provider) refundQuery(req *request) reply {
	return p.queryRefund(req, refundQueryRules, nil)
}

// queryRefund answers a refund query; extra adds what one flavour of it carries beyond
// the scanpay refundquery's fields.
func (p *Provider) queryRefund(req *request, rules []rule, extra func(out map[string]string, v sim.RefundView)) reply {
	if fe := check(req, rules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, refundQLocator, "org_hf_seq_id", "org_req_seq_id", "mer_ord_id"); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := requireDate(req); fe != nil {
		return fieldReply(fe, req)
	}
	seqField := "org_req_seq_id"
	if req.str(seqField) == "" {
		seqField = "mer_ord_id" // HF-A5: matched against the refund's req_seq_id
	}
	loc := sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str(seqField)))
	if s := req.str("org_hf_seq_id"); s != "" {
		loc = sim.ByAlias(aliasSeq, s)
	}
	v, err := p.core.QueryRefund(Name, req.str("huifu_id"), loc)
	if err != nil {
		return p.explainMiss(refusal(err, req, refusalText{notFound: descNoOriginal}), req, seqField, true)
	}
	out := refundFields(v)
	out["resp_code"], out["resp_desc"] = codeOK, descQueryOK
	out["huifu_id"] = v.Merchant
	out["org_req_date"], out["org_req_seq_id"], out["org_hf_seq_id"] = v.Fields[fReqDate], v.ID, v.ProviderID
	out["trans_type"] = "TRANS_REFUND"
	if extra != nil {
		extra(out, v)
	}
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

func (p *Provider) close(req *request) reply {
	if fe := check(req, closeRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, locatorDesc, "org_req_seq_id", "org_hf_seq_id"); fe != nil {
		return fieldReply(fe, req)
	}
	merchant := req.str("huifu_id")
	loc := paymentLocator(req, "org_req_seq_id", "")
	text := refusalText{notFound: descNoOriginal, invalidState: descAlreadyFinal}
	pay, err := p.core.QueryPayment(Name, merchant, loc, false)
	if err != nil {
		return withOriginal(p.explainMiss(refusal(err, req, text), req, "org_req_seq_id", false), req)
	}
	if ch := payChannel(pay.Fields[fTradeType]); ch == "U" || ch == "D" {
		rep := withEcho(failure(codeUnsupported, descCloseNotOK, fmt.Sprintf("order %s is a %s order; UnionPay and digital RMB orders cannot be closed", pay.ID, pay.Fields[fTradeType])), req)
		return rep
	}
	key := sim.Key{Provider: Name, Merchant: merchant, ID: req.str("req_seq_id")}
	v, err := p.core.CreateClose(sim.CloseRequest{Key: key, Payment: loc, Fingerprint: fingerprint(req), Scenario: req.scenario,
		Fields: map[string]string{fReqDate: req.str("req_date")}, RecordRefusal: true})
	if err != nil {
		rep := withOriginal(refusal(err, req, text), req)
		if cur, qerr := p.core.QueryPayment(Name, merchant, loc, false); qerr == nil {
			rep.fields["org_trans_stat"] = transStat(cur.Status)
			rep.fields["trans_stat"] = statFailed
		}
		return rep
	}
	if v.Status == sim.StatusFailed && v.Payment.Status.Final() {
		// HF-A13: the order was already final (paid, most often); the close failed and
		// is recorded, so that closequery reports it as the page's example does.
		rep := failure(codeInvalidState, descAlreadyFinal, fmt.Sprintf("payment %s is already %s and cannot be closed; the close %s is recorded as failed, and closequery reports it (org_trans_stat %s, trans_stat F)",
			v.Payment.ID, v.Payment.Status, v.ID, transStat(v.Payment.Status)))
		maps.Copy(rep.fields, closeFields(v))
		rep = withEcho(rep, req)
		r := finish(rep.fields, v.EntityView)
		r.diagnostic = rep.diagnostic
		return r
	}
	out := closeFields(v)
	out["resp_code"], out["resp_desc"] = createCode(v.Status, descProcessing)
	if v.Status == sim.StatusSuccess {
		out["resp_desc"] = descOK
	}
	out["req_date"], out["req_seq_id"] = req.str("req_date"), req.str("req_seq_id")
	return finish(out, v.EntityView)
}

func closeFields(v sim.CloseView) map[string]string {
	return map[string]string{
		"huifu_id":       v.Merchant,
		"org_req_date":   v.Payment.Fields[fReqDate],
		"org_req_seq_id": v.Payment.ID,
		"org_hf_seq_id":  v.Payment.ProviderID,
		"org_trans_stat": transStat(v.Payment.Status),
		"trans_stat":     transStat(v.Status),
	}
}

// closeQuery answers with the original order's ids on every answer, errors included
// (HF-A14): the page marks org_req_date required, and clients match answers by them.
func (p *Provider) closeQuery(req *request) reply {
	if fe := check(req, closeRules); fe != nil {
		return withOriginal(fieldReply(fe, req), req)
	}
	if fe := oneOf(req, locatorDesc, "org_req_seq_id", "org_hf_seq_id"); fe != nil {
		return withOriginal(fieldReply(fe, req), req)
	}
	v, err := p.core.QueryClose(Name, req.str("huifu_id"), paymentLocator(req, "org_req_seq_id", ""))
	if err != nil {
		return withOriginal(p.explainMiss(refusal(err, req, refusalText{notFound: descNoOriginal}), req, "org_req_seq_id", false), req)
	}
	out := closeFields(v)
	out["resp_code"], out["resp_desc"] = codeOK, descOK
	out["req_date"], out["req_seq_id"] = req.str("req_date"), req.str("req_seq_id")
	return finish(out, v.EntityView)
}

// PrepareSeed mints what a paid order created through jspay would carry.
func (p *Provider) PrepareSeed(req *sim.PaymentRequest) error {
	now := p.core.Now()
	seq := p.seqID(now)
	f := map[string]string{fReqDate: now.Format(dateLayout), fTradeType: "A_NATIVE", fGoodsDesc: "paysim seeded order"}
	for k, v := range req.Fields {
		f[k] = v
	}
	if !slices.Contains(orderTradeTypes, f[fTradeType]) && !slices.Contains(barcodeTradeTypes, f[fTradeType]) {
		f[fTradeType] = "A_NATIVE"
	}
	f[fPartyOrder] = p.partyOrderID(now)
	f[fOutTrans] = p.outTransID(now, payChannel(f[fTradeType]))
	req.ProviderID, req.Fields, req.Flow = seq, f, sim.FlowQRCode
	req.Aliases = map[string]string{aliasSeq: seq, aliasParty: f[fPartyOrder], aliasReq: reqAlias(f[fReqDate], req.ID)}
	if strings.HasSuffix(f[fTradeType], "MICROPAY") {
		req.Flow = sim.FlowBarcode
	}
	return nil
}
