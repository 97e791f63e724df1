package huifu_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

const (
	pathConfirm            = "/v2/trade/payment/delaytrans/confirm"
	pathConfirmQuery       = "/v2/trade/payment/delaytrans/confirmquery"
	pathConfirmQueryV3     = "/v3/trade/payment/delaytrans/confirmquery"
	pathConfirmRefund      = "/v2/trade/payment/delaytrans/confirmrefund"
	pathConfirmRefundQuery = "/v2/trade/payment/delaytrans/confirmrefundquery"
)

// split is an acct_split_bunch as the SDKs send it: a JSON object in a string.
func split(amounts ...string) string {
	var infos []map[string]string
	for i, a := range amounts {
		infos = append(infos, map[string]string{"huifu_id": fmt.Sprintf("666600010000%04d", 10+i), "div_amt": a})
	}
	b, _ := json.Marshal(map[string]any{"acct_infos": infos})
	return string(b)
}

func confirmData(reqSeq, orgSeq, bunch string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"org_req_date": today, "org_req_seq_id": orgSeq, "acct_split_bunch": bunch}
}

func confirmQueryData(confirmSeq string) map[string]any {
	return map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "org_req_seq_id": confirmSeq}
}

func confirmRefundData(reqSeq, confirmSeq, bunch string) map[string]any {
	d := map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"org_req_date": today, "org_req_seq_id": confirmSeq}
	if bunch != "" {
		d["acct_split_bunch"] = bunch
	}
	return d
}

// delayedPaid makes a delayed QR order of amount through jspay and lets the payer pay it
// (the default QR scenario pays on the first query).
func (e *env) delayedPaid(t *testing.T, seq, amount string) {
	t.Helper()
	data := jspayData(seq, amount, "A_NATIVE")
	data["delay_acct_flag"] = "Y"
	require.Equal(t, "00000100", e.post(t, pathJspay, data).Code())
	q := e.post(t, pathQuery, queryData(seq))
	require.Equal(t, "S", q.Data["trans_stat"])
	require.Equal(t, "Y", q.Data["delay_acct_flag"])
	require.Equal(t, amount, q.Data["unconfirm_amt"])
}

