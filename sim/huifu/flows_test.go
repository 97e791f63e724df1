package huifu_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

var hfSeqShape = regexp.MustCompile(`^0029000TOPA\d{12}P\d{3}7f000001\d{5}$`)

func TestJspayPaidOnFirstQuery(t *testing.T) {
	e := newEnv(t)
	seq := id("js")
	created := e.post(t, pathJspay, jspayData(seq, "12.30", "A_NATIVE"))
	assert.Equal(t, "00000100", created.Code())
	assert.Equal(t, "下单成功", created.Data["resp_desc"])
	assert.Equal(t, "P", created.Data["trans_stat"])
	assert.Equal(t, "12.30", created.Data["trans_amt"])
	assert.Equal(t, "A_NATIVE", created.Data["trade_type"])
	assert.Regexp(t, `^https://qr\.alipay\.com/`, created.Data["qr_code"])
	assert.Regexp(t, hfSeqShape, created.Data["hf_seq_id"])
	assert.Len(t, created.Data["hf_seq_id"], 40)
	assert.Empty(t, created.Data["end_time"], "not paid yet")
	assert.Equal(t, "pay-qrcode-paid-on-first-query", created.Header.Get("X-Paysim-Scenario"))

	paid := e.post(t, pathQuery, queryData(seq))
	assert.Equal(t, "00000000", paid.Code())
	assert.Equal(t, "查询成功", paid.Data["resp_desc"])
	assert.Equal(t, "S", paid.Data["trans_stat"])
	assert.Equal(t, created.Data["hf_seq_id"], paid.Data["org_hf_seq_id"])
	assert.Equal(t, "A_NATIVE", paid.Data["trans_type"])
	assert.Equal(t, "20260101100000", paid.Data["end_time"])
	assert.Regexp(t, `^\d{28}$`, paid.Data["out_trans_id"])
	assert.Equal(t, created.Data["party_order_id"], paid.Data["party_order_id"])
}

func TestJspayWechatPayInfo(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, pathJspay, jspayData(id("js"), "1.00", "T_JSAPI"))
	require.Equal(t, "00000100", resp.Code())
	var info map[string]string
	require.NoError(t, json.Unmarshal([]byte(resp.Data["pay_info"]), &info), "pay_info is a JSON string")
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"} {
		assert.NotEmpty(t, info[k], k)
	}
	assert.Regexp(t, `^prepay_id=wx`, info["package"])
}

func TestMicropay(t *testing.T) {
	tests := []struct {
		authCode, tradeType string
	}{
		{"134567890123456789", "T_MICROPAY"},
		{"284567890123456789", "A_MICROPAY"},
		{"6212345678901234567", "U_MICROPAY"},
		{"0112345678901234567", "D_MICROPAY"},
	}
	for _, tt := range tests {
		t.Run(tt.tradeType, func(t *testing.T) {
			e := newEnv(t)
			resp := e.post(t, pathMicropay, micropayData(id("mp"), "0.50", tt.authCode))
			assert.Equal(t, "00000000", resp.Code(), "a barcode payment with no trigger succeeds at once")
			assert.Equal(t, "S", resp.Data["trans_stat"])
			assert.Equal(t, tt.tradeType, resp.Data["trade_type"])
			assert.NotEmpty(t, resp.Data["end_time"])
			assert.NotEmpty(t, resp.Data["out_trans_id"])
			assert.Equal(t, "builtin:immediate-success", resp.Header.Get("X-Paysim-Scenario"))
		})
	}
}

func TestPayUnknownResultResolvedByQuery(t *testing.T) {
	e := newEnv(t)
	seq := id("mp")
	resp := e.post(t, pathMicropay, micropayData(seq, "1.01", "134567890123456789"))
	assert.Equal(t, "00000100", resp.Code(), "unknown reads as processing on Huifu (HF-A12)")
	assert.Equal(t, "P", resp.Data["trans_stat"])
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))
	assert.Equal(t, "P", e.post(t, pathQuery, queryData(seq)).Data["trans_stat"], "1st query")
	second := e.post(t, pathQuery, queryData(seq))
	assert.Equal(t, "S", second.Data["trans_stat"], "2nd query")
	assert.Equal(t, "1.01", second.Data["trans_amt"])
}

