package huifu

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/paysim/paysim/sim"
)

// Hosted checkout (托管支付, protocols: Huifu hosted checkout). hosting/payment/preorder
// creates an order that the payer completes on Huifu's page; in paysim the payer is the
// control plane (POST /__paysim/orders/pay or /fail). The order is an ordinary
// payment of flow hosted, so queryorderinfo, htRefund, queryRefundInfo and close are the
// ledger's query, refund and close under the hosted pages' field names.

// Stored wire fields of hosted orders, and the alias pre_order_id finds them by.
const (
	fPreOrderType = "pre_order_type"
	fPreOrderID   = "pre_order_id"
	fHostingData  = "hosting_data"
	fJumpURL      = "jump_url"
	fTransTypes   = "trans_types" // trans_type as requested: one type, or several for the cashier page
	fUsageType    = "usage_type"
	fTimeExpire   = "time_expire"
	aliasPreOrder = "pre_order_id"
)

// hostedTransTypes are the payment methods a hosted checkout offers (the H5/PC page
// lists them; T_MINIAPP is the WeChat mini-program's).
var hostedTransTypes = []string{"T_JSAPI", "T_MINIAPP", "A_JSAPI", "A_NATIVE", "U_NATIVE", "U_JSAPI",
	"ONLINE_PAY_B2B", "ONLINE_PAY_B2C", "QUICK_PAY", "LARGE_PAY", "Y_H5"}

// hostedExpiry is how long a hosted order waits for its payer without time_expire.
const hostedExpiry = 10 * time.Minute

