package shouqianba_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/shouqianba"
)

var (
	snShape      = regexp.MustCompile(`^7892260101\d{6}$`) // "7892" + yyMMdd of the virtual start
	tradeNoShape = regexp.MustCompile(`^\d{28}$`)
)

// The virtual clock's start, as Shouqianba writes times.
var startMillis = strconv.FormatInt(sim.DefaultVirtualStart.UnixMilli(), 10)

func TestPayByBarcode(t *testing.T) {
	tests := []struct {
		name, code, payway, payName string
		payer                       *regexp.Regexp
	}{
		{"wechat", "134567890123456789", "3", "微信", regexp.MustCompile(`^o[A-Za-z0-9_-]{27}$`)},
		{"alipay", "284567890123456789", "1", "支付宝", regexp.MustCompile(`^2088\d{12}$`)},
		{"unionpay", "6212345678901234567", "17", "银联云闪付", regexp.MustCompile(`^.{28}$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			body := payBody(id("pay"), "1234")
			body["dynamic_id"] = tt.code
			resp := e.post(t, pathPay, body)
			assert.Equal(t, "PAY_SUCCESS", resp.Code(), "a barcode payment with no trigger succeeds at once")
			assert.Equal(t, "builtin:immediate-success", resp.Header.Get("X-Paysim-Scenario"))
			assert.Empty(t, resp.BizError())
			d := resp.Biz.Data
			assert.Regexp(t, snShape, d.Fields["sn"])
			assert.Equal(t, body["client_sn"], d.Fields["client_sn"])
			assert.Equal(t, shouqianba.TestTerminalSN, d.Fields["terminal_sn"])
			assert.Equal(t, "PAID", d.Fields["order_status"])
			assert.Equal(t, "SUCCESS", d.Fields["status"])
			assert.Equal(t, tt.payway, d.Fields["payway"], "payway from the barcode prefix (SQ-A6)")
			assert.Equal(t, tt.payName, d.Fields["payway_name"])
			assert.Equal(t, "1", d.Fields["sub_payway"])
			assert.Equal(t, int64(1234), d.TotalAmount)
			assert.Equal(t, int64(1234), d.NetAmount)
			assert.Equal(t, int64(1234), d.SettlementAmount)
			assert.Regexp(t, tradeNoShape, d.Fields["trade_no"])
			assert.Regexp(t, tt.payer, d.Fields["payer_uid"])
			assert.Equal(t, "测试商品", d.Fields["subject"])
			assert.Equal(t, "op01", d.Fields["operator"])
			assert.Equal(t, startMillis, d.Fields["ctime"])
			assert.Equal(t, startMillis, d.Fields["finish_time"])
			assert.Equal(t, startMillis, d.Fields["channel_finish_time"], "paid the instant it was made: the wallet cannot finish before the order exists")
			assert.Equal(t, []map[string]string{{"type": "BANKCARD_DEBIT", "amount_total": "1234"}}, d.PaymentList)
		})
	}
}

func TestPayAmountAsJSONIntegerAndAlias(t *testing.T) {
	e := newEnv(t)
	body := payBody(id("pay"), "")
	body["total_amount"] = 250
	body["reflect"] = map[string]any{"tips": "200"}
	resp := e.post(t, "/api/v2/pay", body)
	require.Equal(t, "PAY_SUCCESS", resp.Code())
	assert.Equal(t, "250", resp.Data("total_amount"), "a JSON integer is tolerated and a digit string emitted")
	assert.Equal(t, `{"tips":"200"}`, resp.Data("reflect"), "an object reflect comes back as its JSON text")
}

func TestPayInvalidBarcode(t *testing.T) {
	e := newEnv(t)
	before := e.snapshot(t)
	body := payBody(id("pay"), "100")
	body["dynamic_id"] = "999999"
	resp := e.post(t, pathPay, body)
	assert.Equal(t, "PAY_FAIL", resp.Code())
	assert.Equal(t, "INVALID_BARCODE", resp.BizError())
	assert.Equal(t, "PAY_CANCELED", resp.Data("order_status"), "PAY_FAIL carries data (SQ-A10)")
	assert.Equal(t, "FAIL_CANCELED", resp.Data("status"))
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "WeChat codes start 10-15")
	assert.Equal(t, before, e.snapshot(t), "no order is kept")
}

func TestPayFailedByScenario(t *testing.T) {
	e := newEnv(t)
	resp := postAs(t, e.withScenario("sqb-pay-insufficient-fund"), pathPay, payBody(id("pay"), "100"))
	assert.Equal(t, "PAY_FAIL", resp.Code())
	assert.Equal(t, "INSUFFICIENT_FUND", resp.BizError(), "the scenario's fields override the default TRADE_FAILED")
	assert.Equal(t, "账户金额不足", resp.Biz.ErrorMessage)
	assert.Equal(t, "PAY_CANCELED", resp.Data("order_status"))
	assert.Empty(t, resp.Data("trade_no"), "never paid")
}

// pay-unknown-result on Shouqianba: 1.01 yuan = 101 fen comes back in the ERROR family;
// the 1st query still says PAY_ERROR, the 2nd PAID.
func TestPayUnknownResult(t *testing.T) {
	e := newEnv(t)
	clientSN := id("pay")
	resp := e.post(t, pathPay, payBody(clientSN, "101"))
	assert.Equal(t, "PAY_FAIL_ERROR", resp.Code())
	assert.Equal(t, "PAY_ERROR", resp.Data("order_status"))
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))
	assert.Empty(t, resp.Data("finish_time"))
	q1 := e.post(t, pathQuery, queryByClientSN(clientSN))
	assert.Equal(t, "SUCCESS", q1.Code())
	assert.Equal(t, "PAY_ERROR", q1.Data("order_status"), "1st query")
	q2 := e.post(t, pathQuery, queryBySN(resp.Data("sn")))
	assert.Equal(t, "PAID", q2.Data("order_status"), "2nd query")
	assert.Equal(t, "101", q2.Data("total_amount"))
	assert.NotEmpty(t, q2.Data("trade_no"))
}

// A pay still in progress is cancelled by the gateway after 40 s; a precreate after 4
// minutes (PAY_CANCELED + TRADE_TIMEOUT).
func TestUndecidedOrdersTimeOut(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		body   func(string) map[string]any
		header string
		after  time.Duration
	}{
		{"pay in progress after 40 s", pathPay, func(c string) map[string]any { return payBody(c, "100") }, "pay-qrcode-paid-on-first-query", 40 * time.Second},
		{"pay with unknown result after 40 s", pathPay, func(c string) map[string]any { return payBody(c, "101") }, "", 40 * time.Second},
		{"precreate after 4 min", pathPrecreate, func(c string) map[string]any { return precreateBody(c, "100", "3") }, "", 4 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			clientSN := id("to")
			c := e.client
			if tt.header != "" {
				c = e.withScenario(tt.header)
			}
			created := postAs(t, c, tt.path, tt.body(clientSN))
			require.Equal(t, "200", created.ResultCode)
			e.advance(t, tt.after-time.Millisecond)
			v, err := e.core.QueryPayment(shouqianba.Name, shouqianba.TestMerchantSN, sim.ByID(clientSN), false)
			require.NoError(t, err)
			assert.NotEqual(t, sim.StatusClosed, v.Status, "not yet")
			e.advance(t, time.Millisecond)
			q := e.post(t, pathQuery, queryByClientSN(clientSN))
			assert.Equal(t, "SUCCESS", q.Code())
			assert.Equal(t, "TRADE_TIMEOUT", q.BizError())
			assert.Equal(t, "交易超时自动撤单", q.Biz.ErrorMessage)
			assert.Equal(t, "PAY_CANCELED", q.Data("order_status"))
			assert.Equal(t, "FAIL_CANCELED", q.Data("status"))
			assert.Equal(t, strconv.FormatInt(sim.DefaultVirtualStart.Add(tt.after).UnixMilli(), 10), q.Data("finish_time"))
			cancel := e.post(t, pathCancel, queryByClientSN(clientSN))
			assert.Equal(t, "UPAY_CANCEL_ORDER_NOOP", cancel.BizError())
		})
	}
}

// pay-qrcode-paid-on-first-query, the default for precreate: the order waits for the
// payer and the merchant's first query reports it paid.
func TestPrecreatePaidOnFirstQuery(t *testing.T) {
	tests := []struct {
		payway string
		qr     *regexp.Regexp
	}{
		{"3", regexp.MustCompile(`^weixin://wxpay/bizpayurl\?pr=[A-Za-z0-9]{7}$`)},
		{"1", regexp.MustCompile(`^https://qr\.alipay\.com/bax0[0-9a-z]{20}$`)},
		{"17", regexp.MustCompile(`^https://qr\.95516\.com/00010000/\d{24}$`)},
	}
	for _, tt := range tests {
		t.Run("payway "+tt.payway, func(t *testing.T) {
			e := newEnv(t)
			clientSN := id("pc")
			resp := e.post(t, pathPrecreate, precreateBody(clientSN, "990", tt.payway))
			assert.Equal(t, "PRECREATE_SUCCESS", resp.Code())
			assert.Equal(t, "pay-qrcode-paid-on-first-query", resp.Header.Get("X-Paysim-Scenario"))
			assert.Equal(t, "CREATED", resp.Data("order_status"))
			assert.Equal(t, "IN_PROG", resp.Data("status"))
			assert.Equal(t, "2", resp.Data("sub_payway"))
			assert.Regexp(t, tt.qr, resp.Data("qr_code"))
			assert.Empty(t, resp.Data("trade_no"), "not paid yet")
			assert.Empty(t, resp.Data("finish_time"))

			paid := e.post(t, pathQuery, queryBySN(resp.Data("sn")))
			assert.Equal(t, "SUCCESS", paid.Code())
			assert.Equal(t, "PAID", paid.Data("order_status"))
			assert.Equal(t, "SUCCESS", paid.Data("status"))
			assert.Regexp(t, tradeNoShape, paid.Data("trade_no"))
			assert.NotEmpty(t, paid.Data("payer_uid"))
			assert.Empty(t, paid.Data("qr_code"), "qr_code belongs to the precreate answer")
			assert.Equal(t, startMillis, paid.Data("finish_time"))
		})
	}
}

func TestPrecreateWAP(t *testing.T) {
	e := newEnv(t)
	body := precreateBody(id("wap"), "100", "3")
	body["sub_payway"] = "3"
	missing := e.post(t, pathPrecreate, body)
	assert.Equal(t, "INVALID_PARAMS", missing.ErrorCode, "WAP needs the payer's openid")
	body["payer_uid"] = "oGFfksxxsiXIWSPsNy4Mu-YhBB-I"
	resp := e.post(t, pathPrecreate, body)
	require.Equal(t, "PRECREATE_SUCCESS", resp.Code())
	var params map[string]string
	require.NoError(t, json.Unmarshal([]byte(resp.Data("wap_pay_request")), &params), "wap_pay_request is JSON text")
	assert.Regexp(t, `^prepay_id=wx`, params["package"])
	assert.Empty(t, resp.Data("qr_code"))
	paid := e.post(t, pathQuery, queryByClientSN(body["client_sn"].(string)))
	assert.Equal(t, "oGFfksxxsiXIWSPsNy4Mu-YhBB-I", paid.Data("payer_uid"))

	// What the official Java demo sends: an Alipay WAP order with no payer_uid.
	alipay := e.post(t, pathPrecreate, map[string]any{"client_sn": id("wap"), "total_amount": "1000", "payway": "1",
		"subject": "Pizza", "operator": "Kay", "sub_payway": "3"})
	require.Equal(t, "PRECREATE_SUCCESS", alipay.Code(), alipay.Header.Get("X-Paysim-Diagnostic"))
	require.NoError(t, json.Unmarshal([]byte(alipay.Data("wap_pay_request")), &params))
	assert.Regexp(t, `^\d{28}$`, params["tradeNO"])
}

func TestQueryLocators(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("q"), 500, nil)
	tradeNo := order.Fields["trade_no"]
	tests := []struct {
		name string
		body map[string]any
	}{
		{"by sn", queryBySN(order.ProviderID)},
		{"by client_sn", queryByClientSN(order.ID)},
		{"sn first, then client_sn", map[string]any{"sn": "7892000000999999", "client_sn": order.ID}},
		{"sn wins over client_sn", map[string]any{"sn": order.ProviderID, "client_sn": "someone-else"}},
		{"sn carrying the channel trade_no", queryBySN(tradeNo)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.post(t, pathQuery, tt.body)
			require.Equal(t, "SUCCESS", resp.Code(), resp.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, order.ProviderID, resp.Data("sn"))
			assert.Equal(t, "PAID", resp.Data("order_status"))
		})
	}
	t.Run("not found", func(t *testing.T) {
		resp := e.post(t, pathQuery, map[string]any{"sn": "7892000000999999", "client_sn": "nope"})
		assert.Equal(t, "FAIL", resp.Code())
		assert.Equal(t, "UPAY_ORDER_NOT_EXISTS", resp.BizError())
		assert.Equal(t, "订单不存在", resp.Biz.ErrorMessage)
		assert.False(t, resp.HasData(), "a bare FAIL has no data (SQ-A10)")
		assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), `sn "7892000000999999" or client_sn "nope"`)
	})
}