func TestRefundProcessingThenSuccess(t *testing.T) {
	t.Run("on the 2nd refund query", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("pay"), "1.00")
		rf := id("rf")
		resp := e.post(t, pathRefund, refundData(rf, pay.ID, "0.40"))
		assert.Equal(t, "00000100", resp.Code())
		assert.Equal(t, "交易正在处理中", resp.Data["resp_desc"])
		assert.Equal(t, "P", resp.Data["trans_stat"])
		assert.Equal(t, "0.40", resp.Data["ord_amt"])
		assert.Equal(t, huifutest.ProductID, resp.Data["product_id"])
		assert.Equal(t, pay.ID, resp.Data["org_req_seq_id"])
		assert.Equal(t, "A", resp.Data["pay_channel"])
		assert.Regexp(t, hfSeqShape, resp.Data["hf_seq_id"])
		assert.Empty(t, resp.Data["trans_finish_time"])
		assert.Equal(t, "refund-processing-then-success", resp.Header.Get("X-Paysim-Scenario"))

		q1 := e.post(t, pathRefundQuery, refundQueryData(rf))
		assert.Equal(t, "00000000", q1.Code())
		assert.Equal(t, "P", q1.Data["trans_stat"])
		assert.Equal(t, "TRANS_REFUND", q1.Data["trans_type"])
		q2 := e.post(t, pathRefundQuery, refundQueryData(rf))
		assert.Equal(t, "S", q2.Data["trans_stat"])
		assert.Equal(t, "0.40", q2.Data["actual_ref_amt"])
		assert.Equal(t, "20260101100000", q2.Data["trans_finish_time"])
		assert.Equal(t, resp.Data["hf_seq_id"], q2.Data["org_hf_seq_id"])
	})
	t.Run("30 s after acceptance", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("pay"), "1.00")
		rf := id("rf")
		require.Equal(t, "00000100", e.post(t, pathRefund, refundData(rf, pay.ID, "0.40")).Code())
		_, err := e.clock.Advance(29_999_000_000)
		require.NoError(t, err)
		// A lookup by hf_seq_id needs no date.
		v, err := e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
		require.NoError(t, err)
		assert.Equal(t, sim.Amount(40), v.Pending)
		_, err = e.clock.Advance(1_000_000)
		require.NoError(t, err)
		q := e.post(t, pathRefundQuery, refundQueryData(rf))
		assert.Equal(t, "S", q.Data["trans_stat"], "first query after the deadline")
		assert.Equal(t, "20260101100030", q.Data["trans_finish_time"], "finished at the deadline, not at the read")
	})
}

func TestRefundOverBalance(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	require.Equal(t, "00000100", e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.60")).Code())
	before := e.snapshot(t)
	over := e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.41"))
	assert.Equal(t, "23000003", over.Code())
	assert.Equal(t, "申请退款金额大于可退余额", over.Data["resp_desc"])
	assert.Equal(t, "F", over.Data["trans_stat"])
	assert.Contains(t, over.Header.Get("X-Paysim-Diagnostic"), "refundable balance 0.40")
	assert.Equal(t, before, e.snapshot(t), "a refused refund is not persisted (HF-A6)")
	assert.Equal(t, "00000100", e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.40")).Code(), "the exact balance is fine")
	v, err := e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(100), v.Pending+v.Refunded, "every accepted refund is booked")
	assert.Equal(t, sim.Amount(0), v.Refundable())
	assert.Equal(t, "23000003", e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.01")).Code(), "nothing is left to refund")
}

func TestRefundInsufficientBalanceScenario(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "100.00")
	resp := e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.03"))
	assert.Equal(t, "23000003", resp.Code(), "0.03 is refused whatever the balance")
	assert.Equal(t, "F", resp.Data["trans_stat"])
	assert.Equal(t, "refund-insufficient-balance", resp.Header.Get("X-Paysim-Scenario"))
	v, err := e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(0), v.Pending+v.Refunded)
}