var (
	preorderRules = append(append([]rule{}, commonCreate...),
		rule{name: "trans_amt", required: true, max: 14, format: yuan},
		rule{name: "goods_desc", required: true, max: 40},
		rule{name: "pre_order_type", required: true, enum: []string{"1", "2", "3"}},
		rule{name: "hosting_data", max: 2000},
		rule{name: "app_data", max: 2000},
		rule{name: "miniapp_data", max: 2000},
		rule{name: "trans_type", max: 256},
		rule{name: "time_expire", format: dateTime},
		rule{name: "usage_type", enum: []string{"P", "R"}},
		rule{name: "acct_split_bunch", max: 2000},
		rule{name: "notify_url", max: 512},
		delayRule,
	)
	hostedQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
		{name: "org_req_date", format: dateYMD},
		{name: "org_req_seq_id", max: 128},
		{name: "party_order_id", max: 64},
		{name: "pre_order_id", max: 64},
	}
	htRefundRules = append(append([]rule{}, refundRules...),
		rule{name: "risk_check_data", max: 2048},
		rule{name: "terminal_device_data", max: 2048},
	)
	hostedRefundQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", required: true, format: dateYMD},
		{name: "org_req_seq_id", max: 128},
		{name: "org_hf_seq_id", max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
	hostedCloseRules = append(append([]rule{}, commonCreate...),
		rule{name: "org_req_date", required: true, format: dateYMD},
		rule{name: "org_req_seq_id", required: true, max: 128},
	)
	splitpayQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", required: true, format: dateYMD},
		{name: "org_req_seq_id", required: true, max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
)

const hostedLocatorDesc = "原交易请求流水号、预下单订单号、用户账单商户订单号不能同时为空"

// preorderData is, by pre_order_type, the JSON-in-a-string member the order needs:
// hosting_data for the H5/PC page (1), app_data for the Alipay mini-program (2),
// miniapp_data for the WeChat mini-program (3).
var preorderData = map[string]string{"1": "hosting_data", "2": "app_data", "3": "miniapp_data"}

// defaultHostedType is what the payer pays with when the merchant names no trans_type.
var defaultHostedType = map[string]string{"1": "T_JSAPI", "2": "A_JSAPI", "3": "T_MINIAPP"}

// checkPreorder checks what the rules cannot: the JSON members and the trans_type list.
func checkPreorder(req *request) ([]string, map[string]string, *fieldError) {
	kind := req.str("pre_order_type")
	name := preorderData[kind]
	text := req.str(name)
	if text == "" {
		return nil, nil, invalid(name+"不能为空", "%s is required for pre_order_type %s", name, kind)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(text), &data); err != nil {
		return nil, nil, invalid(name+"格式不正确", "%s must be a JSON object in a string: %v", name, err)
	}
	var types []string
	if tt := req.str("trans_type"); tt != "" {
		for _, t := range strings.Split(tt, ",") {
			if t = strings.TrimSpace(t); !slices.Contains(hostedTransTypes, t) {
				return nil, nil, invalid(fmt.Sprintf("trans_type的传入枚举[%s]不存在", t), "trans_type %q is not one of %v (several go comma-separated)", t, hostedTransTypes)
			}
			types = append(types, strings.TrimSpace(t))
		}
	}
	hosting := map[string]string{}
	if kind != "1" {
		return types, hosting, nil
	}
	for _, k := range []string{"project_title", "project_id", "private_info", "callback_url", "request_type"} {
		if v, ok := data[k]; ok {
			s, isString := v.(string)
			if !isString {
				return nil, nil, invalid("hosting_data."+k+"的类型必须为字符串", "hosting_data.%s must be a string", k)
			}
			hosting[k] = s
		}
	}
	for _, k := range []string{"project_title", "project_id"} {
		if hosting[k] == "" {
			return nil, nil, invalid("hosting_data."+k+"不能为空", "hosting_data.%s is required: the hosted project the order is shown under", k)
		}
	}
	if len(types) > 0 && hosting["request_type"] == "" {
		return nil, nil, invalid("hosting_data.request_type不能为空", "hosting_data.request_type (P for the PC page, M for H5) is required when trans_type is given")
	}
	return types, hosting, nil
}

func (p *Provider) preorder(req *request) reply {
	if fe := check(req, preorderRules); fe != nil {
		return fieldReply(fe, req)
	}
	types, hosting, fe := checkPreorder(req)
	if fe != nil {
		return fieldReply(fe, req)
	}
	now := p.core.Now()
	expires := hostedExpiry
	if te := req.str("time_expire"); te != "" {
		at, _ := time.ParseInLocation(dateTimeLayout, te, now.Location())
		if !at.After(now) {
			return fieldReply(invalid("time_expire必须大于当前时间", "time_expire %s is not after the current time %s", te, now.Format(dateTimeLayout)), req)
		}
		expires = at.Sub(now)
	}
	kind := req.str("pre_order_type")
	tradeType := defaultHostedType[kind]
	if len(types) > 0 {
		tradeType = types[0] // the payer picks the first method the cashier offers (HF-A16)
	}
	merchant := req.str("huifu_id")
	seq := p.seqID(now)
	preOrderID := "H" + now.Format(dateTimeLayout) + p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("###########") })
	fields := map[string]string{
		fReqDate: req.str("req_date"), fTradeType: tradeType, fGoodsDesc: req.str("goods_desc"),
		fNotifyURL: req.str("notify_url"), fRemark: hosting["private_info"], fProductID: req.productID,
		fPartyOrder: p.partyOrderID(now), fOutTrans: p.outTransID(now, payChannel(tradeType)),
		fPreOrderType: kind, fPreOrderID: preOrderID, fTransTypes: req.str("trans_type"), fUsageType: cmp.Or(req.str("usage_type"), "P"),
		fTimeExpire: now.Add(expires).Format(dateTimeLayout),
	}
	if kind == "1" {
		fields[fHostingData] = req.str("hosting_data")
		fields[fJumpURL] = "https://paysim.invalid/hostingh5/?jump_id=" + preOrderID + "&huifu_id=" + merchant
	}
	key := sim.Key{Provider: Name, Merchant: merchant, ID: req.str("req_seq_id")}
	v, err := p.core.CreatePayment(sim.PaymentRequest{
		Key: key, ProviderID: seq, Amount: mustYuan(req.str("trans_amt")), Flow: sim.FlowHosted, Fields: fields,
		Aliases: map[string]string{aliasSeq: seq, aliasParty: fields[fPartyOrder], aliasReq: reqAlias(fields[fReqDate], key.ID),
			aliasPreOrder: preOrderID},
		Fingerprint: fingerprint(req), Scenario: req.scenario, ExpiresAfter: expires, Delayed: req.str("delay_acct_flag") == "Y",
	})
	if err != nil {
		return refusal(err, req, refusalText{})
	}
	out := map[string]string{
		"resp_code": codeOK, "resp_desc": descPaid, "huifu_id": v.Merchant, "req_date": v.Fields[fReqDate], "req_seq_id": v.ID,
		"pre_order_type": v.Fields[fPreOrderType], "pre_order_id": v.Fields[fPreOrderID], "goods_desc": v.Fields[fGoodsDesc],
		"jump_url": v.Fields[fJumpURL], "hosting_data": v.Fields[fHostingData], "trans_type": v.Fields[fTransTypes],
		"usage_type": v.Fields[fUsageType], "current_time": v.CreatedAt.Format(dateTimeLayout), "time_expire": v.Fields[fTimeExpire],
	}
	return finish(out, v.EntityView)
}

