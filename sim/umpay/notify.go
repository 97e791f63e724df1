package umpay

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/paysim/paysim/sim"
)

// Umpay's notification policy (protocols: Umpay async notification): at most 4
// notifications about a minute apart, 10 s each.
var notifyPolicy = sim.DeliveryPolicy{
	Gaps:    []time.Duration{time.Minute, time.Minute, time.Minute},
	Timeout: 10 * time.Second,
	Ack:     ackRespCode00,
}

// ackRespCode00 accepts a JSON answer with respCode "00"; the merchant's own signature
// on it, if any, is not checked.
func ackRespCode00(status int, body []byte) (bool, string) {
	if status < 200 || status > 299 {
		return false, "HTTP status " + strconv.Itoa(status) + ", want 2xx"
	}
	var ack struct {
		RespCode any `json:"respCode"`
	}
	if err := json.Unmarshal(body, &ack); err != nil {
		return false, "the answer is not JSON with a respCode: " + err.Error()
	}
	if code, _ := ack.RespCode.(string); code != codeOK {
		got, _ := json.Marshal(ack.RespCode)
		return false, "respCode is " + string(got) + `, want "00"`
	}
	return true, ""
}

// notify sends the pay notification of an order that completed asynchronously. None is
// sent when the paying call already said the order was paid; refund notifications
// (notifyType 3) are off by default (UM-A5).
func (p *Provider) notify(ev sim.Event) {
	v := ev.Payment
	if !ev.Notify || ev.Operation != sim.OpPayment || ev.Synchronous || v.Status != sim.StatusSuccess || v.Fields[fBackURL] == "" {
		return
	}
	fields := map[string]string{
		"acqSpId": p.spOf(v.Merchant), "acqMerId": v.Merchant, "orderNo": v.ID, "transactionId": v.ProviderID,
		"txnAmt": v.Amount.Fen(), "payAmt": v.Amount.Fen(), "settlementAmt": v.Amount.Fen(), "currencyCode": "CNY",
		"payTime": v.FinishedAt.Format(dateTimeLayout), "cardType": "01", "notifyType": "1",
		"orderType": v.Fields[fOrderType], "merPriv": v.Fields[fMerPriv],
	}
	for k, val := range v.Overrides {
		fields[k] = val
	}
	// UM-A5: signed like a response, values joined by "|" in key order.
	members, text := encode(fields)
	sign, err := signResponse(p.platform, text)
	if err != nil {
		p.core.Logger().Error("umpay notification signing failed", "err", err)
		return
	}
	form := url.Values{"sign": {sign}}
	for _, m := range members {
		form.Set(m[0], m[1])
	}
	p.core.Notify(sim.Delivery{
		Provider: Name, Operation: ev.Operation, Entity: ev.Entity(), Order: v.ID, URL: v.Fields[fBackURL],
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=UTF-8"}},
		Body:   []byte(form.Encode()), Policy: notifyPolicy, Duplicate: ev.Duplicate,
	})
}

// spOf names the service provider a merchant belongs to.
func (p *Provider) spOf(merchant string) string {
	for _, sp := range p.providers {
		if slices.Contains(sp.Merchants, merchant) {
			return sp.SpID
		}
	}
	return ""
}