// refund-processing-then-success, the default for refunds: in progress, then refunded on
// the 2nd status query of the refund or 30 s after it was accepted.
func TestRefundProcessingThenSuccess(t *testing.T) {
	t.Run("full refund, queried by refund_request_no", func(t *testing.T) {
		e := newEnv(t)
		order := e.seedPaid(t, id("rf"), 100, nil)
		resp := e.post(t, pathRefund, refundBody(order.ID, "1", "100"))
		assert.Equal(t, "REFUND_IN_PROGRESS", resp.Code())
		assert.Equal(t, "refund-processing-then-success", resp.Header.Get("X-Paysim-Scenario"))
		assert.Equal(t, "REFUND_INPROGRESS", resp.Data("order_status"))
		assert.Equal(t, "IN_PROG", resp.Data("status"))
		assert.Equal(t, "100", resp.Data("settlement_amount"))
		assert.Equal(t, "100", resp.Data("net_amount"), "net falls when the refund succeeds")
		assert.Empty(t, resp.Data("finish_time"))

		query := map[string]any{"sn": order.ProviderID, "refund_request_no": "1"}
		q1 := e.post(t, pathQuery, query)
		assert.Equal(t, "SUCCESS", q1.Code())
		assert.Equal(t, "REFUND_INPROGRESS", q1.Data("order_status"), "1st query")
		q2 := e.post(t, pathQuery, query)
		assert.Equal(t, "REFUNDED", q2.Data("order_status"), "2nd query")
		assert.Equal(t, "SUCCESS", q2.Data("status"))
		assert.Equal(t, "0", q2.Data("net_amount"))
		assert.Equal(t, "100", q2.Data("settlement_amount"))
		assert.Equal(t, startMillis, q2.Data("finish_time"))

		before := e.snapshot(t)
		again := e.post(t, pathRefund, refundBody(order.ID, "1", "100"))
		assert.Equal(t, "FAIL", again.Code(), "a completed serial is a no-op (SQ-A5)")
		assert.Equal(t, "UPAY_REFUND_ORDER_NOOP", again.BizError())
		assert.Contains(t, again.Header.Get("X-Paysim-Diagnostic"), "already refunded 100 fen")
		assert.Equal(t, before, e.snapshot(t))

		full := e.post(t, pathRefund, refundBody(order.ID, "2", "1"))
		assert.Equal(t, "UPAY_REFUND_INVALID_ORDER_STATE", full.BizError())
		assert.Equal(t, "订单已全额退款,可退金额不足", full.Biz.ErrorMessage)
	})
	t.Run("partial refunds, polled by order", func(t *testing.T) {
		e := newEnv(t)
		order := e.seedPaid(t, id("rf"), 100, nil)
		require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(order.ID, "01", "30")).Code())
		q1 := e.post(t, pathQuery, queryBySN(order.ProviderID))
		assert.Equal(t, "REFUND_INPROGRESS", q1.Data("order_status"), "an order query counts for the refund in flight")
		assert.Equal(t, "30", q1.Data("settlement_amount"))
		q2 := e.post(t, pathQuery, queryByClientSN(order.ID))
		assert.Equal(t, "PARTIAL_REFUNDED", q2.Data("order_status"))
		assert.Equal(t, "70", q2.Data("net_amount"))

		require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(order.ID, "02", "70")).Code())
		e.advance(t, 30*time.Second)
		q3 := e.post(t, pathQuery, queryBySN(order.ProviderID))
		assert.Equal(t, "REFUNDED", q3.Data("order_status"), "30 s after acceptance, no query needed")
		assert.Equal(t, "0", q3.Data("net_amount"))
		assert.Equal(t, strconv.FormatInt(sim.DefaultVirtualStart.Add(30*time.Second).UnixMilli(), 10), q3.Data("finish_time"),
			"finished at the deadline, not at the read")
		q4 := e.post(t, pathQuery, map[string]any{"client_sn": order.ID, "refund_request_no": "01"})
		assert.Equal(t, "30", q4.Data("settlement_amount"), "refund_request_no reports that one refund")
	})
	t.Run("the same serial while in progress reports it and books nothing", func(t *testing.T) {
		e := newEnv(t)
		order := e.seedPaid(t, id("rf"), 100, nil)
		first := e.post(t, pathRefund, refundBody(order.ID, "7", "40"))
		require.Equal(t, "REFUND_IN_PROGRESS", first.Code())
		before := e.snapshot(t)
		for _, amount := range []string{"40", "41"} {
			again := e.post(t, pathRefund, refundBody(order.ID, "7", amount))
			assert.Equal(t, "REFUND_IN_PROGRESS", again.Code())
			assert.Equal(t, "40", again.Data("settlement_amount"))
			assert.Equal(t, "refund-processing-then-success", again.Header.Get("X-Paysim-Scenario"), "a retry names the refund's scenario")
		}
		assert.Equal(t, before, e.snapshot(t))
		v, err := e.core.QueryPayment(shouqianba.Name, shouqianba.TestMerchantSN, sim.ByID(order.ID), false)
		require.NoError(t, err)
		assert.Equal(t, sim.Amount(40), v.Pending)
	})
}

