package umpay_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/umpay"
)

var transactionIDShape = regexp.MustCompile(`^20260101100000\d{8}$`)

// The headline case, step by step: a micropay of 1.01 comes back 01000000; the 1st
// queryOrder still says unknown (02 / 8 未明); the 2nd says paid (00 / 0 支付成功).
// Clients keep the real base path in umpayUrl, so this runs under it.
func TestPayUnknownResultResolvedByQueryOrder(t *testing.T) {
	for _, base := range []string{"", umpay.BasePath} {
		t.Run("base "+base, func(t *testing.T) {
			e := newEnv(t)
			order := id("JD")
			paid := e.post(t, base+pathMicropay, micropayData(order, "101", "wechat"))
			assert.Equal(t, "01000000", paid.Code())
			assert.Equal(t, "交易结果未明,请调用订单状态同步接口查询", paid.Fields["respMsg"])
			assert.Equal(t, "pay-unknown-result", paid.Header.Get("X-Paysim-Scenario"))
			assert.Regexp(t, transactionIDShape, paid.Fields["transactionId"])
			assert.Equal(t, "101", paid.Fields["txnAmt"])
			assert.True(t, paid.Numbers["txnAmt"], "txnAmt is a JSON number")
			assert.Empty(t, paid.Fields["paySeq"], "nothing is paid yet")

			first := e.post(t, base+pathQuery, queryData(order))
			assert.Equal(t, "00", first.Code(), "the query itself was processed")
			assert.Equal(t, "02", first.Fields["origRespCode"])
			assert.Equal(t, "8", first.Fields["origRespDescCode"])
			assert.Equal(t, "未明", first.Fields["origRespDescMsg"])
			assert.Empty(t, first.Fields["payTime"])

			second := e.post(t, base+pathQuery, queryData(order))
			assert.Equal(t, "00", second.Code())
			assert.Equal(t, "00", second.Fields["origRespCode"])
			assert.Equal(t, "0", second.Fields["origRespDescCode"])
			assert.Equal(t, "支付成功", second.Fields["origRespDescMsg"])
			assert.Equal(t, "0101100000", second.Fields["payTime"], "MMddHHmmss")
			assert.Equal(t, "20260101", second.Fields["platDate"])
			assert.Equal(t, "20260101", second.Fields["stlDate"])
			assert.Equal(t, paid.Fields["transactionId"], second.Fields["transactionId"])
			assert.Equal(t, "101", second.Fields["txnAmt"])
			assert.Regexp(t, `^\d{16}$`, second.Fields["paySeq"])
			assert.Regexp(t, `^42000\d{23}$`, second.Fields["depBankSeq"])
		})
	}
}

func TestMicropaySucceedsSynchronously(t *testing.T) {
	tests := []struct{ orderType, depBankSeq string }{
		{"wechat", `^42000\d{23}$`},
		{"alipay", `^2026010122001\d{15}$`},
		{"unionpay", `^6202\d{24}$`},
	}
	for _, tt := range tests {
		t.Run(tt.orderType, func(t *testing.T) {
			e := newEnv(t)
			order := id("MP")
			resp := e.post(t, pathMicropay, micropayData(order, "50", tt.orderType))
			assert.Equal(t, "00", resp.Code(), "UM-A10: a barcode payment with no trigger succeeds at once")
			assert.Equal(t, "处理成功", resp.Fields["respMsg"])
			assert.Equal(t, order, resp.Fields["orderNo"])
			assert.Equal(t, "50", resp.Fields["txnAmt"])
			assert.Regexp(t, transactionIDShape, resp.Fields["transactionId"])
			assert.Len(t, resp.Fields["transactionId"], 22)
			assert.Regexp(t, tt.depBankSeq, resp.Fields["depBankSeq"])
			assert.Equal(t, "20260101", resp.Fields["platDate"])
			assert.Equal(t, "20260101", resp.Fields["stlDate"])
			assert.Equal(t, "builtin:immediate-success", resp.Header.Get("X-Paysim-Scenario"))
			assert.Empty(t, resp.Header.Get("X-Paysim-Diagnostic"))

			q := e.post(t, pathQuery, queryData(order))
			assert.Equal(t, "00", q.Fields["origRespCode"])
			assert.Equal(t, resp.Fields["paySeq"], q.Fields["paySeq"])
			assert.Equal(t, resp.Fields["depBankSeq"], q.Fields["depBankSeq"])
		})
	}
}

