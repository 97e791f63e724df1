package huishouqian_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What the README promises about result fields: empty ones are left out, but
// finishedDate, which query, refund, refund query and barcode answers always carry ("" while
// undecided); a QR create answer and a 200004 miss carry none.
func TestREADMEFinishedDate(t *testing.T) {
	e := newEnv(t)
	created := e.post(t, mainSwept, mainSweptBiz(id("MS"), "100", "DYNAMIC_WECHAT"))
	require.True(t, created.Success)
	assert.NotContains(t, created.Result, "finishedDate", "QR create answer")
	assert.NotContains(t, created.ResultText, `""`, "no other empty field either")

	miss := e.post(t, query, queryBiz(id("NONE")))
	require.Equal(t, "200004", miss.RespCode())
	assert.NotContains(t, miss.Result, "finishedDate", "200004 miss")

	barcode := e.post(t, beSwept, barcodeBiz(id("BS"), "100", "WECHAT_MICROPAY", "134567890123456789"))
	assert.Regexp(t, `^\d{14}$`, barcode.Result["finishedDate"], "barcode answer")

	pay := e.seedPaid(t, id("PAY"), 100)
	rf := e.post(t, refund, refundBiz(id("RF"), pay.ID, "10"))
	require.Equal(t, "PROCESSING", rf.OrderStatus())
	assert.Contains(t, rf.ResultText, `"finishedDate":""`, "an undecided refund carries it empty")
}

// The default scenario's paid query: fundBankCode only where the wallet reports one
// (WeChat, UnionPay); Alipay answers have fundChannel and no fundBankCode.
func TestREADMEFundBankCode(t *testing.T) {
	e := newEnv(t)
	for payType, hasBank := range map[string]bool{"DYNAMIC_ALPAY": false, "ALI_JSAPI": false, "DYNAMIC_WECHAT": true, "DYNAMIC_UNION": true} {
		transNo := id("FB")
		require.True(t, e.post(t, mainSwept, mainSweptBiz(transNo, "100", payType)).Success)
		paid := e.post(t, query, queryBiz(transNo))
		require.Equal(t, "SUCCESS", paid.OrderStatus(), payType)
		assert.NotEmpty(t, paid.Result["fundChannel"], payType)
		if hasBank {
			assert.NotEmpty(t, paid.Result["fundBankCode"], payType)
		} else {
			assert.NotContains(t, paid.Result, "fundBankCode", payType)
		}
	}
}

// The errors table's refund rows: an origOrderAmt other than the original's amount, and a
// refund naming its original by a field Huishouqian does not have (origOrderNo, Umpay's
// name) instead of origTransNo.
func TestREADMERefundParamErrors(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	b := refundBiz(id("RF"), pay.ID, "10")
	b["origOrderAmt"] = "99"
	r := e.post(t, refund, b)
	assert.Equal(t, "PARAM_ERROR", r.ErrorCode)
	assert.Equal(t, "参数错误:origOrderAmt", r.ErrorMsg)

	b = refundBiz(id("RF"), "", "10")
	delete(b, "origTransNo")
	b["origOrderNo"] = pay.ID
	r = e.post(t, refund, b)
	assert.Equal(t, "PARAM_ERROR", r.ErrorCode)
	assert.Equal(t, "参数错误:origTransNo", r.ErrorMsg)
}