func TestRefundRefusals(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("rf"), 100, nil)
	require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(order.ID, "a", "60")).Code())
	unpaid := id("pc")
	require.Equal(t, "PRECREATE_SUCCESS", e.post(t, pathPrecreate, precreateBody(unpaid, "100", "3")).Code())
	tests := []struct {
		name     string
		body     map[string]any
		code     string
		message  string
		scenario string
	}{
		{"0.03 yuan: refund-insufficient-balance", refundBody(order.ID, "b", "3"), "REFUNDABLE_AMOUNT_NOT_ENOUGH", "订单可退金额不足", "refund-insufficient-balance"},
		{"over the refundable balance", refundBody(order.ID, "c", "41"), "REFUNDABLE_AMOUNT_NOT_ENOUGH", "订单可退金额不足", ""},
		{"unknown order", refundBody("nope", "d", "1"), "UPAY_ORDER_NOT_EXISTS", "订单不存在", ""},
		{"order not paid", refundBody(unpaid, "e", "1"), "UPAY_REFUND_INVALID_ORDER_STATE", "当前订单状态不可退款", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp := e.post(t, pathRefund, tt.body)
			assert.Equal(t, "FAIL", resp.Code())
			assert.Equal(t, tt.code, resp.BizError())
			assert.Equal(t, tt.message, resp.Biz.ErrorMessage)
			assert.False(t, resp.HasData())
			assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, tt.scenario, resp.Header.Get("X-Paysim-Scenario"))
			assert.Equal(t, before, e.snapshot(t))
		})
	}
	ok := e.post(t, pathRefund, refundBody(order.ID, "f", "40"))
	assert.Equal(t, "REFUND_IN_PROGRESS", ok.Code(), "exactly the refundable balance is fine")
	bySN := refundBody("", "g", "1")
	delete(bySN, "client_sn")
	bySN["sn"] = order.Fields["trade_no"]
	assert.Equal(t, "REFUNDABLE_AMOUNT_NOT_ENOUGH", e.post(t, pathRefund, bySN).BizError(), "a refund's sn may carry the trade_no")
}