// Outcomes the shipped scenarios do not produce on Umpay, reached through the header.
func TestMicropayScenarioOutcomes(t *testing.T) {
	tests := []struct {
		scenario, code, origRespCode, descCode string
	}{
		{"t-pay-failed", "01", "06", "1"},
		{"t-pay-paying", "02", "00", "0"},     // paying, then paid on the 1st query
		{"t-pay-unclear-04", "04", "00", "0"}, // state fields override respCode (UM-A10)
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e := newEnv(t)
			e.client.Header.Set("X-Paysim-Scenario", tt.scenario)
			order := id("MP")
			resp := e.post(t, pathMicropay, micropayData(order, "50", "alipay"))
			assert.Equal(t, tt.code, resp.Code())
			assert.Equal(t, tt.scenario, resp.Header.Get("X-Paysim-Scenario"))
			q := e.post(t, pathQuery, queryData(order))
			assert.Equal(t, "00", q.Code())
			assert.Equal(t, tt.origRespCode, q.Fields["origRespCode"])
			assert.Equal(t, tt.descCode, q.Fields["origRespDescCode"])
		})
	}
}

func TestQRPayPaidOnFirstQuery(t *testing.T) {
	tests := []struct{ orderType, qrCode string }{
		{"alipay", `^https://qr\.alipay\.com/bax0`},
		{"wechat", `^weixin://wxpay/bizpayurl\?pr=`},
		{"unionpay", `^https://qr\.95516\.com/`},
		{"mobilepos", `^https://paysim\.invalid/umpay/qr/`},
		{"dycode", `^https://paysim\.invalid/umpay/qr/`},
	}
	for _, tt := range tests {
		t.Run(tt.orderType, func(t *testing.T) {
			e := newEnv(t)
			order := id("QR")
			resp := e.post(t, pathQRPay, qrpayData(order, "1230", tt.orderType))
			assert.Equal(t, "00", resp.Code(), "qrpay answers 00 once the order is created")
			assert.Regexp(t, tt.qrCode, resp.Fields["qrCode"])
			assert.Equal(t, "1230", resp.Fields["txnAmt"])
			assert.Equal(t, "pay-qrcode-paid-on-first-query", resp.Header.Get("X-Paysim-Scenario"))
			assert.Equal(t, "http://127.0.0.1:9/notify", e.payment(t, order).Fields["backUrl"], "kept for notifications")

			q := e.post(t, pathQuery, queryData(order))
			assert.Equal(t, "00", q.Fields["origRespCode"], "the payer scanned before the 1st query")
			assert.Equal(t, "1230", q.Fields["txnAmt"])
		})
	}
}

func TestQRPayExpires(t *testing.T) {
	e := newEnv(t)
	order := id("QR")
	data := qrpayData(order, "100", "alipay")
	data["paymentValidTime"] = "600"
	require.Equal(t, "00", e.post(t, pathQRPay, data).Code())
	_, err := e.clock.Advance(600 * time.Second)
	require.NoError(t, err)
	q := e.post(t, pathQuery, queryData(order))
	assert.Equal(t, "03", q.Fields["origRespCode"], "an expired order reads closed")
	assert.Equal(t, "98", q.Fields["origRespDescCode"])
	assert.Equal(t, "订单关闭", q.Fields["origRespDescMsg"])
	assert.Equal(t, "00", e.post(t, pathClose, closeData(order)).Code(), "closing an expired order is a no-op (UM-A6)")

	// Outside 300..1800 s the documented default of 300 s applies.
	short := id("QR")
	data = qrpayData(short, "100", "alipay")
	data["paymentValidTime"] = "60"
	require.Equal(t, "00", e.post(t, pathQRPay, data).Code())
	assert.Equal(t, e.clock.Now().Add(300*time.Second), e.payment(t, short).ExpiresAt)
}

