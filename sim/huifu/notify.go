package huifu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paysim/paysim/sim"
)

// Huifu's notification policy (protocols: Huifu async notification). The spacing of
// retries is undocumented: 15 s, 60 s and 300 s (HF-A10), 5 s a try.
var notifyPolicy = sim.DeliveryPolicy{
	Gaps:    []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute},
	Timeout: 5 * time.Second,
	Ack:     ackRecvOrdID,
}

// ackRecvOrdID accepts HTTP 200 with a body starting RECV_ORD_ID_: the gateway wants
// RECV_ORD_ID_ + req_seq_id, and paysim is lenient about the id (HF-A9).
func ackRecvOrdID(status int, body []byte) (bool, string) {
	text := strings.TrimSpace(string(body))
	switch {
	case status != http.StatusOK:
		return false, "HTTP status " + strconv.Itoa(status) + ", want 200"
	case !strings.HasPrefix(text, "RECV_ORD_ID_"):
		return false, "answer " + strconv.Quote(sim.Clip(text, 60)) + " does not start with RECV_ORD_ID_"
	}
	return true, ""
}

// notify turns a final payment or refund into Huifu's form notification. Closes send
// none, and refunds only to their own notify_url (HF-A7).
func (p *Provider) notify(ev sim.Event) {
	if !ev.Notify || ev.Close != nil {
		return
	}
	var target string
	var data map[string]string
	var ints map[string]int
	switch {
	case ev.Confirm != nil && ev.Operation == sim.OpConfirm:
		target, data = ev.Confirm.Fields[fNotifyURL], confirmNotifyData(ev.Confirm)
	case ev.Confirm != nil:
		return // confirm refunds are reported by confirmrefundquery (HF-A15)
	case ev.Refund != nil:
		target, data = ev.Refund.Fields[fNotifyURL], refundNotifyData(ev.Refund)
	case ev.Payment.Status == sim.StatusSuccess || ev.Payment.Status == sim.StatusFailed:
		// One pay notification, notify_type 1 (HF-A8).
		target, data, ints = ev.Payment.Fields[fNotifyURL], payNotifyData(ev.Payment), map[string]int{"notify_type": 1}
	default:
		return // closed or expired orders are reported by closequery, not notified
	}
	target = strings.TrimPrefix(target, "virgo://")
	if target == "" {
		return
	}
	respData := encodeNotifyData(data, ints)
	sign, err := signData(p.platform, respData)
	if err != nil {
		p.core.Logger().Error("huifu notification signing failed", "err", err)
		return
	}
	form := url.Values{"resp_code": {codeOK}, "resp_desc": {descPaid}, "resp_data": {string(respData)}, "sign": {sign}}
	p.core.Notify(sim.Delivery{
		Provider: Name, Operation: ev.Operation, Entity: ev.Entity(), Order: ev.Payment.ID, URL: target,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Charset": {"UTF-8"}},
		Body:   []byte(form.Encode()), Policy: notifyPolicy, Duplicate: ev.Duplicate,
	})
}

func payNotifyData(v sim.PaymentView) map[string]string {
	code, desc := createCode(v.Status, descProcessing)
	d := map[string]string{
		"resp_code": code, "resp_desc": desc,
		"huifu_id": v.Merchant, "req_seq_id": v.ID, "req_date": v.Fields[fReqDate], "hf_seq_id": v.ProviderID,
		"trans_type": v.Fields[fTradeType], "trans_amt": v.Amount.Yuan(), "trans_stat": transStat(v.Status),
		"party_order_id": v.Fields[fPartyOrder], "remark": v.Fields[fRemark],
		"end_time": v.FinishedAt.Format(dateTimeLayout), "acct_date": v.FinishedAt.Format(dateLayout),
	}
	if v.Status == sim.StatusSuccess {
		d["settlement_amt"] = v.Amount.Yuan()
		d["out_trans_id"] = v.Fields[fOutTrans]
	}
	if v.Flow == sim.FlowHosted { // the hosted page's resp_data says 1/0 where others say Y/N
		d["is_div"], d["is_delay_acct"] = "0", map[bool]string{true: "1", false: "0"}[v.Delayed]
	}
	for k, val := range v.Overrides {
		d[k] = val
	}
	return d
}

// confirmNotifyData is a confirm's resp_data: its ids and status, and what each receiver
// of its split got (pay_confirm_details, a JSON array in a string as every nested value
// of Huifu's safe form).
func confirmNotifyData(v *sim.ConfirmView) map[string]string {
	code, desc := acceptedCode(v.Status)
	d := confirmFields(*v)
	d["resp_code"], d["resp_desc"] = code, desc
	d["org_req_date"], d["org_req_seq_id"], d["org_hf_seq_id"] = v.Payment.Fields[fReqDate], v.Payment.ID, v.Payment.ProviderID
	d["pay_confirm_details"] = confirmDetails(v.Fields[fSplit], v.Status)
	for k, val := range v.Overrides {
		d[k] = val
	}
	return d
}

func refundNotifyData(v *sim.RefundView) map[string]string {
	code, desc := createCode(v.Status, descProcessing)
	d := refundFields(*v)
	for k, val := range map[string]string{
		"resp_code": code, "resp_desc": desc, "huifu_id": v.Merchant, "req_date": v.Fields[fReqDate],
		"req_seq_id": v.ID, "hf_seq_id": v.ProviderID, "org_req_date": v.Payment.Fields[fReqDate],
		"org_req_seq_id": v.Payment.ID, "org_hf_seq_id": v.Payment.ProviderID, "org_ord_amt": v.Payment.Amount.Yuan(),
		"trans_type": "TRANS_REFUND", "total_ref_amt": v.Payment.Refunded.Yuan(), "total_ref_fee_amt": "0.00",
		"ref_cut": strconv.Itoa(v.Payment.RefundCount), "party_order_id": v.Payment.Fields[fPartyOrder],
		"remark": v.Fields[fRemark],
	} {
		d[k] = val
	}
	for k, val := range v.Overrides {
		d[k] = val
	}
	return d
}