// The flow: delayed pay, partial confirm, a refund over the unconfirmed amount
// refused with 23000003, a refund within it, and a confirm refund; with the confirm's
// notification signed and verified.
func TestDelayedPayConfirmRefundFlow(t *testing.T) {
	e := newEnv(t)
	rcv := newMerchantReceiver(t)
	pay := id("dpay")
	e.delayedPaid(t, pay, "10.00")

	cf := id("cf")
	data := confirmData(cf, pay, split("3.00", "1.00"))
	data["notify_url"] = rcv.URL
	created := e.post(t, pathConfirm, data)
	require.Equal(t, "00000000", created.Code(), created.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "P", created.Data["trans_stat"])
	assert.Equal(t, "6.00", created.Data["unconfirm_amt"], "a pending confirm already holds its amount")
	assert.Equal(t, "0.00", created.Data["confirmed_amt"])
	assert.Equal(t, pay, created.Data["org_req_seq_id"])
	assert.Regexp(t, hfSeqShape, created.Data["hf_seq_id"])
	assert.Equal(t, "confirm-processing-then-success", created.Header.Get("X-Paysim-Scenario"))
	retry := e.post(t, pathConfirm, data)
	assert.Equal(t, string(created.Body), string(retry.Body), "an identical retry gets the same bytes")
	assert.Equal(t, "20000000", e.post(t, pathConfirm, confirmData(cf, pay, split("3.00"))).Code(), "same req_seq_id, other content")

	q1 := e.post(t, pathConfirmQuery, confirmQueryData(cf))
	assert.Equal(t, "00000000", q1.Code())
	assert.Equal(t, "P", q1.Data["trans_stat"])
	q2 := e.post(t, pathConfirmQueryV3, confirmQueryData(cf))
	assert.Equal(t, "S", q2.Data["trans_stat"], "v3 confirmquery is the same query")
	assert.Equal(t, "4.00", q2.Data["confirmed_amt"])
	assert.Equal(t, "6.00", q2.Data["unconfirm_amt"])
	assert.Equal(t, created.Data["hf_seq_id"], q2.Data["hf_seq_id"])
	assert.JSONEq(t, split("3.00", "1.00"), q2.Data["acct_split_bunch"])

	e.waitNotified(t, cf, sim.NotifyAcked)
	got, problems := rcv.received()
	require.Empty(t, problems, "the confirm notification verifies")
	require.Len(t, got, 1)
	assert.Equal(t, "S", got[0]["trans_stat"])
	assert.Equal(t, cf, got[0]["req_seq_id"])
	var details []map[string]string
	require.NoError(t, json.Unmarshal([]byte(got[0]["pay_confirm_details"].(string)), &details))
	require.Len(t, details, 2)
	assert.Equal(t, "3.00", details[0]["div_amt"])

	over := e.post(t, pathRefund, refundData(id("rf"), pay, "6.01"))
	assert.Equal(t, "23000003", over.Code())
	assert.Equal(t, "退款金额大于待确认金额", over.Data["resp_desc"])
	assert.Equal(t, "6.00", over.Data["unconfirm_amt"])
	assert.Contains(t, over.Header.Get("X-Paysim-Diagnostic"), "still holds unconfirmed")

	rf := id("rf")
	within := e.post(t, pathRefund, refundData(rf, pay, "2.00"))
	assert.Equal(t, "00000100", within.Code())
	assert.Equal(t, "4.00", within.Data["unconfirm_amt"])
	assert.Equal(t, "FREEZE", within.Data["fund_freeze_stat"])
	e.post(t, pathRefundQuery, refundQueryData(rf))
	rq := e.post(t, pathRefundQuery, refundQueryData(rf))
	assert.Equal(t, "S", rq.Data["trans_stat"])
	assert.Equal(t, "4.00", rq.Data["unconfirm_amt"])

	cr := id("cr")
	back := e.post(t, pathConfirmRefund, confirmRefundData(cr, cf, split("1.00")))
	require.Equal(t, "00000000", back.Code(), back.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "P", back.Data["trans_stat"])
	assert.Equal(t, cf, back.Data["org_req_seq_id"], "a confirm refund names the confirm it takes back from")
	assert.Equal(t, "23000003", e.post(t, pathConfirmRefund, confirmRefundData(id("cr"), cf, split("3.01"))).Code(),
		"the confirm holds 3.00 once 1.00 is being taken back")
	crq := e.post(t, pathConfirmRefundQuery, confirmQueryData(cr))
	assert.Equal(t, "P", crq.Data["trans_stat"])
	crq = e.post(t, pathConfirmRefundQuery, confirmQueryData(cr))
	assert.Equal(t, "S", crq.Data["trans_stat"])
	assert.Equal(t, "1.00", crq.Data["ord_amt"])

	rest := e.post(t, pathConfirmRefund, confirmRefundData(id("cr"), cf, ""))
	require.Equal(t, "00000000", rest.Code(), "without acct_split_bunch the rest of the confirm is taken back")
	v, err := e.core.QueryPayment(huifu.Name, huifutest.HuifuID, sim.ByID(pay), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(400), v.Confirmed)
	assert.Equal(t, sim.Amount(100), v.TakenBack)
	assert.Equal(t, sim.Amount(300), v.TakingBack)
	assert.Equal(t, sim.Amount(400), v.Unconfirmed())
}