func TestUnifiedOrder(t *testing.T) {
	t.Run("wechatJs", func(t *testing.T) {
		e := newEnv(t)
		order := id("JS")
		resp := e.post(t, pathUnified, unifiedData(order, "990", "wechatJs"))
		assert.Equal(t, "00", resp.Code())
		assert.Equal(t, "wx1234567890abcdef", resp.Fields["appId"])
		assert.Equal(t, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", resp.Fields["openId"])
		assert.Regexp(t, `^prepay_id=wx`, resp.Fields["prepayId"])
		assert.Regexp(t, `^\d{13}$`, resp.Fields["timestamp"])
		assert.Len(t, resp.Fields["nonceStr"], 32)
		assert.Equal(t, "MD5", resp.Fields["signType"])
		assert.Regexp(t, `^[0-9A-F]{32}$`, resp.Fields["paySign"])
		assert.Regexp(t, `^\d{16}$`, resp.Fields["hostLsNo"])
		assert.Equal(t, order, resp.Fields["orderNo"])
		assert.Equal(t, "00", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
	})
	t.Run("alipayJs", func(t *testing.T) {
		e := newEnv(t)
		data := unifiedData(id("JS"), "990", "alipayJs")
		delete(data, "appId")
		resp := e.post(t, pathUnified, data)
		assert.Equal(t, "00", resp.Code())
		assert.Regexp(t, `^2026010122001\d{15}$`, resp.Fields["prepayId"], "the tradeNO my.tradePay takes")
		assert.Regexp(t, `^2021\d{12}$`, resp.Fields["appId"])
		assert.Empty(t, resp.Fields["paySign"])
	})
	t.Run("unionpayJs", func(t *testing.T) {
		e := newEnv(t)
		resp := e.post(t, pathUnified, unifiedData(id("JS"), "990", "unionpayJs"))
		assert.Equal(t, "00", resp.Code())
		assert.Regexp(t, `^https://paysim\.invalid/umpay/unionpay/`, resp.Fields["prepayId"])
	})
	// The official demo's JSAPI order: no appId, no subAppId (the field notes make appId
	// conditional). The answer names the WeChat app paysim stands in for (UM-A12).
	t.Run("wechatJs without appId, as the official demo sends it", func(t *testing.T) {
		e := newEnv(t)
		order := id("JS")
		resp := e.post(t, pathUnified, with(ids(), "orderType", "wechatJs", "orderTime", orderTime,
			"orderNo", order, "txnAmt", "1", "userId", "onG96wD3CDziwaT6WP_35jmm3cPE"))
		require.Equal(t, "00", resp.Code(), "diagnostic %s", resp.Header.Get("X-Paysim-Diagnostic"))
		assert.Regexp(t, `^wx[0-9a-f]{16}$`, resp.Fields["appId"])
		assert.Equal(t, "onG96wD3CDziwaT6WP_35jmm3cPE", resp.Fields["openId"])
		assert.Regexp(t, `^prepay_id=wx`, resp.Fields["prepayId"])
		assert.NotEmpty(t, resp.Fields["paySign"])
		assert.Equal(t, "00", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
	})
	t.Run("wechatJs with subAppId only answers that app", func(t *testing.T) {
		e := newEnv(t)
		data := unifiedData(id("JS"), "990", "wechatJs")
		delete(data, "appId")
		data["subAppId"] = "wx0123456789abcdef"
		resp := e.post(t, pathUnified, data)
		require.Equal(t, "00", resp.Code())
		assert.Equal(t, "wx0123456789abcdef", resp.Fields["appId"])
	})
}

func TestRefundProcessingThenSuccess(t *testing.T) {
	t.Run("on the 2nd refund query", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
		rf := id("RF")
		resp := e.post(t, pathRefund, refundData(rf, pay.ID, "100", "40"))
		assert.Equal(t, "00", resp.Code(), "00 means accepted")
		assert.Regexp(t, transactionIDShape, resp.Fields["transactionId"])
		assert.NotEqual(t, pay.ProviderID, resp.Fields["transactionId"], "the refund has its own id")
		assert.Equal(t, "20260101", resp.Fields["platDate"])
		assert.Equal(t, "refund-processing-then-success", resp.Header.Get("X-Paysim-Scenario"))

		q := e.post(t, pathQuery, queryData(pay.ID))
		assert.Equal(t, "01", q.Fields["origRespCode"], "UM-A11: 转入退款 once a refund is accepted")
		assert.Equal(t, "被退货", q.Fields["origRespDescMsg"])

		q1 := e.post(t, pathRefundQuery, refundQueryData(rf))
		assert.Equal(t, "00", q1.Code())
		assert.Equal(t, "02", q1.Fields["origRespCode"])
		assert.Equal(t, "40", q1.Fields["txnAmt"])
		assert.Equal(t, resp.Fields["transactionId"], q1.Fields["transactionId"])
		q2 := e.post(t, pathRefundQuery, refundQueryData(rf))
		assert.Equal(t, "00", q2.Fields["origRespCode"])
	})
	t.Run("30 s after acceptance", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
		rf := id("RF")
		require.Equal(t, "00", e.post(t, pathRefund, refundData(rf, pay.ID, "100", "40")).Code())
		_, err := e.clock.Advance(30 * time.Second)
		require.NoError(t, err)
		assert.Equal(t, "00", e.post(t, pathRefundQuery, refundQueryData(rf)).Fields["origRespCode"], "1st query after the deadline")
	})
	t.Run("a failed refund", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
		rf := id("RF")
		e.client.Header.Set("X-Paysim-Scenario", "t-refund-fails")
		require.Equal(t, "00", e.post(t, pathRefund, refundData(rf, pay.ID, "100", "40")).Code())
		assert.Equal(t, "01", e.post(t, pathRefundQuery, refundQueryData(rf)).Fields["origRespCode"])
		assert.Equal(t, "00", e.post(t, pathQuery, queryData(pay.ID)).Fields["origRespCode"], "the money is back on the order")
	})
}