// hostedOrder finds the hosted order a query names: by org_req_seq_id on org_req_date,
// pre_order_id or party_order_id. counted says whether the read is a status query.
func (p *Provider) hostedOrder(req *request, counted bool) (sim.PaymentView, *reply) {
	var loc sim.Locator
	switch {
	case req.str("org_req_seq_id") != "":
		if req.str("org_req_date") == "" {
			rep := fieldReply(invalid("org_req_date不能为空", "org_req_date is required with org_req_seq_id"), req)
			return sim.PaymentView{}, &rep
		}
		loc = sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str("org_req_seq_id")))
	case req.str("pre_order_id") != "":
		loc = sim.ByAlias(aliasPreOrder, req.str("pre_order_id"))
	default:
		loc = sim.ByAlias(aliasParty, req.str("party_order_id"))
	}
	v, err := p.core.QueryPayment(Name, req.str("huifu_id"), loc, counted)
	if err != nil {
		rep := p.explainMiss(refusal(err, req, refusalText{notFound: descNoTrade}), req, "org_req_seq_id", false)
		return sim.PaymentView{}, &rep
	}
	if v.Fields[fPreOrderID] == "" {
		rep := withEcho(failure(codeNotFound, descNoTrade, fmt.Sprintf("order %s was not made through hosting/payment/preorder; query it with /v3/trade/payment/scanpay/query", v.ID)), req)
		return sim.PaymentView{}, &rep
	}
	return v, nil
}

// orderStat is the hosted order_stat: 1 paid, 2 paying, 3 refunded, 5 failed, 6 partly
// refunded (4, processing, is not used: an undecided order is paying).
func orderStat(v sim.PaymentView) string {
	switch {
	case v.Status == sim.StatusSuccess && v.Refunded > 0 && v.Refunded == v.Amount:
		return "3"
	case v.Status == sim.StatusSuccess && v.Refunded > 0:
		return "6"
	case v.Status == sim.StatusSuccess:
		return "1"
	case v.Status.Final():
		return "5"
	}
	return "2"
}

// hostedFields are the order fields queryorderinfo and splitpay/query share.
func hostedFields(v sim.PaymentView) map[string]string {
	f := map[string]string{
		"huifu_id": v.Merchant, "org_req_date": v.Fields[fReqDate], "org_req_seq_id": v.ID, "org_hf_seq_id": v.ProviderID,
		"pre_order_id": v.Fields[fPreOrderID], "order_stat": orderStat(v),
	}
	return f
}

