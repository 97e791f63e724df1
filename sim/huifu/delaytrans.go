package huifu

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paysim/paysim/sim"
)

// Delayed transactions (延时交易, protocols: Huifu delayed transactions). A payment made
// with delay_acct_flag=Y keeps its funds unconfirmed; delaytrans/confirm moves part or
// all of them to the receivers named in acct_split_bunch, a refund may only take back
// what is still unconfirmed (23000003 退款金额大于待确认金额), and
// delaytrans/confirmrefund takes back what a confirm moved.

// delayRule is the flag that makes a payment delayed.
var delayRule = rule{name: "delay_acct_flag", enum: []string{"Y", "N"}}

// Stored wire fields of confirms and confirm refunds.
const (
	fSplit   = "acct_split_bunch"
	fPayType = "pay_type"
	fLoan    = "loan_flag"
)

var (
	confirmRules = append(append([]rule{}, commonCreate...),
		rule{name: "org_req_date", format: dateYMD},
		rule{name: "org_req_seq_id", max: 128},
		rule{name: "org_hf_seq_id", max: 128},
		rule{name: "org_mer_ord_id", max: 64},
		rule{name: "acct_split_bunch", required: true, max: 2048},
		rule{name: "risk_check_data", max: 2048},
		rule{name: "pay_type", enum: []string{"QUICK_PAY", "ACCT_PAYMENT", "REMITTANCE_PAY"}},
		rule{name: "notify_url", max: 512},
		rule{name: "remark", max: 84},
	)
	confirmQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", required: true, format: dateYMD},
		{name: "org_req_seq_id", required: true, max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
	confirmRefundRules = append(append([]rule{}, commonCreate...),
		rule{name: "org_req_date", required: true, format: dateYMD},
		rule{name: "org_req_seq_id", max: 128},
		rule{name: "org_hf_seq_id", max: 128},
		rule{name: "acct_split_bunch", max: 2048},
		rule{name: "loan_flag", enum: []string{"Y", "N"}},
		rule{name: "loan_undertaker", max: 32},
		rule{name: "loan_acct_type", enum: []string{"01", "05"}},
		rule{name: "remark", max: 84},
	)
	confirmRefundQueryRules = []rule{
		{name: "huifu_id", required: true, max: 32},
		{name: "org_req_date", required: true, format: dateYMD},
		{name: "org_req_seq_id", max: 128},
		{name: "org_hf_seq_id", max: 128},
		{name: "req_date", format: dateYMD},
		{name: "req_seq_id", max: 128},
	}
)

const (
	confirmLocatorDesc = "原交易请求流水号、原交易全局流水号、原交易商户订单号不能同时为空"
	confirmRefundDesc  = "原交易请求流水号和原交易全局流水号不能同时为空"
)

// splitBunch is acct_split_bunch, a JSON object sent as a string: who receives how much.
type splitBunch struct {
	PercentageFlag string      `json:"percentage_flag"`
	TotalDivAmt    string      `json:"total_div_amt"`
	AcctInfos      []splitInfo `json:"acct_infos"`
}

type splitInfo struct {
	HuifuID       string `json:"huifu_id"`
	AcctID        string `json:"acct_id,omitempty"`
	DivAmt        string `json:"div_amt"`
	PercentageDiv string `json:"percentage_div,omitempty"`
}

// maxSplitReceivers bounds the receivers of one split (the field's 2048 characters
// already do; this says so plainly).
const maxSplitReceivers = 50

// parseSplit reads acct_split_bunch and returns the amount it moves: the sum of div_amt,
// or total_div_amt when the split is by percentage (percentage_flag Y, the shares adding
// up to 100.00).
func parseSplit(text string) (sim.Amount, splitBunch, *fieldError) {
	var b splitBunch
	if err := json.Unmarshal([]byte(text), &b); err != nil {
		return 0, b, invalid("acct_split_bunch格式不正确", "acct_split_bunch must be a JSON object in a string, like {\"acct_infos\":[{\"huifu_id\":\"...\",\"div_amt\":\"1.00\"}]}: %v", err)
	}
	switch n := len(b.AcctInfos); {
	case n == 0:
		return 0, b, invalid("acct_infos不能为空", "acct_split_bunch.acct_infos must list at least one receiver (huifu_id and div_amt)")
	case n > maxSplitReceivers:
		return 0, b, invalid("acct_infos数量超限", "acct_split_bunch.acct_infos lists %d receivers, at most %d allowed", n, maxSplitReceivers)
	}
	var sum, shares sim.Amount
	for i, info := range b.AcctInfos {
		if info.HuifuID == "" {
			return 0, b, invalid("acct_infos.huifu_id不能为空", "acct_split_bunch.acct_infos[%d] has no huifu_id (the receiver)", i)
		}
		if b.PercentageFlag == "Y" {
			share, err := sim.ParseYuan(info.PercentageDiv)
			if err != nil {
				return 0, b, invalid("percentage_div不符合格式", "acct_split_bunch.acct_infos[%d].percentage_div: %v (a percentage with up to two decimals, e.g. \"40.00\")", i, err)
			}
			shares += share
			continue
		}
		a, err := sim.ParseYuan(info.DivAmt)
		if err != nil || a <= 0 {
			return 0, b, invalid("div_amt不符合金额格式", "acct_split_bunch.acct_infos[%d].div_amt %q must be yuan of at least 0.01 with up to two decimals", i, info.DivAmt)
		}
		sum += a
	}
	if b.PercentageFlag != "Y" {
		return sum, b, nil
	}
	total, err := sim.ParseYuan(b.TotalDivAmt)
	if err != nil || total <= 0 {
		return 0, b, invalid("total_div_amt不符合金额格式", "acct_split_bunch.total_div_amt %q is required with percentage_flag Y: yuan of at least 0.01", b.TotalDivAmt)
	}
	if shares != 10000 {
		return 0, b, invalid("分账百分比之和必须为100.00", "the percentage_div shares add up to %s, not 100.00", shares.Yuan())
	}
	return total, b, nil
}

// confirmDetails lists what each receiver of a split got, with the status of the
// confirm, as the confirm notification's pay_confirm_details (HF-A15).
func confirmDetails(split string, status sim.Status) string {
	_, b, fe := parseSplit(split)
	if fe != nil {
		return ""
	}
	out := make([]map[string]string, len(b.AcctInfos)) // maps: keys sorted, as in the rest of data
	for i, info := range b.AcctInfos {
		out[i] = map[string]string{"huifu_id": info.HuifuID, "trans_stat": transStat(status)}
		if info.AcctID != "" {
			out[i]["acct_id"] = info.AcctID
		}
		if a, err := sim.ParseYuan(info.DivAmt); err == nil {
			out[i]["div_amt"] = a.Yuan()
		}
	}
	return sim.JSONText(out)
}

func (p *Provider) confirm(req *request) reply {
	if fe := check(req, confirmRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, confirmLocatorDesc, "org_req_seq_id", "org_hf_seq_id", "org_mer_ord_id"); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := requireDate(req); fe != nil {
		return fieldReply(fe, req)
	}
	amount, _, fe := parseSplit(req.str("acct_split_bunch"))
	if fe != nil {
		return fieldReply(fe, req)
	}
	seqField := "org_req_seq_id"
	if req.str(seqField) == "" {
		seqField = "org_mer_ord_id" // HF-A5: the merchant's order id is its req_seq_id
	}
	loc := sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str(seqField)))
	if s := req.str("org_hf_seq_id"); s != "" {
		loc = sim.ByAlias(aliasSeq, s)
	}
	now := p.core.Now()
	seq := p.seqID(now)
	key := sim.Key{Provider: Name, Merchant: req.str("huifu_id"), ID: req.str("req_seq_id")}
	v, err := p.core.CreateConfirm(sim.ConfirmRequest{
		Key: key, Payment: loc, ProviderID: seq, Amount: amount, Fingerprint: fingerprint(req), Scenario: req.scenario,
		Aliases: map[string]string{aliasSeq: seq, aliasReq: reqAlias(req.str("req_date"), key.ID)},
		Fields: map[string]string{fReqDate: req.str("req_date"), fNotifyURL: req.str("notify_url"), fRemark: req.str("remark"),
			fSplit: req.str("acct_split_bunch"), fPayType: req.str("pay_type")},
	})
	if err != nil {
		rep := withOriginal(refusal(err, req, refusalText{notFound: descNoOriginal, invalidState: invalidConfirmText(err), overAmount: descConfirmOver}), req)
		p.withUnconfirmed(rep.fields, req)
		return p.explainMiss(rep, req, seqField, false)
	}
	out := confirmFields(v)
	out["resp_code"], out["resp_desc"] = acceptedCode(v.Status)
	out["org_req_date"], out["org_req_seq_id"], out["org_hf_seq_id"] = v.Payment.Fields[fReqDate], v.Payment.ID, v.Payment.ProviderID
	return finish(out, v.EntityView)
}