func TestRefundRefusals(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	unpaid := id("QR")
	require.Equal(t, "00", e.post(t, pathQRPay, qrpayData(unpaid, "100", "wechat")).Code())

	tests := []struct {
		name      string
		data      map[string]any
		code, msg string
		diagnosis string
	}{
		{"0.03 refused by the shipped scenario", refundData(id("RF"), pay.ID, "100", "3"), "15", "余额不足", "refund-insufficient-balance"},
		{"over the refundable balance", refundData(id("RF"), pay.ID, "100", "101"), "15", "余额不足", "refundable balance 1.00"},
		{"origTxnAmt is not the original amount", refundData(id("RF"), pay.ID, "99", "10"), "36", "与原交易信息不符", "origTxnAmt 99"},
		{"original missing", refundData(id("RF"), "NOPE", "100", "10"), "35", "原交易不存在或状态不正确", "no original order"},
		{"original not paid", refundData(id("RF"), unpaid, "100", "10"), "35", "原交易不存在或状态不正确", "only a paid payment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp := e.post(t, pathRefund, tt.data)
			assert.Equal(t, tt.code, resp.Code())
			assert.Equal(t, tt.msg, resp.Fields["respMsg"])
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic")+resp.Header.Get("X-Paysim-Scenario"), tt.diagnosis)
			assert.Equal(t, before, e.snapshot(t), "a refused refund is not booked")
		})
	}
	assert.Equal(t, "refund-insufficient-balance", e.post(t, pathRefund, refundData(id("RF"), pay.ID, "100", "3")).Header.Get("X-Paysim-Scenario"))

	resp := e.post(t, pathRefundQuery, refundQueryData("NO-SUCH-REFUND"))
	assert.Equal(t, "17", resp.Code())
	assert.Equal(t, "交易不存在", resp.Fields["respMsg"])
	// The exact balance is fine.
	assert.Equal(t, "00", e.post(t, pathRefund, refundData(id("RF"), pay.ID, "100", "100")).Code())
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	rf := id("RF")
	first := e.post(t, pathRefund, refundData(rf, pay.ID, "100", "10"))
	require.Equal(t, "00", first.Code())
	retry := e.post(t, pathRefund, refundData(rf, pay.ID, "100", "10"))
	assert.Equal(t, string(first.Body), string(retry.Body), "UM-A4: an identical refund retry gets the stored bytes")

	// Empty members and amounts as JSON integers make the same request.
	same := refundData(rf, pay.ID, 100, 10)
	same["merPriv"] = ""
	assert.Equal(t, string(first.Body), string(e.post(t, pathRefund, same).Body))

	changed := e.post(t, pathRefund, refundData(rf, pay.ID, "100", "20"))
	assert.Equal(t, "16", changed.Code())
	assert.Equal(t, "订单号重复", changed.Fields["respMsg"])
	assert.Equal(t, sim.Amount(10), e.payment(t, pay.ID).Pending, "booked once")

	order := id("MP")
	require.Equal(t, "00", e.post(t, pathMicropay, micropayData(order, "50", "wechat")).Code())
	before := e.snapshot(t)
	again := e.post(t, pathMicropay, micropayData(order, "50", "wechat"))
	assert.Equal(t, "16", again.Code(), "UM-A4: a payment orderNo is used once, even by an identical retry")
	assert.Contains(t, again.Header.Get("X-Paysim-Diagnostic"), "pay/queryOrder")
	assert.Equal(t, "16", e.post(t, pathQRPay, qrpayData(order, "60", "wechat")).Code())
	assert.Equal(t, before, e.snapshot(t))
}