func (p *Provider) queryOrderInfo(req *request) reply {
	if fe := check(req, hostedQueryRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, hostedLocatorDesc, "org_req_seq_id", "pre_order_id", "party_order_id"); fe != nil {
		return fieldReply(fe, req)
	}
	v, rep := p.hostedOrder(req, true)
	if rep != nil {
		return *rep
	}
	out := hostedFields(v)
	out["resp_code"], out["resp_desc"] = codeOK, descOpOK
	for k, val := range map[string]string{
		"party_order_id": v.Fields[fPartyOrder], "trans_date": v.CreatedAt.Format(dateLayout), "trans_amt": v.Amount.Yuan(),
		"pay_type": v.Fields[fTradeType], "trans_stat": transStat(v.Status), "trans_time": transTime(v),
		"close_stat": closeStat(v.LastClose), "goods_desc": v.Fields[fGoodsDesc], "remark": v.Fields[fRemark],
		"is_div": "N", "is_delay_acct": yesNo(v.Delayed),
	} {
		out[k] = val
	}
	if v.Status == sim.StatusSuccess {
		out["fee_amt"], out["ref_amt"], out["out_trans_id"] = "0.00", refundableNow(v).Yuan(), v.Fields[fOutTrans]
	}
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

// refundableNow is what a refund may take now: for a delayed payment, what it still holds
// unconfirmed.
func refundableNow(v sim.PaymentView) sim.Amount {
	if v.Delayed {
		return v.Unconfirmed()
	}
	return v.Refundable()
}

// transTime is when the order was paid or failed, or else when it was made.
func transTime(v sim.PaymentView) string {
	if !v.FinishedAt.IsZero() {
		return v.FinishedAt.Format(dateTimeLayout)
	}
	return v.CreatedAt.Format(dateTimeLayout)
}

// closeStat is close_stat: the latest close's P, S or F ("" when the order was never
// closed).
func closeStat(s sim.Status) string {
	if s == "" {
		return ""
	}
	return transStat(s)
}

func (p *Provider) htRefund(req *request) reply { return p.createRefund(req, htRefundRules, true) }

func (p *Provider) queryRefundInfo(req *request) reply {
	return p.queryRefund(req, hostedRefundQueryRules, func(out map[string]string, v sim.RefundView) {
		delete(out, "trans_type")
		out["org_party_order_id"], out["remark"] = v.Payment.Fields[fPartyOrder], v.Fields[fRemark]
		if v.Status == sim.StatusSuccess {
			out["fee_amt"] = "0.00"
		}
	})
}

// hostingClose closes an unpaid hosted order. Its page has codes of its own: 99010003 for
// an order that does not exist, 30000001 for one already final or already closed.
func (p *Provider) hostingClose(req *request) reply {
	if fe := check(req, hostedCloseRules); fe != nil {
		return withOriginal(fieldReply(fe, req), req)
	}
	merchant := req.str("huifu_id")
	loc := sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str("org_req_seq_id")))
	key := sim.Key{Provider: Name, Merchant: merchant, ID: req.str("req_seq_id")}
	v, err := p.core.CreateClose(sim.CloseRequest{Key: key, Payment: loc, Fingerprint: fingerprint(req), Scenario: req.scenario,
		Fields: map[string]string{fReqDate: req.str("req_date")}})
	if err != nil {
		rep := withOriginal(p.explainMiss(refusal(err, req, refusalText{notFound: descNoTrade, invalidState: descHostFinal}), req, "org_req_seq_id", false), req)
		switch rep.fields["resp_code"] {
		case codeNotFound:
			rep.fields["resp_code"] = codeHostMissing
		case codeInvalidState:
			rep.fields["resp_code"] = codeHostFinal
			if rep.fields["resp_desc"] == descAlreadyClosed {
				rep.fields["resp_desc"] = descHostClosed
			}
			if cur, qerr := p.core.QueryPayment(Name, merchant, loc, false); qerr == nil {
				rep.fields["org_trans_stat"] = transStat(cur.Status)
			}
		}
		return rep
	}
	out := map[string]string{
		"resp_code": codeOK, "resp_desc": descPaid, "huifu_id": v.Merchant, "req_date": req.str("req_date"), "req_seq_id": req.str("req_seq_id"),
		"org_req_date": v.Payment.Fields[fReqDate], "org_req_seq_id": v.Payment.ID,
		"org_trans_stat": transStat(v.Payment.Status), "close_stat": transStat(v.Status),
	}
	return finish(out, v.EntityView)
}

// splitpayQuery answers the split-payment query of a hosted order. paysim pays an order
// in one go, so trans_list holds the one transaction (HF-A16).
func (p *Provider) splitpayQuery(req *request) reply {
	if fe := check(req, splitpayQueryRules); fe != nil {
		return withOriginal(fieldReply(fe, req), req)
	}
	v, rep := p.hostedOrder(req, true)
	if rep != nil {
		return withOriginal(*rep, req)
	}
	item := map[string]string{"pay_type": v.Fields[fTradeType], "org_hf_seq_id": v.ProviderID, "trans_amt": v.Amount.Yuan(),
		"party_order_id": v.Fields[fPartyOrder], "trans_stat": transStat(v.Status), "trans_time": transTime(v)}
	if v.Status == sim.StatusSuccess {
		item["fee_amt"], item["ref_amt"] = "0.00", refundableNow(v).Yuan()
	}
	out := hostedFields(v)
	delete(out, "org_hf_seq_id")
	out["resp_code"], out["resp_desc"] = codeOK, descOpOK
	out["trans_list"] = sim.JSONText([]map[string]string{item})
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

// mustYuan reads an amount the rules already checked.
func mustYuan(s string) sim.Amount {
	a, _ := sim.ParseYuan(s)
	return a
}
