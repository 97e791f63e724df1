package huifu_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

const (
	pathPreorder        = "/v2/trade/hosting/payment/preorder"
	pathQueryOrderInfo  = "/v2/trade/hosting/payment/queryorderinfo"
	pathHtRefund        = "/v2/trade/hosting/payment/htRefund"
	pathQueryRefundInfo = "/v2/trade/hosting/payment/queryRefundInfo"
	pathHostingClose    = "/v2/trade/hosting/payment/close"
	pathSplitpayQuery   = "/v2/trade/hosting/payment/splitpay/query"
)

const hostingData = `{"project_title":"收银台标题","project_id":"PROJECTID2023101225142567","private_info":"商户私有信息","callback_url":"https://shop.example/back","request_type":"M"}`

func preorderData(reqSeq, amount string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"trans_amt": amount, "goods_desc": "托管商品", "pre_order_type": "1", "hosting_data": hostingData, "trans_type": "A_NATIVE"}
}

func hostedQueryData(orgSeq string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": "q-" + orgSeq, "huifu_id": huifutest.HuifuID,
		"org_req_date": today, "org_req_seq_id": orgSeq}
}

func hostedCloseData(reqSeq, orgSeq string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"org_req_date": today, "org_req_seq_id": orgSeq}
}

// payByControlPlane plays the payer through POST /__paysim/orders/pay, as QA or a CI job
// would.
func (e *env) payByControlPlane(t *testing.T, orderID string) {
	t.Helper()
	body := fmt.Sprintf(`{"provider":"huifu","id":%q}`, orderID)
	resp, err := http.Post(e.srv.URL+"/__paysim/orders/pay", "application/json", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
}

// The flow: preorder, paid by the control plane, queryorderinfo S, htRefund,
// queryRefundInfo P then S; the pay notification signed and verified.
func TestHostedCheckoutFlow(t *testing.T) {
	e := newEnv(t)
	rcv := newMerchantReceiver(t)
	seq := id("ho")
	data := preorderData(seq, "8.00")
	data["notify_url"] = rcv.URL
	created := e.post(t, pathPreorder, data)
	require.Equal(t, "00000000", created.Code(), created.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "pay-hosted-waits-for-payer", created.Header.Get("X-Paysim-Scenario"))
	assert.Regexp(t, `^H20260101100000\d{11}$`, created.Data["pre_order_id"])
	assert.Equal(t, "https://paysim.invalid/hostingh5/?jump_id="+created.Data["pre_order_id"]+"&huifu_id="+huifutest.HuifuID, created.Data["jump_url"])
	assert.Equal(t, "1", created.Data["pre_order_type"])
	assert.Equal(t, hostingData, created.Data["hosting_data"])
	assert.Equal(t, "20260101101000", created.Data["time_expire"], "10 minutes by default")
	assert.Equal(t, "20260101100000", created.Data["current_time"])
	assert.Equal(t, string(created.Body), string(e.post(t, pathPreorder, data).Body), "an identical retry gets the same bytes")

	waiting := e.post(t, pathQueryOrderInfo, hostedQueryData(seq))
	assert.Equal(t, "00000000", waiting.Code())
	assert.Equal(t, "P", waiting.Data["trans_stat"])
	assert.Equal(t, "2", waiting.Data["order_stat"])
	assert.Equal(t, "P", e.post(t, pathQueryOrderInfo, hostedQueryData(seq)).Data["trans_stat"], "the page waits for its payer")

	e.payByControlPlane(t, seq)
	paid := e.post(t, pathQueryOrderInfo, hostedQueryData(seq))
	assert.Equal(t, "S", paid.Data["trans_stat"])
	assert.Equal(t, "1", paid.Data["order_stat"])
	assert.Equal(t, "A_NATIVE", paid.Data["pay_type"])
	assert.Equal(t, "8.00", paid.Data["ref_amt"])
	assert.Equal(t, "商户私有信息", paid.Data["remark"], "hosting_data.private_info comes back as remark")
	assert.Equal(t, created.Data["pre_order_id"], paid.Data["pre_order_id"])
	assert.Equal(t, "N", paid.Data["is_delay_acct"])
	byPreOrder := e.post(t, pathQueryOrderInfo, map[string]any{"huifu_id": huifutest.HuifuID, "pre_order_id": paid.Data["pre_order_id"]})
	assert.Equal(t, seq, byPreOrder.Data["org_req_seq_id"], "pre_order_id finds the order too")
	byParty := e.post(t, pathQueryOrderInfo, map[string]any{"huifu_id": huifutest.HuifuID, "party_order_id": paid.Data["party_order_id"]})
	assert.Equal(t, seq, byParty.Data["org_req_seq_id"], "so does party_order_id")

	e.waitNotified(t, seq, sim.NotifyAcked)
	got, problems := rcv.received()
	require.Empty(t, problems, "the pay notification verifies")
	require.Len(t, got, 1)
	assert.Equal(t, "S", got[0]["trans_stat"])
	assert.Equal(t, "0", got[0]["is_delay_acct"])

	rf := id("hrf")
	refund := e.post(t, pathHtRefund, refundData(rf, seq, "3.00"))
	require.Equal(t, "00000000", refund.Code(), refund.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "P", refund.Data["trans_stat"], "00000000 only says the refund was accepted")
	q1 := e.post(t, pathQueryRefundInfo, refundQueryData(rf))
	assert.Equal(t, "00000000", q1.Code())
	assert.Equal(t, "P", q1.Data["trans_stat"])
	q2 := e.post(t, pathQueryRefundInfo, refundQueryData(rf))
	assert.Equal(t, "S", q2.Data["trans_stat"])
	assert.Equal(t, "3.00", q2.Data["actual_ref_amt"])
	assert.Equal(t, paid.Data["party_order_id"], q2.Data["org_party_order_id"])
	assert.Empty(t, q2.Data["trans_type"])
	assert.Equal(t, "6", e.post(t, pathQueryOrderInfo, hostedQueryData(seq)).Data["order_stat"], "partly refunded")

	over := e.post(t, pathHtRefund, refundData(id("hrf"), seq, "5.01"))
	assert.Equal(t, "23000003", over.Code())

	final := e.post(t, pathHostingClose, hostedCloseData(id("hcl"), seq))
	assert.Equal(t, "30000001", final.Code())
	assert.Equal(t, "原交易已经终态，不允许关单", final.Data["resp_desc"])
	assert.Equal(t, "S", final.Data["org_trans_stat"])

	split := e.post(t, pathSplitpayQuery, hostedQueryData(seq))
	assert.Equal(t, "00000000", split.Code())
	var list []map[string]string
	require.NoError(t, json.Unmarshal([]byte(split.Data["trans_list"]), &list))
	require.Len(t, list, 1)
	assert.Equal(t, "8.00", list[0]["trans_amt"])
	assert.Equal(t, "5.00", list[0]["ref_amt"])
}

func TestHostedCloseAndExpiry(t *testing.T) {
	e := newEnv(t)
	seq := id("ho")
	require.Equal(t, "00000000", e.post(t, pathPreorder, preorderData(seq, "1.00")).Code())
	cl := e.post(t, pathHostingClose, hostedCloseData(id("hcl"), seq))
	require.Equal(t, "00000000", cl.Code(), cl.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "P", cl.Data["close_stat"])
	assert.Equal(t, "P", cl.Data["org_trans_stat"])
	assert.Equal(t, "P", e.post(t, pathQueryOrderInfo, hostedQueryData(seq)).Data["close_stat"])
	_, err := e.clock.Advance(30 * time.Second)
	require.NoError(t, err)
	closed := e.post(t, pathQueryOrderInfo, hostedQueryData(seq))
	assert.Equal(t, "S", closed.Data["close_stat"])
	assert.Equal(t, "F", closed.Data["trans_stat"])
	assert.Equal(t, "5", closed.Data["order_stat"])
	again := e.post(t, pathHostingClose, hostedCloseData(id("hcl"), seq))
	assert.Equal(t, "30000001", again.Code())
	assert.Equal(t, "关单状态为终态，不能重复关单", again.Data["resp_desc"])
	assert.Equal(t, "99010003", e.post(t, pathHostingClose, hostedCloseData(id("hcl"), "no-such-order")).Code())

	soon := id("ho")
	data := preorderData(soon, "1.00")
	data["time_expire"] = "20260101100130"
	data["delay_acct_flag"] = "Y"
	require.Equal(t, "20260101100130", e.post(t, pathPreorder, data).Data["time_expire"])
	_, err = e.clock.Advance(61 * time.Second)
	require.NoError(t, err)
	expired := e.post(t, pathQueryOrderInfo, hostedQueryData(soon))
	assert.Equal(t, "F", expired.Data["trans_stat"], "unpaid at time_expire")
	assert.Equal(t, "Y", expired.Data["is_delay_acct"])

	scan := e.seedPaid(t, id("pay"), "1.00")
	notHosted := e.post(t, pathQueryOrderInfo, hostedQueryData(scan.ID))
	assert.Equal(t, "23000001", notHosted.Code())
	assert.Contains(t, notHosted.Header.Get("X-Paysim-Diagnostic"), "scanpay/query")
}

// A delayed hosted order is confirmed like any delayed payment.
func TestHostedDelayedOrderConfirm(t *testing.T) {
	e := newEnv(t)
	seq := id("ho")
	data := preorderData(seq, "2.00")
	data["delay_acct_flag"] = "Y"
	require.Equal(t, "00000000", e.post(t, pathPreorder, data).Code())
	e.payByControlPlane(t, seq)
	cf := e.post(t, pathConfirm, confirmData(id("cf"), seq, split("1.50")))
	require.Equal(t, "00000000", cf.Code(), cf.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "0.50", cf.Data["unconfirm_amt"])
	assert.Equal(t, "0.50", e.post(t, pathQueryOrderInfo, hostedQueryData(seq)).Data["ref_amt"], "a delayed order refunds what is unconfirmed")
	r := e.post(t, pathHtRefund, refundData(id("hrf"), seq, "0.60"))
	assert.Equal(t, "23000003", r.Code())
	assert.Equal(t, "退款金额大于待确认金额", r.Data["resp_desc"])
}

func TestHostingBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path string
		data       map[string]any
		code, desc string
	}{
		{"no hosting_data", pathPreorder, withoutField(preorderData("h1", "1.00"), "hosting_data"), "10000000", "hosting_data不能为空"},
		{"hosting_data not JSON", pathPreorder, withField(preorderData("h2", "1.00"), "hosting_data", "{x"), "10000000", "hosting_data格式不正确"},
		{"no project_id", pathPreorder, withField(preorderData("h3", "1.00"), "hosting_data", `{"project_title":"t"}`), "10000000", "hosting_data.project_id不能为空"},
		{"trans_type without request_type", pathPreorder, withField(preorderData("h4", "1.00"), "hosting_data", `{"project_title":"t","project_id":"p"}`), "10000000", "hosting_data.request_type不能为空"},
		{"unknown trans_type", pathPreorder, withField(preorderData("h5", "1.00"), "trans_type", "A_NATIVE,X_PAY"), "10000000", "trans_type的传入枚举[X_PAY]不存在"},
		{"pre_order_type enum", pathPreorder, withField(preorderData("h6", "1.00"), "pre_order_type", "9"), "10000000", "pre_order_type的传入枚举[9]不存在"},
		{"mini program without miniapp_data", pathPreorder, withField(preorderData("h7", "1.00"), "pre_order_type", "3"), "10000000", "miniapp_data不能为空"},
		{"time_expire in the past", pathPreorder, withField(preorderData("h8", "1.00"), "time_expire", "20251231235959"), "10000000", "time_expire必须大于当前时间"},
		{"time_expire format", pathPreorder, withField(preorderData("h9", "1.00"), "time_expire", "2026-01-01"), "10000000", "time_expire不符合yyyyMMddHHmmss格式"},
		{"goods_desc too long", pathPreorder, withField(preorderData("h10", "1.00"), "goods_desc", string(bytes.Repeat([]byte("a"), 41))), "10000000", "goods_desc最大长度为40位"},
		{"query without locator", pathQueryOrderInfo, map[string]any{"huifu_id": huifutest.HuifuID}, "21000000", "原交易请求流水号、预下单订单号、用户账单商户订单号不能同时为空"},
		{"query without org_req_date", pathQueryOrderInfo, map[string]any{"huifu_id": huifutest.HuifuID, "org_req_seq_id": "x"}, "10000000", "org_req_date不能为空"},
		{"refund query without org_req_date", pathQueryRefundInfo, withoutField(refundQueryData("x"), "org_req_date"), "10000000", "org_req_date不能为空"},
		{"close without org_req_seq_id", pathHostingClose, withoutField(hostedCloseData("h11", "x"), "org_req_seq_id"), "10000000", "org_req_seq_id不能为空"},
		{"splitpay without org_req_seq_id", pathSplitpayQuery, withoutField(hostedQueryData("x"), "org_req_seq_id"), "10000000", "org_req_seq_id不能为空"},
		{"htRefund without ord_amt", pathHtRefund, withoutField(refundData("h12", "x", "1.00"), "ord_amt"), "10000000", "ord_amt不能为空"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			r := e.post(t, tt.path, tt.data)
			assert.Equal(t, http.StatusOK, r.Status)
			assert.Equal(t, tt.code, r.Code())
			assert.Equal(t, tt.desc, r.Data["resp_desc"])
			assert.NotEmpty(t, r.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, before, e.snapshot(t), "a refusal changes nothing")
		})
	}
}