func TestRefundRefusals(t *testing.T) {
	e := newEnv(t)
	unpaid := id("js")
	require.Equal(t, "00000100", e.post(t, pathJspay, jspayData(unpaid, "1.00", "A_NATIVE")).Code())

	resp := e.post(t, pathRefund, refundData(id("rf"), unpaid, "0.10"))
	assert.Equal(t, "23000000", resp.Code())
	assert.Equal(t, "原交易未入账，不能发起退款", resp.Data["resp_desc"])

	resp = e.post(t, pathRefund, refundData(id("rf"), "no-such-order", "0.10"))
	assert.Equal(t, "23000001", resp.Code())
	assert.Equal(t, "原交易不存在", resp.Data["resp_desc"])

	resp = e.post(t, pathRefundQuery, refundQueryData("no-such-refund"))
	assert.Equal(t, "23000001", resp.Code())
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("pay"), "1.00")
	rf := id("rf")
	first := e.post(t, pathRefund, refundData(rf, pay.ID, "0.10"))
	retry := e.post(t, pathRefund, refundData(rf, pay.ID, "0.10"))
	assert.Equal(t, string(first.Body), string(retry.Body), "an identical retry gets the stored bytes, same sign")

	// An SDK that sends "" for unset fields makes the same request as one that omits them.
	withEmpty := refundData(rf, pay.ID, "0.10")
	withEmpty["org_hf_seq_id"] = ""
	assert.Equal(t, string(first.Body), string(e.post(t, pathRefund, withEmpty).Body))

	changed := e.post(t, pathRefund, refundData(rf, pay.ID, "0.20"))
	assert.Equal(t, "20000000", changed.Code())
	assert.Equal(t, "重复交易", changed.Data["resp_desc"])

	v, err := e.core.QueryPayment("huifu", huifutest.HuifuID, sim.ByID(pay.ID), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(10), v.Pending, "booked once")

	js := id("js")
	a := e.post(t, pathJspay, jspayData(js, "1.00", "T_JSAPI"))
	b := e.post(t, pathJspay, jspayData(js, "1.00", "T_JSAPI"))
	assert.Equal(t, string(a.Body), string(b.Body))
	assert.Equal(t, "20000000", e.post(t, pathJspay, jspayData(js, "2.00", "T_JSAPI")).Code())
}

func TestCloseProcessingThenSuccess(t *testing.T) {
	e := newEnv(t)
	order := id("js")
	created := e.post(t, pathJspay, jspayData(order, "1.00", "T_JSAPI"))
	require.Equal(t, "00000100", created.Code())

	cl := id("cl")
	closed := e.post(t, pathClose, closeData(cl, order))
	assert.Equal(t, "00000100", closed.Code())
	assert.Equal(t, "P", closed.Data["trans_stat"])
	assert.Equal(t, "P", closed.Data["org_trans_stat"])
	assert.Equal(t, created.Data["hf_seq_id"], closed.Data["org_hf_seq_id"])
	assert.Equal(t, "close-processing-then-success", closed.Header.Get("X-Paysim-Scenario"))

	// While the close is being decided, the payer can no longer pay.
	assert.Equal(t, "P", e.post(t, pathQuery, queryData(order)).Data["trans_stat"])

	q1 := e.post(t, pathCloseQuery, closeData(id("cq"), order))
	assert.Equal(t, "00000000", q1.Code())
	assert.Equal(t, "P", q1.Data["trans_stat"])
	q2 := e.post(t, pathCloseQuery, closeData(id("cq"), order))
	assert.Equal(t, "S", q2.Data["trans_stat"])
	assert.Equal(t, "F", q2.Data["org_trans_stat"], "a closed order reads F (HF-A3)")

	q := e.post(t, pathQuery, queryData(order))
	assert.Equal(t, "F", q.Data["trans_stat"])
	assert.Equal(t, "订单已关闭", q.Data["bank_message"])

	again := e.post(t, pathClose, closeData(id("cl"), order))
	assert.Equal(t, "23000000", again.Code())
	assert.Equal(t, "关单状态为终态，不能重复关单", again.Data["resp_desc"])
}

