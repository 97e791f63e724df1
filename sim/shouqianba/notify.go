package shouqianba

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/paysim/paysim/sim"
)

// The documented intervals 1 s, 5 s, 30 s and 600 s are the gaps between deliveries, at
// most 5 in all (SQ-A9), 10 s each.
var notifyPolicy = sim.DeliveryPolicy{
	Gaps:    []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 10 * time.Minute},
	Timeout: 10 * time.Second,
	Ack:     sim.AckText("success"), // "success", trimmed, in any case (SQ-A8).
}

// notifyMembers are the members of the flat order object a notification carries, each
// when the order has it: trade_no, the payer's ids, settlement_amount and payment_list
// only once it was paid, refund_request_no only for a refund (which settlement_amount
// and operator then describe, as in a query).
var notifyMembers = []string{"terminal_sn", "sn", "client_sn", "trade_no", "status", "order_status", "payway",
	"sub_payway", "payer_uid", "payer_login", "total_amount", "net_amount", "settlement_amount", "refund_request_no",
	"subject", "finish_time", "channel_finish_time", "operator", "reflect", "payment_list"}

// notify posts the order to its notify_url when it becomes PAID or PAY_CANCELED, or when
// a refund makes it REFUNDED or PARTIAL_REFUNDED, signed with the platform key.
func (p *Provider) notify(ev sim.Event) {
	if !ev.Notify || ev.Close != nil {
		return
	}
	var full orderData
	switch {
	case ev.Refund != nil && ev.Refund.Status == sim.StatusSuccess:
		full = refundFields(*ev.Refund)
		full.set("refund_request_no", ev.Refund.Fields[fRefundRequestNo])
	case ev.Refund == nil && ev.Payment.Status.Final():
		full = orderFields(ev.Payment)
	default:
		return
	}
	target := ev.Payment.Fields[fNotifyURL]
	if target == "" {
		return
	}
	data := make(orderData, len(notifyMembers))
	for _, k := range notifyMembers {
		if v, ok := full[k]; ok {
			data[k] = v
		}
	}
	body := appendData(nil, data)
	sig, err := p.platform.Sign(crypto.SHA256, body)
	if err != nil {
		p.core.Logger().Error("shouqianba notification signing failed", "err", err)
		return
	}
	p.core.Notify(sim.Delivery{
		Provider: Name, Operation: ev.Operation, Entity: ev.Entity(), Order: ev.Payment.ID, URL: target,
		Header: http.Header{
			"Content-Type":  {"application/json"},
			"Authorization": {ev.Payment.Fields[fTerminalSN] + " " + base64.StdEncoding.EncodeToString(sig)}, // SQ-A7
		},
		Body: body, Policy: notifyPolicy, Duplicate: ev.Duplicate,
	})
}