// SQ-A5: a failed refund may be retried under the same serial; the retry is a new refund.
func TestRefundFailedThenRetried(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("rf"), 100, nil)
	failed := postAs(t, e.withScenario("sqb-refund-fails"), pathRefund, refundBody(order.ID, "9", "50"))
	assert.Equal(t, "REFUND_FAIL", failed.Code())
	assert.Equal(t, "TRADE_FAILED", failed.BizError())
	assert.Equal(t, "PAID", failed.Data("order_status"), "order status unchanged")
	assert.Equal(t, "FAIL_CANCELED", failed.Data("status"))
	assert.Equal(t, "100", failed.Data("net_amount"))
	retry := e.post(t, pathRefund, refundBody(order.ID, "9", "50"))
	assert.Equal(t, "REFUND_IN_PROGRESS", retry.Code())
	assert.Equal(t, "refund-processing-then-success", retry.Header.Get("X-Paysim-Scenario"))
	q := e.post(t, pathQuery, map[string]any{"client_sn": order.ID, "refund_request_no": "9"})
	assert.Equal(t, "REFUND_INPROGRESS", q.Data("order_status"), "the query reports the latest attempt")
}

func TestRefundUnknown(t *testing.T) {
	e := newEnv(t)
	order := e.seedPaid(t, id("rf"), 100, nil)
	resp := postAs(t, e.withScenario("sqb-refund-unknown"), pathRefund, refundBody(order.ID, "1", "10"))
	assert.Equal(t, "REFUND_ERROR", resp.Code())
	assert.Equal(t, "REFUND_ERROR", resp.Data("order_status"))
	assert.Equal(t, "REFUND_ERROR", resp.Data("status"))
}