func TestCloseRefusals(t *testing.T) {
	e := newEnv(t)
	paid := e.seedPaid(t, id("pay"), "1.00")
	resp := e.post(t, pathClose, closeData(id("cl"), paid.ID))
	assert.Equal(t, "23000000", resp.Code())
	assert.Equal(t, "原订单已为终态，无法发起关单操作", resp.Data["resp_desc"])
	assert.Equal(t, "S", resp.Data["org_trans_stat"])
	assert.Equal(t, "F", resp.Data["trans_stat"])

	union := id("js")
	require.Equal(t, "00000100", e.post(t, pathJspay, jspayData(union, "1.00", "U_NATIVE")).Code())
	assert.Equal(t, "23000004", e.post(t, pathClose, closeData(id("cl"), union)).Code())

	// The refused close of the paid order is recorded: closequery answers the page's own
	// example (HF-A13).
	cq := e.post(t, pathCloseQuery, closeData(id("cq"), paid.ID))
	assert.Equal(t, "00000000", cq.Code())
	assert.Equal(t, "S", cq.Data["org_trans_stat"])
	assert.Equal(t, "F", cq.Data["trans_stat"])
	missing := e.post(t, pathCloseQuery, closeData(id("cq"), "nothing"))
	assert.Equal(t, "原交易不存在", missing.Data["resp_desc"])
	assert.Equal(t, today, missing.Data["org_req_date"], "closequery echoes the original's ids, errors included (HF-A14)")
	assert.Equal(t, "nothing", missing.Data["org_req_seq_id"])
	unclosed := e.seedPaid(t, id("pay"), "1.00")
	never := e.post(t, pathCloseQuery, closeData(id("cq"), unclosed.ID))
	assert.Equal(t, "23000001", never.Code())
	assert.Equal(t, "关单记录不存在", never.Data["resp_desc"])
	assert.Equal(t, unclosed.ID, never.Data["org_req_seq_id"])
	assert.Equal(t, today, never.Data["org_req_date"])
}

// The race the closequery page is about: the payer pays while the close is being
// decided; the close fails and the order is paid.
func TestCloseLosesRaceToPayer(t *testing.T) {
	e := newEnv(t)
	order := id("js")
	require.Equal(t, "00000100", e.post(t, pathJspay, jspayData(order, "1.00", "A_NATIVE")).Code())
	e.client.Header.Set("X-Paysim-Scenario", "close-loses-race-to-payer")
	closing := e.post(t, pathClose, closeData(id("cl"), order))
	e.client.Header.Del("X-Paysim-Scenario")
	require.Equal(t, "00000100", closing.Code(), "accepted, processing")
	cq := e.post(t, pathCloseQuery, closeData(id("cq"), order))
	assert.Equal(t, "00000000", cq.Code())
	assert.Equal(t, "F", cq.Data["trans_stat"], "the close failed")
	assert.Equal(t, "S", cq.Data["org_trans_stat"], "because the payer paid")
	q := e.post(t, pathQuery, queryData(order))
	assert.Equal(t, "S", q.Data["trans_stat"])
}