func TestCloseOrder(t *testing.T) {
	e := newEnv(t)
	order := id("QR")
	require.Equal(t, "00", e.post(t, pathQRPay, qrpayData(order, "100", "wechat")).Code())
	closed := e.post(t, pathClose, closeData(order))
	assert.Equal(t, "00", closed.Code())
	assert.Equal(t, "20260101", closed.Fields["platDate"])
	assert.Equal(t, "builtin:immediate-success", closed.Header.Get("X-Paysim-Scenario"), "Umpay has no close default: synchronous")

	q := e.post(t, pathQuery, queryData(order))
	assert.Equal(t, "03", q.Fields["origRespCode"], "the payer can no longer pay a closed order")
	assert.Equal(t, "98", q.Fields["origRespDescCode"])
	assert.Equal(t, "00", e.post(t, pathClose, closeData(order)).Code(), "UM-A6: closing again is fine")

	paid := e.seedPaid(t, id("PAY"), 100, "qrpay")
	resp := e.post(t, pathClose, closeData(paid.ID))
	assert.Equal(t, "35", resp.Code(), "a paid order cannot be closed")
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "refund it")
	assert.Equal(t, "35", e.post(t, pathClose, closeData("NOPE")).Code())

	e.client.Header.Set("X-Paysim-Scenario", "t-pay-failed")
	failed := id("MP")
	require.Equal(t, "01", e.post(t, pathMicropay, micropayData(failed, "50", "wechat")).Code())
	e.client.Header.Del("X-Paysim-Scenario")
	assert.Equal(t, "00", e.post(t, pathClose, closeData(failed)).Code(), "a failed order may be closed")
	assert.Equal(t, "06", e.post(t, pathQuery, queryData(failed)).Fields["origRespCode"])
}