func TestCancel(t *testing.T) {
	t.Run("a pay in progress: CANCEL_ABORT_SUCCESS", func(t *testing.T) {
		e := newEnv(t)
		clientSN := id("cx")
		created := postAs(t, e.withScenario("pay-qrcode-paid-on-first-query"), pathPay, payBody(clientSN, "100"))
		require.Equal(t, "PAY_IN_PROGRESS", created.Code())
		assert.Equal(t, "CREATED", created.Data("order_status"))
		resp := e.post(t, pathCancel, queryByClientSN(clientSN))
		assert.Equal(t, "CANCEL_ABORT_SUCCESS", resp.Code())
		assert.Equal(t, "CANCELED", resp.Data("order_status"))
		assert.Equal(t, "SUCCESS", resp.Data("status"))
		assert.Empty(t, resp.Data("trade_no"), "never paid")
		assert.Equal(t, "builtin:immediate-success", resp.Header.Get("X-Paysim-Scenario"))
		q := e.post(t, pathQuery, queryBySN(created.Data("sn")))
		assert.Equal(t, "CANCELED", q.Data("order_status"), "the payer can no longer pay")
		assert.Empty(t, q.BizError())
		again := e.post(t, pathCancel, queryByClientSN(clientSN))
		assert.Equal(t, "FAIL", again.Code())
		assert.Equal(t, "UPAY_CANCEL_ORDER_NOOP", again.BizError())
		assert.Equal(t, "无效操作，订单已经是撤单状态了", again.Biz.ErrorMessage)
	})
	t.Run("a paid order: CANCEL_SUCCESS", func(t *testing.T) {
		e := newEnv(t)
		clientSN := id("cx")
		require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(clientSN, "100")).Code())
		resp := e.post(t, "/api/v2/cancel", queryByClientSN(clientSN))
		assert.Equal(t, "CANCEL_SUCCESS", resp.Code())
		assert.Equal(t, "CANCELED", resp.Data("order_status"))
		assert.NotEmpty(t, resp.Data("trade_no"), "it was paid")
		assert.Equal(t, "100", resp.Data("net_amount"), "net is total minus refunds; a reversal is no refund")
	})
	t.Run("in progress by scenario, decided by the next query", func(t *testing.T) {
		e := newEnv(t)
		clientSN := id("cx")
		require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(clientSN, "100")).Code())
		resp := postAs(t, e.withScenario("sqb-close-slow"), pathCancel, queryByClientSN(clientSN))
		assert.Equal(t, "CANCEL_IN_PROGRESS", resp.Code())
		assert.Equal(t, "CANCEL_INPROGRESS", resp.Data("order_status"))
		assert.Equal(t, "sqb-close-slow", resp.Header.Get("X-Paysim-Scenario"))
		q := e.post(t, pathQuery, queryByClientSN(clientSN))
		assert.Equal(t, "CANCELED", q.Data("order_status"))
		assert.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(id("cx"), "100")).Code())
	})
	t.Run("refused", func(t *testing.T) {
		e := newEnv(t)
		refunded := e.seedPaid(t, id("cx"), 100, nil)
		require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(refunded.ID, "1", "10")).Code())
		failed := id("cx")
		require.Equal(t, "PAY_FAIL", postAs(t, e.withScenario("sqb-pay-insufficient-fund"), pathPay, payBody(failed, "100")).Code())
		for name, tt := range map[string]struct {
			clientSN, code string
		}{
			"an order with refunds": {refunded.ID, "UPAY_CANCEL_INVALID_ORDER_STATE"},
			"a failed payment":      {failed, "UPAY_CANCEL_INVALID_ORDER_STATE"},
			"no such order":         {"nope", "UPAY_ORDER_NOT_EXISTS"},
		} {
			t.Run(name, func(t *testing.T) {
				before := e.snapshot(t)
				resp := e.post(t, pathCancel, queryByClientSN(tt.clientSN))
				assert.Equal(t, "FAIL", resp.Code())
				assert.Equal(t, tt.code, resp.BizError())
				assert.NotEmpty(t, resp.Header.Get("X-Paysim-Diagnostic"))
				assert.Equal(t, before, e.snapshot(t))
			})
		}
	})
}