// invalidConfirmText words a confirm refused for the state of its payment.
func invalidConfirmText(err error) string {
	if e, ok := err.(*sim.Error); ok && e.Reason == sim.ReasonNotDelayed {
		return descNotDelayed
	}
	return descNotBooked
}

// acceptedCode answers a confirm or confirm refund that was accepted: 00000000, with
// trans_stat saying whether it is done (HF-A15).
func acceptedCode(s sim.Status) (string, string) {
	if s == sim.StatusFailed {
		return codeBusinessFailed, descFailed
	}
	return codeOK, descOK
}

// confirmFields are what every answer about a confirm or confirm refund carries: its
// own ids and status, and the payment's funds after it.
func confirmFields(v sim.ConfirmView) map[string]string {
	return map[string]string{
		"huifu_id":      v.Merchant,
		"req_date":      v.Fields[fReqDate],
		"req_seq_id":    v.ID,
		"hf_seq_id":     v.ProviderID,
		"trans_stat":    transStat(v.Status),
		"unconfirm_amt": v.Payment.Unconfirmed().Yuan(),
		"confirmed_amt": (v.Payment.Confirmed - v.Payment.TakenBack).Yuan(),
	}
}

// withUnconfirmed adds the original payment's unconfirm_amt to a refusal, when the
// request names a delayed payment paysim holds: what the merchant needs to retry with.
func (p *Provider) withUnconfirmed(fields map[string]string, req *request) {
	pay, err := p.core.QueryPayment(Name, req.str("huifu_id"), paymentLocator(req, "org_req_seq_id", "org_party_order_id"), false)
	if err == nil && pay.Delayed {
		fields["unconfirm_amt"] = pay.Unconfirmed().Yuan()
	}
}