func TestConfirmRefusals(t *testing.T) {
	e := newEnv(t)
	plain := e.seedPaid(t, id("pay"), "1.00")
	r := e.post(t, pathConfirm, confirmData(id("cf"), plain.ID, split("0.50")))
	assert.Equal(t, "23000000", r.Code())
	assert.Equal(t, "原交易不是延时交易", r.Data["resp_desc"])

	pay := id("dpay")
	e.delayedPaid(t, pay, "1.00")
	r = e.post(t, pathConfirm, confirmData(id("cf"), pay, split("0.60", "0.41")))
	assert.Equal(t, "23000003", r.Code())
	assert.Equal(t, "确认金额大于待确认金额", r.Data["resp_desc"])
	assert.Equal(t, "1.00", r.Data["unconfirm_amt"])

	cf := id("cf")
	require.Equal(t, "00000000", e.post(t, pathConfirm, confirmData(cf, pay, split("0.40"))).Code())
	r = e.post(t, pathConfirmRefund, confirmRefundData(id("cr"), cf, ""))
	assert.Equal(t, "23000000", r.Code(), "a confirm still processing has moved nothing yet")

	assert.Equal(t, "23000001", e.post(t, pathConfirm, confirmData(id("cf"), "no-such-order", split("0.10"))).Code())
	assert.Equal(t, "23000001", e.post(t, pathConfirmQuery, confirmQueryData("no-such-confirm")).Code())
	miss := e.post(t, pathConfirmRefundQuery, confirmQueryData("no-such-confirm-refund"))
	assert.Equal(t, "23000001", miss.Code())
	assert.Equal(t, "no-such-confirm-refund", miss.Data["org_req_seq_id"], "the original's ids are echoed")

	wrongDay := confirmQueryData(cf)
	wrongDay["org_req_date"] = "20260102"
	r = e.post(t, pathConfirmQuery, wrongDay)
	assert.Equal(t, "23000001", r.Code())
	assert.Contains(t, r.Header.Get("X-Paysim-Diagnostic"), "exists with req_date 20260101")
}

// Confirms and refunds of one delayed payment, sent all at once, never move more than
// was paid: 100 confirms and 100 refunds of 0.01 against 1.00 book exactly 100.
func TestConcurrentConfirmsAndRefundsNeverExceed(t *testing.T) {
	e := newEnv(t)
	pay := id("dpay")
	e.delayedPaid(t, pay, "1.00")
	var mu sync.Mutex
	labels, err := simtest.Race(200, func(i int) string {
		var resp *huifutest.Response
		var err error
		if i%2 == 0 {
			resp, err = e.client.Post(pathConfirm, confirmData(fmt.Sprintf("race-cf-%03d", i), pay, split("0.01")))
		} else {
			resp, err = e.client.Post(pathRefund, refundData(fmt.Sprintf("race-rf-%03d", i), pay, "0.01"))
		}
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			return "error: " + err.Error()
		case resp.Code() == "00000000" || resp.Code() == "00000100":
			return "accepted"
		case resp.Code() == "23000003":
			return "refused"
		}
		return "code " + resp.Code()
	}, func() error {
		v, err := e.core.QueryPayment(huifu.Name, huifutest.HuifuID, sim.ByID(pay), false)
		if err != nil {
			return err
		}
		if held := v.Refunded + v.Pending + v.Confirmed + v.ConfirmPending; held > v.Amount {
			return fmt.Errorf("refunds and confirms hold %s of a payment of %s", held, v.Amount)
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"accepted": 100, "refused": 100}, labels)
	v, err := e.core.QueryPayment(huifu.Name, huifutest.HuifuID, sim.ByID(pay), false)
	require.NoError(t, err)
	assert.Equal(t, sim.Amount(0), v.Unconfirmed())

	// Confirm refunds racing for one confirm take back no more than it moved.
	cf := id("cf")
	pay2 := id("dpay")
	e.delayedPaid(t, pay2, "0.50")
	require.Equal(t, "00000000", e.post(t, pathConfirm, confirmData(cf, pay2, split("0.50"))).Code())
	_, err = e.clock.Advance(30 * time.Second)
	require.NoError(t, err)
	var accepted sync.WaitGroup
	codes := make([]string, 80)
	for i := range codes {
		accepted.Add(1)
		go func() {
			defer accepted.Done()
			resp, err := e.client.Post(pathConfirmRefund, confirmRefundData(fmt.Sprintf("race-cr-%03d", i), cf, split("0.01")))
			if err != nil {
				codes[i] = err.Error()
				return
			}
			codes[i] = resp.Code()
		}()
	}
	accepted.Wait()
	assert.Equal(t, 50, strings.Count(strings.Join(codes, ","), "00000000"))
	assert.Equal(t, 30, strings.Count(strings.Join(codes, ","), "23000003"))
}