func TestRevoke(t *testing.T) {
	t.Run("a paid order the same day", func(t *testing.T) {
		e := newEnv(t)
		clientSN := id("rv")
		require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(clientSN, "100")).Code())
		e.advance(t, time.Hour)
		resp := e.post(t, pathRevoke, queryByClientSN(clientSN))
		assert.Equal(t, "CANCEL_SUCCESS", resp.Code())
		assert.Equal(t, "CANCELED", resp.Data("order_status"))
		assert.Equal(t, strconv.FormatInt(sim.DefaultVirtualStart.Add(time.Hour).UnixMilli(), 10), resp.Data("finish_time"))
		assert.Equal(t, "UPAY_CANCEL_ORDER_NOOP", e.post(t, pathRevoke, queryByClientSN(clientSN)).BizError())
		assert.Equal(t, "UPAY_REFUND_INVALID_ORDER_STATE", e.post(t, pathRefund, refundBody(clientSN, "1", "1")).BizError())
	})
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env) string
		diag  string
	}{
		{"an order not paid", func(t *testing.T, e *env) string {
			c := id("rv")
			require.Equal(t, "PRECREATE_SUCCESS", e.post(t, pathPrecreate, precreateBody(c, "100", "3")).Code())
			return c
		}, "revoke takes back a paid order"},
		{"the next day", func(t *testing.T, e *env) string {
			c := id("rv")
			require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(c, "100")).Code())
			e.advance(t, 14*time.Hour)
			return c
		}, "revoke only works on the day of payment"},
		{"an order with a refund", func(t *testing.T, e *env) string {
			c := e.seedPaid(t, id("rv"), 100, nil).ID
			require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(c, "1", "10")).Code())
			return c
		}, "has refunds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			clientSN := tt.setup(t, e)
			before := e.snapshot(t)
			resp := e.post(t, pathRevoke, queryByClientSN(clientSN))
			assert.Equal(t, "FAIL", resp.Code())
			assert.Equal(t, "UPAY_CANCEL_INVALID_ORDER_STATE", resp.BizError())
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), tt.diag)
			assert.Equal(t, before, e.snapshot(t))
		})
	}
}