func TestScenarioHeaderAndArming(t *testing.T) {
	e := newEnv(t)
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	seq := id("mp")
	resp := e.post(t, pathMicropay, micropayData(seq, "0.50", "134567890123456789"))
	assert.Equal(t, "P", resp.Data["trans_stat"], "the header applies whatever the amount")
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))

	// The same header on a refund names a payment scenario: refused like a typo, nothing
	// booked.
	pay := e.seedPaid(t, id("pay"), "1.00")
	before := e.snapshot(t)
	wrong := e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.10"))
	assert.Equal(t, "10000000", wrong.Code())
	assert.Contains(t, wrong.Header.Get("X-Paysim-Diagnostic"), `names "pay-unknown-result", a payment scenario, but this request creates a refund`)
	assert.Equal(t, before, e.snapshot(t))

	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	before = e.snapshot(t)
	bad := e.post(t, pathMicropay, micropayData(id("mp"), "0.50", "134567890123456789"))
	assert.Equal(t, "10000000", bad.Code())
	assert.Contains(t, bad.Header.Get("X-Paysim-Diagnostic"), `no loaded scenario "no-such-scenario"`)
	assert.Equal(t, before, e.snapshot(t))
	e.client.Header.Del("X-Paysim-Scenario")

	_, err := e.core.Arm("refund-insufficient-balance", "huifu", 1, 0)
	require.NoError(t, err)
	assert.Equal(t, "23000003", e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.10")).Code(), "armed for the next refund")
	assert.Equal(t, "00000100", e.post(t, pathRefund, refundData(id("rf"), pay.ID, "0.10")).Code(), "and only that one")
}

func TestLocators(t *testing.T) {
	e := newEnv(t)
	order := id("js")
	created := e.post(t, pathJspay, jspayData(order, "1.00", "A_NATIVE"))
	require.Equal(t, "00000100", created.Code())
	hfSeq, party := created.Data["hf_seq_id"], created.Data["party_order_id"]

	byHfSeq := e.post(t, pathQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_hf_seq_id": hfSeq})
	assert.Equal(t, "00000000", byHfSeq.Code(), "org_hf_seq_id needs no org_req_date")
	assert.Equal(t, order, byHfSeq.Data["org_req_seq_id"])

	byParty := e.post(t, pathQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "out_ord_id": party})
	assert.Equal(t, "00000000", byParty.Code())

	wrongDay := e.post(t, pathQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": "20251231", "org_req_seq_id": order})
	assert.Equal(t, "23000001", wrongDay.Code())
	assert.Contains(t, wrongDay.Header.Get("X-Paysim-Diagnostic"), "exists with req_date "+today)

	noDate := e.post(t, pathQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_req_seq_id": order})
	assert.Equal(t, "10000000", noDate.Code())
	assert.Equal(t, "org_req_date不能为空", noDate.Data["resp_desc"])

	require.Equal(t, "S", e.post(t, pathQuery, queryData(order)).Data["trans_stat"])
	rf := id("rf")
	refund := e.post(t, pathRefund, map[string]any{"req_date": today, "req_seq_id": rf, "huifu_id": huifutest.HuifuID,
		"ord_amt": "0.10", "org_req_date": today, "org_party_order_id": party})
	require.Equal(t, "00000100", refund.Code(), "refund by the wallet order number")
	byMerOrd := e.post(t, pathRefundQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "mer_ord_id": rf})
	assert.Equal(t, "00000000", byMerOrd.Code(), "mer_ord_id is the refund's req_seq_id (HF-A5)")
	byRefundSeq := e.post(t, pathRefundQuery, map[string]any{"huifu_id": huifutest.HuifuID, "org_hf_seq_id": refund.Data["hf_seq_id"]})
	assert.Equal(t, "00000000", byRefundSeq.Code())
	assert.Equal(t, rf, byRefundSeq.Data["org_req_seq_id"])
}

func TestMerchantChecks(t *testing.T) {
	e := newEnv(t)
	data := queryData("x")
	data["huifu_id"] = "6666000199999999"
	resp := e.post(t, pathQuery, data)
	assert.Equal(t, "22000002", resp.Code(), "a huifu_id not under the sys_id")
	assert.Equal(t, "商户信息不存在", resp.Data["resp_desc"])

	e.client.SysID = "6666000100009999"
	resp = e.post(t, pathQuery, queryData("x"))
	assert.Equal(t, "验签不通过", resp.Data["resp_desc"], "an unknown sys_id has no key to verify with (HF-A1)")
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "not a known merchant")
}
