package huishouqian

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paysim/paysim/sim"
)

// The retry schedule and timeout are undocumented: 15 s, 60 s, 300 s and 900 s apart,
// 10 s a try (HQ-A7).
var notifyPolicy = sim.DeliveryPolicy{
	Gaps:    []time.Duration{15 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute},
	Timeout: 10 * time.Second,
	Ack:     sim.AckText("SUCCESS"), // Both known receivers answer SUCCESS or success (HQ-A6).
}

// notify posts the seven request fields back to the returnUrl of a payment or refund
// that reached SUCCESS or FAIL, signed with the platform key and the merchant's secret.
func (p *Provider) notify(ev sim.Event) {
	if !ev.Notify || ev.Close != nil {
		return
	}
	var fields map[string]string
	var entity sim.EntityView
	switch {
	case ev.Refund != nil:
		entity = ev.Refund.EntityView
		fields = refundResult(*ev.Refund)
		delete(fields, "merchantNo")
	default:
		entity = ev.Payment.EntityView
		fields = notifyPayFields(ev.Payment)
	}
	target := entity.Fields[fReturnURL]
	m := p.merchants[entity.Merchant]
	if target == "" || m == nil {
		return
	}
	maps.Copy(fields, entity.Overrides)
	content := escapeForFormDecoders(string(encodeResult(fields)))
	pairs := []pair{{"method", entity.Fields[fMethod]}, {"version", "1.0"}, {"format", "JSON"},
		{"merchantNo", m.No}, {"signType", signTypeRSA2}, {"signContent", content}}
	sign, err := signHex(p.platform, signingText(pairs, m.SignKey, false))
	if err != nil {
		p.core.Logger().Error("huishouqian notification signing failed", "err", err)
		return
	}
	form := url.Values{"sign": {sign}}
	for _, kv := range pairs {
		form.Set(kv.k, kv.v)
	}
	p.core.Notify(sim.Delivery{
		Provider: Name, Operation: ev.Operation, Entity: ev.Entity(), Order: ev.Payment.ID, URL: target,
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded;charset=UTF-8"}},
		Body:   []byte(form.Encode()), Policy: notifyPolicy, Duplicate: ev.Duplicate,
	})
}

// notifyPayFields are the order fields a pay notification carries (protocols:
// Huishouqian async notification).
func notifyPayFields(v sim.PaymentView) map[string]string {
	out := paymentResult(v)
	delete(out, "merchantNo")
	out["finishedDate"] = finishedDate(v.EntityView)
	for _, f := range []string{fPayType, fGoodsInfo, fRequestDate, fMemo} {
		out[f] = v.Fields[f]
	}
	for _, f := range []string{fBuyerName, fChannelOrderNo, fFundChannel, fFundBankCode} {
		out[f] = paidOnly(v, f)
	}
	return out
}

// escapeForFormDecoders writes &, + and % inside signContent as JSON escapes: the C#
// client URL-decodes the whole body before splitting it, which a literal one would break.
// The result is still valid JSON, and the signature covers these bytes.
func escapeForFormDecoders(s string) string {
	return strings.NewReplacer("&", `\u0026`, "+", `\u002b`, "%", `\u0025`).Replace(s)
}