func TestDuplicateClientSN(t *testing.T) {
	e := newEnv(t)
	clientSN := id("dup")
	first := e.post(t, pathPay, payBody(clientSN, "100"))
	require.Equal(t, "PAY_SUCCESS", first.Code())
	before := e.snapshot(t)
	for _, body := range []map[string]any{payBody(clientSN, "100"), payBody(clientSN, "200"), precreateBody(clientSN, "100", "1")} {
		path := pathPay
		if _, ok := body["payway"]; ok {
			path = pathPrecreate
		}
		resp := e.post(t, path, body)
		assert.Equal(t, "FAIL", resp.Code())
		assert.Equal(t, "CLIENT_SN_CONFLICT", resp.BizError())
		assert.Equal(t, "client_sn在系统中已存在", resp.Biz.ErrorMessage)
		assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), first.Data("sn"))
	}
	assert.Equal(t, before, e.snapshot(t))
}

// The body the official Python demo sends (Python 2 json.dumps: ", " and ": " separators,
// \u escapes, a 36-character device_id) is signed over its raw bytes and served.
func TestPythonDemoBodyShape(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"total_amount": "100", "dynamic_id": "284567890123456789", "subject": "\u6d4b\u8bd5", "client_sn": "17000000000001234", ` +
		`"terminal_sn": "100000330000000001", "device_id": "50a87771-ca8a-4952-a493-9504c39ab495", "operator": "op"}`)
	resp, err := e.client.PostRaw(pathPay, body)
	require.NoError(t, err)
	assert.Equal(t, "PAY_SUCCESS", resp.Code(), resp.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "测试", resp.Data("subject"))
	assert.Equal(t, "1", resp.Data("payway"))
}