func (p *Provider) confirmQuery(req *request) reply {
	if fe := check(req, confirmQueryRules); fe != nil {
		return fieldReply(fe, req)
	}
	v, err := p.core.QueryConfirm(sim.OpConfirm, Name, req.str("huifu_id"), sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str("org_req_seq_id"))))
	if err != nil {
		return withOriginal(p.explainConfirmMiss(refusal(err, req, refusalText{notFound: descNoOriginal}), req, sim.OpConfirm), req)
	}
	out := confirmFields(v)
	out["resp_code"], out["resp_desc"] = codeOK, descQueryOK
	out["org_req_date"], out["org_req_seq_id"] = v.Fields[fReqDate], v.ID
	out["acct_split_bunch"] = v.Fields[fSplit]
	delete(out, "req_date")
	delete(out, "req_seq_id")
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

func (p *Provider) confirmRefund(req *request) reply {
	if fe := check(req, confirmRefundRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, confirmRefundDesc, "org_req_seq_id", "org_hf_seq_id"); fe != nil {
		return fieldReply(fe, req)
	}
	var amount sim.Amount // 0: all the confirm still holds
	if split := req.str("acct_split_bunch"); split != "" {
		a, _, fe := parseSplit(split)
		if fe != nil {
			return fieldReply(fe, req)
		}
		amount = a
	}
	loc := sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str("org_req_seq_id")))
	if s := req.str("org_hf_seq_id"); s != "" {
		loc = sim.ByAlias(aliasSeq, s)
	}
	now := p.core.Now()
	seq := p.seqID(now)
	key := sim.Key{Provider: Name, Merchant: req.str("huifu_id"), ID: req.str("req_seq_id")}
	v, err := p.core.CreateConfirmRefund(sim.ConfirmRefundRequest{
		Key: key, Confirm: loc, ProviderID: seq, Amount: amount, Fingerprint: fingerprint(req), Scenario: req.scenario,
		Aliases: map[string]string{aliasSeq: seq, aliasReq: reqAlias(req.str("req_date"), key.ID)},
		Fields: map[string]string{fReqDate: req.str("req_date"), fRemark: req.str("remark"), fSplit: req.str("acct_split_bunch"),
			fLoan: req.str("loan_flag"), "loan_undertaker": req.str("loan_undertaker"), "loan_acct_type": req.str("loan_acct_type")},
	})
	if err != nil {
		rep := withOriginal(refusal(err, req, refusalText{notFound: descNoOriginal, invalidState: descConfirmNotDone, overAmount: descConfirmRefundOver}), req)
		return p.explainConfirmMiss(rep, req, sim.OpConfirm)
	}
	out := confirmFields(v)
	out["resp_code"], out["resp_desc"] = acceptedCode(v.Status)
	out["org_req_date"], out["org_req_seq_id"], out["org_hf_seq_id"] = v.Confirm.Fields[fReqDate], v.Confirm.ID, v.Confirm.ProviderID
	for _, k := range []string{fLoan, "loan_undertaker", "loan_acct_type"} {
		out[k] = v.Fields[k]
	}
	return finish(out, v.EntityView)
}