func TestCloseUndecidedByScenario(t *testing.T) {
	e := newEnv(t)
	order := id("QR")
	require.Equal(t, "00", e.post(t, pathQRPay, qrpayData(order, "100", "wechat")).Code())
	e.client.Header.Set("X-Paysim-Scenario", "t-close-slow")
	slow := e.post(t, pathClose, closeData(order))
	assert.Equal(t, "04", slow.Code(), "a close still being decided reads 04: ask again")
	assert.Equal(t, "t-close-slow", slow.Header.Get("X-Paysim-Scenario"))
	assert.Equal(t, "02", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"], "the order stands still meanwhile")
	_, err := e.clock.Advance(10 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, "00", e.post(t, pathClose, closeData(order)).Code(), "the repeat reports where the close stands now")
	assert.Equal(t, "03", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
}

func TestCancelOrder(t *testing.T) {
	t.Run("a paid barcode payment is revoked", func(t *testing.T) {
		e := newEnv(t)
		order := id("MP")
		pay := e.post(t, pathMicropay, micropayData(order, "50", "alipay"))
		require.Equal(t, "00", pay.Code())
		resp := e.post(t, pathCancel, closeData(order))
		assert.Equal(t, "00", resp.Code())
		assert.Equal(t, pay.Fields["transactionId"], resp.Fields["transactionId"])
		q := e.post(t, pathQuery, queryData(order))
		assert.Equal(t, "04", q.Fields["origRespCode"])
		assert.Equal(t, "2", q.Fields["origRespDescCode"])
		assert.Equal(t, "被撤销", q.Fields["origRespDescMsg"])
		assert.Equal(t, "00", e.post(t, pathCancel, closeData(order)).Code(), "a repeated cancel reports the revocation")
		assert.Equal(t, "35", e.post(t, pathClose, closeData(order)).Code(), "a revoked order is not closed")
		assert.Equal(t, "35", e.post(t, pathRefund, refundData(id("RF"), order, "50", "10")).Code())
	})
	t.Run("an unknown result is revoked too", func(t *testing.T) {
		e := newEnv(t)
		order := id("MP")
		require.Equal(t, "01000000", e.post(t, pathMicropay, micropayData(order, "101", "wechat")).Code())
		assert.Equal(t, "00", e.post(t, pathCancel, closeData(order)).Code())
		assert.Equal(t, "04", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
		assert.Equal(t, "04", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"], "and stays revoked")
	})

	t.Run("a refunded payment is not", func(t *testing.T) {
		e := newEnv(t)
		order := id("MP")
		require.Equal(t, "00", e.post(t, pathMicropay, micropayData(order, "100", "wechat")).Code())
		require.Equal(t, "00", e.post(t, pathRefund, refundData(id("RF"), order, "100", "10")).Code())
		resp := e.post(t, pathCancel, closeData(order))
		assert.Equal(t, "35", resp.Code())
		assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "has refunds")
	})

	e := newEnv(t)
	qr := id("QR")
	require.Equal(t, "00", e.post(t, pathQRPay, qrpayData(qr, "100", "wechat")).Code())
	union := id("MP")
	require.Equal(t, "00", e.post(t, pathMicropay, micropayData(union, "100", "unionpay")).Code())
	yesterday := id("MP")
	require.Equal(t, "00", e.post(t, pathMicropay, micropayData(yesterday, "100", "wechat")).Code())
	_, err := e.clock.Advance(24 * time.Hour)
	require.NoError(t, err)

	tests := []struct{ name, order, diagnosis string }{
		{"a qrpay order", qr, "only barcode"},
		{"a unionpay barcode payment", union, "only WeChat and Alipay"},
		{"yesterday's payment", yesterday, "only same-day"},
		{"no such order", "NOPE", "no original order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp := e.post(t, pathCancel, closeData(tt.order))
			assert.Equal(t, "35", resp.Code())
			assert.Equal(t, "原交易不存在或状态不正确", resp.Fields["respMsg"])
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), tt.diagnosis)
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}

func TestQueryOrderLocators(t *testing.T) {
	e := newEnv(t)
	order := id("MP")
	paid := e.post(t, pathMicropay, micropayData(order, "101", "wechat"))
	require.Equal(t, "01000000", paid.Code())
	txn := paid.Fields["transactionId"]

	byTxn := e.post(t, pathQuery, with(ids(), "orderNo", order, "transactionId", txn))
	assert.Equal(t, "00", byTxn.Code())
	assert.Equal(t, "02", byTxn.Fields["origRespCode"])

	other := id("MP")
	require.Equal(t, "00", e.post(t, pathMicropay, micropayData(other, "50", "wechat")).Code())
	before := e.snapshot(t)
	mismatch := e.post(t, pathQuery, with(ids(), "orderNo", other, "transactionId", txn))
	assert.Equal(t, "17", mismatch.Code(), "transactionId and orderNo name different orders")
	assert.Contains(t, mismatch.Header.Get("X-Paysim-Diagnostic"), "belongs to orderNo "+order)
	assert.Equal(t, before, e.snapshot(t), "a refused query counts as no query")

	assert.Equal(t, "17", e.post(t, pathQuery, with(ids(), "orderNo", order, "transactionId", "2026010110000099999999")).Code())
	assert.Equal(t, "17", e.post(t, pathQuery, queryData("NOPE")).Code())
	assert.Equal(t, "00", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"], "the 2nd counted query resolves it")
}

func TestMerchantAndSignatureVariants(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")

	unknownMer := queryData(pay.ID)
	unknownMer["acqMerId"] = "49999999"
	resp := e.post(t, pathQuery, unknownMer)
	assert.Equal(t, "31", resp.Code(), "a verified request for a merchant the provider does not have")
	assert.Equal(t, "商户或机构状态不正确", resp.Fields["respMsg"])
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "not a merchant of acqSpId Y000000001")

	unknownSp := queryData(pay.ID)
	unknownSp["acqSpId"] = "Y999999999"
	resp = e.post(t, pathQuery, unknownSp)
	assert.Equal(t, "11", resp.Code(), "an unknown acqSpId has no key to verify with")
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "not a known service provider")

	e.client.KeepEmpty = false
	assert.Equal(t, "00", e.post(t, pathQuery, queryData(pay.ID)).Fields["origRespCode"], "the documented form: empty values not signed")
	e.client.KeepEmpty = true

	body, err := e.client.SignedBody(queryData(pay.ID))
	require.NoError(t, err)
	aliased := []byte(regexp.MustCompile(`"signature":`).ReplaceAllString(string(body), `"sign":`))
	resp, err = e.client.Do("POST", pathQuery, "application/json", aliased)
	require.NoError(t, err)
	assert.Equal(t, "00", resp.Code(), "UM-A8: sign is an alias of signature")

	for _, path := range []string{"/pay/queryorder", "/pay/QUERYORDER", umpay.BasePath + "/pay/queryorder", "/pay/queryOrder/"} {
		assert.Equal(t, "00", e.post(t, path, queryData(pay.ID)).Code(), "UM-A9: %s", path)
	}
}

func TestScenarioHeaderAndArming(t *testing.T) {
	e := newEnv(t)
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	order := id("MP")
	assert.Equal(t, "01000000", e.post(t, pathMicropay, micropayData(order, "50", "wechat")).Code(), "the header applies whatever the amount")

	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	before := e.snapshot(t)
	bad := e.post(t, pathMicropay, micropayData(id("MP"), "50", "wechat"))
	assert.Equal(t, "10", bad.Code())
	assert.Contains(t, bad.Header.Get("X-Paysim-Diagnostic"), `no loaded scenario "no-such-scenario"`)
	assert.Equal(t, before, e.snapshot(t))
	e.client.Header.Del("X-Paysim-Scenario")

	pay := e.seedPaid(t, id("PAY"), 100, "qrpay")
	_, err := e.core.Arm("refund-insufficient-balance", "umpay", 1, 0)
	require.NoError(t, err)
	assert.Equal(t, "15", e.post(t, pathRefund, refundData(id("RF"), pay.ID, "100", "10")).Code(), "armed for the next refund")
	assert.Equal(t, "00", e.post(t, pathRefund, refundData(id("RF"), pay.ID, "100", "10")).Code(), "and only that one")
}

// merPriv is echoed with "|" replaced (UM-A7) so the signed text stays unambiguous.
func TestEchoedTextIsSafe(t *testing.T) {
	e := newEnv(t)
	order := id("MP")
	data := micropayData(order, "50", "wechat")
	data["merPriv"] = "table|7\u2028note"
	require.Equal(t, "00", e.post(t, pathMicropay, data).Code())
	q := e.post(t, pathQuery, queryData(order))
	assert.Equal(t, "table/7 note", q.Fields["merPriv"])
}

// An order seeded through the control plane is what a paid qrpay (or, with
// fields.api micropay, a paid barcode payment) would be.
func TestControlPlaneSeed(t *testing.T) {
	e := newEnv(t)
	body := `{"provider":"umpay","merchant":"42516662","id":"SEEDED-1","amount":"1.00","fields":{"api":"micropay","orderType":"alipay"}}`
	resp, err := http.Post(e.srv.URL+"/__paysim/orders", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	q := e.post(t, pathQuery, queryData("SEEDED-1"))
	assert.Equal(t, "00", q.Fields["origRespCode"])
	assert.Equal(t, "100", q.Fields["txnAmt"])
	assert.Regexp(t, `^2026010122001\d{15}$`, q.Fields["depBankSeq"])
	assert.Equal(t, "00", e.post(t, pathCancel, closeData("SEEDED-1")).Code(), "a seeded barcode payment can be revoked")
}

// pay-unknown-result matches on the amount before the QR default, so a qrpay of 1.01
// also answers 01000000 and is settled by queryOrder.
func TestQRPayUnknownResult(t *testing.T) {
	e := newEnv(t)
	order := id("QR")
	resp := e.post(t, pathQRPay, qrpayData(order, "101", "wechat"))
	assert.Equal(t, "01000000", resp.Code())
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))
	assert.Equal(t, "02", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
	assert.Equal(t, "00", e.post(t, pathQuery, queryData(order)).Fields["origRespCode"])
}