// Bad input to the delayed-transaction endpoints gets Huifu's error shape, explains itself
// and changes nothing.
func TestDelaytransBadInput(t *testing.T) {
	e := newEnv(t)
	pay := id("dpay")
	e.delayedPaid(t, pay, "1.00")
	tests := []struct {
		name, path string
		data       map[string]any
		code, desc string
	}{
		{"no split", pathConfirm, withoutField(confirmData("b1", pay, ""), "acct_split_bunch"), "10000000", "acct_split_bunch不能为空"},
		{"split not JSON", pathConfirm, confirmData("b2", pay, "{acct"), "10000000", "acct_split_bunch格式不正确"},
		{"split without receivers", pathConfirm, confirmData("b3", pay, `{"acct_infos":[]}`), "10000000", "acct_infos不能为空"},
		{"receiver without huifu_id", pathConfirm, confirmData("b4", pay, `{"acct_infos":[{"div_amt":"0.10"}]}`), "10000000", "acct_infos.huifu_id不能为空"},
		{"div_amt not an amount", pathConfirm, confirmData("b5", pay, `{"acct_infos":[{"huifu_id":"6666000100000010","div_amt":"0.1x"}]}`), "10000000", "div_amt不符合金额格式"},
		{"shares not 100", pathConfirm, confirmData("b6", pay, `{"percentage_flag":"Y","total_div_amt":"0.50","acct_infos":[{"huifu_id":"6666000100000010","percentage_div":"60.00"}]}`), "10000000", "分账百分比之和必须为100.00"},
		{"no locator", pathConfirm, withoutField(confirmData("b7", pay, split("0.10")), "org_req_seq_id"), "21000000", confirmLocatorDescText},
		{"no org_req_date", pathConfirm, withoutField(confirmData("b8", pay, split("0.10")), "org_req_date"), "10000000", "org_req_date不能为空"},
		{"pay_type enum", pathConfirm, withField(confirmData("b9", pay, split("0.10")), "pay_type", "CARD"), "10000000", "pay_type的传入枚举[CARD]不存在"},
		{"split not a string", pathConfirm, withField(confirmData("b10", pay, ""), "acct_split_bunch", map[string]any{"acct_infos": []any{}}), "10000000", "acct_split_bunch的类型必须为字符串"},
		{"query without org_req_seq_id", pathConfirmQuery, withoutField(confirmQueryData("x"), "org_req_seq_id"), "10000000", "org_req_seq_id不能为空"},
		{"confirm refund without locator", pathConfirmRefund, withoutField(confirmRefundData("b11", "x", ""), "org_req_seq_id"), "21000000", "原交易请求流水号和原交易全局流水号不能同时为空"},
		{"confirm refund loan_flag", pathConfirmRefund, withField(confirmRefundData("b12", "x", ""), "loan_flag", "X"), "10000000", "loan_flag的传入枚举[X]不存在"},
		{"confirm refund query date", pathConfirmRefundQuery, withField(confirmQueryData("x"), "org_req_date", "2026-01-01"), "10000000", "org_req_date不符合yyyyMMdd格式"},
		{"delay flag enum", pathJspay, withField(jspayData("b13", "1.00", "A_NATIVE"), "delay_acct_flag", "yes"), "10000000", "delay_acct_flag的传入枚举[yes]不存在"},
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

const confirmLocatorDescText = "原交易请求流水号、原交易全局流水号、原交易商户订单号不能同时为空"