func (p *Provider) confirmRefundQuery(req *request) reply {
	if fe := check(req, confirmRefundQueryRules); fe != nil {
		return fieldReply(fe, req)
	}
	if fe := oneOf(req, confirmRefundDesc, "org_req_seq_id", "org_hf_seq_id"); fe != nil {
		return fieldReply(fe, req)
	}
	loc := sim.ByAlias(aliasReq, reqAlias(req.str("org_req_date"), req.str("org_req_seq_id")))
	if s := req.str("org_hf_seq_id"); s != "" {
		loc = sim.ByAlias(aliasSeq, s)
	}
	v, err := p.core.QueryConfirm(sim.OpConfirmRefund, Name, req.str("huifu_id"), loc)
	if err != nil {
		return withOriginal(p.explainConfirmMiss(refusal(err, req, refusalText{notFound: descNoOriginal}), req, sim.OpConfirmRefund), req)
	}
	split := v.Fields[fSplit]
	if split == "" {
		split = v.Confirm.Fields[fSplit]
	}
	out := map[string]string{
		"resp_code": codeOK, "resp_desc": descQueryOK, "huifu_id": v.Merchant,
		"org_req_date": v.Fields[fReqDate], "org_req_seq_id": v.ID, "org_hf_seq_id": v.ProviderID,
		"trans_stat": transStat(v.Status), "ord_amt": v.Amount.Yuan(),
		"pay_confirm_acct_details": confirmDetails(split, v.Status),
	}
	return finish(withEcho(reply{fields: out}, req).fields, v.EntityView)
}

// explainConfirmMiss adds to a not-found error what paysim has under that request id on
// another date, as explainMiss does for orders and refunds.
func (p *Provider) explainConfirmMiss(rep reply, req *request, op sim.Operation) reply {
	seq := req.str("org_req_seq_id")
	if seq == "" || req.str("org_hf_seq_id") != "" || rep.fields["resp_code"] != codeNotFound {
		return rep
	}
	for _, r := range p.core.Inspect(Name, req.str("huifu_id"), seq) {
		for _, c := range r.Confirms {
			if c.ID == seq && c.Operation == op && c.Fields[fReqDate] != req.str("org_req_date") {
				rep.diagnostic += fmt.Sprintf("; %s %s exists with req_date %s, but the request asked for org_req_date %s", strings.ReplaceAll(string(op), "_", " "), seq, c.Fields[fReqDate], req.str("org_req_date"))
				return rep
			}
		}
	}
	return rep
}

// freezeStat is fund_freeze_stat: FREEZE while a delayed payment still holds unconfirmed
// funds, UNFREEZE once nothing is held any more (HF-A15).
func freezeStat(v sim.PaymentView) string {
	if v.Unconfirmed() > 0 {
		return "FREEZE"
	}
	return "UNFREEZE"
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// overAmountText is the wording of an amount check that failed: the endpoint's own, or
// the refund page's 退款金额大于待确认金额 for a refund of a delayed payment above what it
// still holds unconfirmed.
func overAmountText(reason string, text refusalText) string {
	if text.overAmount != "" {
		return text.overAmount
	}
	if reason == sim.ReasonUnconfirmed {
		return descOverUnconfirmed
	}
	return ""
}
