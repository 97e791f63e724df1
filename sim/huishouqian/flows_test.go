package huishouqian_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

var tradeNoShape = regexp.MustCompile(`^120000\d{26}$`)

func TestMainSweptPaidOnFirstQuery(t *testing.T) {
	e := newEnv(t)
	transNo := id("MS")
	created := e.post(t, mainSwept, mainSweptBiz(transNo, "1230", "WECHAT_JSAPI"))
	require.True(t, created.Success)
	assert.Equal(t, "PROCESSING", created.OrderStatus(), "HQ-A2: a new order answers PROCESSING")
	assert.Equal(t, "100201", created.RespCode())
	assert.Equal(t, "交易处理中,请稍后查询", created.Result["respMsg"])
	assert.Equal(t, "1230", created.Result["orderAmt"])
	assert.Equal(t, transNo, created.Result["transNo"])
	assert.Equal(t, huishouqiantest.MerchantNo, created.Result["merchantNo"])
	assert.Regexp(t, tradeNoShape, created.Result["tradeNo"])
	assert.Len(t, created.Result["tradeNo"], 32)
	assert.Equal(t, "自定义参数", created.Result["extend"])
	assert.NotContains(t, created.Result, "payOrderNo", "not paid yet")
	assert.NotContains(t, created.Result, "finishedDate", "not a main-swept answer field")
	assert.Equal(t, "pay-qrcode-paid-on-first-query", created.Header.Get("X-Paysim-Scenario"))
	assert.Contains(t, created.ResultText, `"extend":"自定义参数"`, "result is raw UTF-8, not \\u escapes")

	paid := e.post(t, query, queryBiz(transNo))
	assert.True(t, paid.Success)
	assert.Equal(t, "SUCCESS", paid.OrderStatus())
	assert.Equal(t, "200007", paid.RespCode())
	assert.Equal(t, "查询成功", paid.Result["respMsg"])
	assert.Equal(t, "20260101100000", paid.Result["finishedDate"])
	assert.Equal(t, created.Result["tradeNo"], paid.Result["tradeNo"])
	assert.Regexp(t, `^42000\d{23}$`, paid.Result["payOrderNo"], "a WeChat transaction number")
	assert.Equal(t, "WECHAT_JSAPI", paid.Result["payType"])
	assert.Equal(t, "测试商品", paid.Result["goodsInfo"])
	assert.Equal(t, requestDate, paid.Result["requestDate"])
	assert.Regexp(t, `^.\*\*$`, paid.Result["buyerName"])
	assert.NotEmpty(t, paid.Result["channelOrderNo"])
	assert.NotEmpty(t, paid.Result["fundChannel"])
	assert.Equal(t, "自定义参数", paid.Result["extend"])
	assert.NotContains(t, paid.Result, "qrCode")
}

func TestMainSweptQRCodes(t *testing.T) {
	tests := []struct {
		payType string
		check   func(t *testing.T, qr string)
	}{
		{"WECHAT_JSAPI", wechatParams},
		{"WECHAT_APPLET", wechatParams},
		{"ALI_JSAPI", func(t *testing.T, qr string) {
			var p map[string]string
			require.NoError(t, json.Unmarshal([]byte(qr), &p), "qrCode is a JSON string")
			assert.Regexp(t, `^\d{8}22001\d{15}$`, p["tradeNO"])
		}},
		{"DYNAMIC_WECHAT", func(t *testing.T, qr string) { assert.Regexp(t, `^weixin://wxpay/bizpayurl\?pr=`, qr) }},
		{"DYNAMIC_ALPAY", func(t *testing.T, qr string) { assert.Regexp(t, `^https://qr\.alipay\.com/`, qr) }},
		{"DYNAMIC_UNION", func(t *testing.T, qr string) { assert.Regexp(t, `^https://qr\.95516\.com/`, qr) }},
		{"DYNAMIC_ALL", func(t *testing.T, qr string) { assert.Regexp(t, `^https://paysim\.invalid/huishouqian/qr/120000`, qr) }},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.payType, func(t *testing.T) {
			resp := e.post(t, mainSwept, mainSweptBiz(id("MS"), "100", tt.payType))
			require.True(t, resp.Success, resp.ErrorMsg)
			tt.check(t, resp.Result["qrCode"])
		})
	}
}

func wechatParams(t *testing.T, qr string) {
	var p map[string]string
	require.NoError(t, json.Unmarshal([]byte(qr), &p), "qrCode is a JSON string")
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"} {
		assert.NotEmpty(t, p[k], k)
	}
	assert.Regexp(t, `^prepay_id=wx`, p["package"])
}

func TestBarcodePaysAtOnce(t *testing.T) {
	for _, tt := range []struct{ payType, payCode, payOrderNo string }{
		{"WECHAT_MICROPAY", "134567890123456789", `^42000\d{23}$`},
		{"ALI_BARCODEPAY", "284567890123456789", `^\d{8}22001\d{15}$`},
	} {
		t.Run(tt.payType, func(t *testing.T) {
			e := newEnv(t)
			resp := e.post(t, beSwept, barcodeBiz(id("BS"), "50", tt.payType, tt.payCode))
			assert.Equal(t, "SUCCESS", resp.OrderStatus(), "a barcode payment with no trigger succeeds at once")
			assert.Equal(t, "200007", resp.RespCode(), "HQ-A2: a final item reads 200007")
			assert.Equal(t, "20260101100000", resp.Result["finishedDate"])
			assert.Regexp(t, tt.payOrderNo, resp.Result["payOrderNo"])
			assert.NotEmpty(t, resp.Result["fundChannel"])
			assert.Equal(t, "50", resp.Result["orderAmt"])
			assert.NotContains(t, resp.Result, "qrCode")
			assert.Equal(t, "builtin:immediate-success", resp.Header.Get("X-Paysim-Scenario"))
		})
	}
}

func TestPayUnknownResultResolvedByQuery(t *testing.T) {
	e := newEnv(t)
	transNo := id("BS")
	resp := e.post(t, beSwept, barcodeBiz(transNo, "101", "WECHAT_MICROPAY", "134567890123456789"))
	assert.Equal(t, "PROCESSING", resp.OrderStatus(), "unknown reads PROCESSING (HQ-A9)")
	assert.Equal(t, "100201", resp.RespCode())
	assert.Equal(t, "", resp.Result["finishedDate"], "finishedDate is empty while undecided, as in the vendor example")
	assert.Contains(t, resp.ResultText, `"finishedDate":""`)
	assert.NotContains(t, resp.Result, "payOrderNo")
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))

	first := e.post(t, query, queryBiz(transNo))
	assert.Equal(t, "PROCESSING", first.OrderStatus(), "1st query")
	assert.Equal(t, "100201", first.RespCode())
	second := e.post(t, query, queryBiz(transNo))
	assert.Equal(t, "SUCCESS", second.OrderStatus(), "2nd query")
	assert.Equal(t, "200007", second.RespCode())
	assert.Equal(t, "101", second.Result["orderAmt"])
}

func TestRefundProcessingThenSuccess(t *testing.T) {
	t.Run("on the 2nd refund query", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("PAY"), 100)
		rf := id("RF")
		resp := e.post(t, refund, refundBiz(rf, pay.ID, "40"))
		assert.Equal(t, "PROCESSING", resp.OrderStatus())
		assert.Equal(t, "100201", resp.RespCode())
		assert.Equal(t, "40", resp.Result["orderAmt"])
		assert.Equal(t, rf, resp.Result["transNo"])
		assert.Equal(t, pay.ID, resp.Result["origTransNo"])
		assert.Regexp(t, tradeNoShape, resp.Result["tradeNo"])
		assert.NotEqual(t, pay.ProviderID, resp.Result["tradeNo"], "the refund has its own tradeNo")
		assert.Equal(t, "", resp.Result["finishedDate"])
		assert.Equal(t, "退款/附加", resp.Result["extend"], "echoed raw, slash included")
		assert.Equal(t, "refund-processing-then-success", resp.Header.Get("X-Paysim-Scenario"))

		q1 := e.post(t, refundQuery, refundQueryBiz(rf))
		assert.Equal(t, "PROCESSING", q1.OrderStatus())
		assert.Equal(t, "100201", q1.RespCode())
		q2 := e.post(t, refundQuery, refundQueryBiz(rf))
		assert.Equal(t, "SUCCESS", q2.OrderStatus())
		assert.Equal(t, "200007", q2.RespCode())
		assert.Equal(t, "20260101100000", q2.Result["finishedDate"])
		assert.Equal(t, resp.Result["tradeNo"], q2.Result["tradeNo"])
		assert.Equal(t, "退款/附加", q2.Result["extend"])

		order := e.post(t, query, queryBiz(pay.ID))
		assert.Equal(t, "SUCCESS", order.OrderStatus(), "an order stays SUCCESS after refunds (HQ-A9)")
		assert.Equal(t, "100", order.Result["orderAmt"])
	})
	t.Run("30 s after acceptance", func(t *testing.T) {
		e := newEnv(t)
		pay := e.seedPaid(t, id("PAY"), 100)
		rf := id("RF")
		require.Equal(t, "PROCESSING", e.post(t, refund, refundBiz(rf, pay.ID, "40")).OrderStatus())
		_, err := e.clock.Advance(29*time.Second + 999*time.Millisecond)
		require.NoError(t, err)
		assert.Equal(t, sim.Amount(40), e.payment(t, pay.ID).Pending)
		_, err = e.clock.Advance(time.Millisecond)
		require.NoError(t, err)
		q := e.post(t, refundQuery, refundQueryBiz(rf))
		assert.Equal(t, "SUCCESS", q.OrderStatus(), "first query after the deadline")
		assert.Equal(t, "20260101100030", q.Result["finishedDate"], "finished at the deadline, not at the read")
	})
}

func TestRefundOverBalance(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	require.True(t, e.post(t, refund, refundBiz(id("RF"), pay.ID, "60")).Success)
	before := e.snapshot(t)
	over := e.post(t, refund, refundBiz(id("RF"), pay.ID, "41"))
	assert.False(t, over.Success)
	assert.Equal(t, "REFUND_AMOUNT_EXCEED", over.ErrorCode)
	assert.Equal(t, "退款金额超过可退金额", over.ErrorMsg)
	assert.Contains(t, over.Header.Get("X-Paysim-Diagnostic"), "refundable balance 0.40")
	assert.Equal(t, before, e.snapshot(t), "a refused refund is not persisted")
	assert.True(t, e.post(t, refund, refundBiz(id("RF"), pay.ID, 40)).Success, "the exact balance is fine")
	assert.Equal(t, sim.Amount(0), e.payment(t, pay.ID).Refundable())
}

func TestRefundInsufficientBalanceScenario(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 10000)
	before := e.snapshot(t)
	resp := e.post(t, refund, refundBiz(id("RF"), pay.ID, "3"))
	assert.False(t, resp.Success, "3 fen is refused whatever the balance")
	assert.Equal(t, "REFUND_AMOUNT_EXCEED", resp.ErrorCode)
	assert.Equal(t, "refund-insufficient-balance", resp.Header.Get("X-Paysim-Scenario"))
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), `refused by scenario "refund-insufficient-balance"`)
	assert.Equal(t, before, e.snapshot(t))
}

func TestRefundRefusals(t *testing.T) {
	e := newEnv(t)
	unpaid := id("MS")
	require.True(t, e.post(t, mainSwept, mainSweptBiz(unpaid, "100", "DYNAMIC_ALL")).Success)
	paid := e.seedPaid(t, id("PAY"), 100)
	withOrig := func(amount any) map[string]any {
		b := refundBiz(id("RF"), paid.ID, "10")
		b["origOrderAmt"] = amount
		return b
	}
	tests := []struct {
		name      string
		biz       map[string]any
		code, msg string
		diag      string
	}{
		{"unpaid order", refundBiz(id("RF"), unpaid, "10"), "ORDER_STATUS_ERROR", "订单状态不允许该操作", "only a paid payment can be refunded"},
		{"unknown original", refundBiz(id("RF"), "NO-SUCH-ORDER", "10"), "ORDER_NOT_EXIST", "原订单不存在", `"NO-SUCH-ORDER"`},
		{"origOrderAmt differs", withOrig("99"), "PARAM_ERROR", "参数错误:origOrderAmt", "origOrderAmt 99 fen does not equal the amount of order"},
		{"origOrderAmt of an unknown original", func() map[string]any {
			b := refundBiz(id("RF"), "NO-SUCH-ORDER", "10")
			b["origOrderAmt"] = "10"
			return b
		}(), "ORDER_NOT_EXIST", "原订单不存在", "NO-SUCH-ORDER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.snapshot(t)
			resp := e.post(t, refund, tt.biz)
			assert.False(t, resp.Success)
			assert.Equal(t, tt.code, resp.ErrorCode)
			assert.Equal(t, tt.msg, resp.ErrorMsg)
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), tt.diag)
			assert.Equal(t, before, e.snapshot(t))
		})
	}
	ok := e.post(t, refund, withOrig(100))
	assert.True(t, ok.Success, "origOrderAmt equal to the original (as a JSON integer) is fine")

	miss := e.post(t, refundQuery, refundQueryBiz("NO-SUCH-REFUND"))
	assert.True(t, miss.Success, "a query miss is success:true with respCode 200004 (HQ-A2)")
	assert.Equal(t, "200004", miss.RespCode())
	assert.Equal(t, "订单不存在", miss.Result["respMsg"])
	assert.Equal(t, "NO-SUCH-REFUND", miss.Result["transNo"])
	assert.Contains(t, miss.Header.Get("X-Paysim-Diagnostic"), "no refund of merchant 864000000001")

	orderMiss := e.post(t, query, queryBiz("NO-SUCH-ORDER"))
	assert.True(t, orderMiss.Success)
	assert.Equal(t, "200004", orderMiss.RespCode())
}

func TestIdempotency(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	rf := id("RF")
	first := e.post(t, refund, refundBiz(rf, pay.ID, "10"))
	require.True(t, first.Success)
	retry := e.post(t, refund, refundBiz(rf, pay.ID, "10"))
	assert.Equal(t, string(first.Body), string(retry.Body), "an identical refund replays the stored result (HQ-A4)")
	assert.Equal(t, "refund-processing-then-success", retry.Header.Get("X-Paysim-Scenario"))

	// The C# client sends amounts as JSON integers: the same refund.
	asInteger := refundBiz(rf, pay.ID, 10)
	asInteger["refundType"] = 2
	assert.Equal(t, string(first.Body), string(e.post(t, refund, asInteger).Body))

	changed := e.post(t, refund, refundBiz(rf, pay.ID, "20"))
	assert.Equal(t, "TRANS_NO_REPEAT", changed.ErrorCode)
	assert.Equal(t, "商户订单号重复", changed.ErrorMsg)
	assert.Equal(t, sim.Amount(10), e.payment(t, pay.ID).Pending, "booked once")

	ms := id("MS")
	require.True(t, e.post(t, mainSwept, mainSweptBiz(ms, "100", "WECHAT_JSAPI")).Success)
	before := e.snapshot(t)
	for _, biz := range []map[string]any{mainSweptBiz(ms, "100", "WECHAT_JSAPI"), mainSweptBiz(ms, "200", "WECHAT_JSAPI")} {
		again := e.post(t, mainSwept, biz)
		assert.Equal(t, "TRANS_NO_REPEAT", again.ErrorCode, "a pay transNo is never reused (HQ-A4)")
		assert.Contains(t, again.Header.Get("X-Paysim-Diagnostic"), "already")
	}
	assert.Equal(t, "TRANS_NO_REPEAT", e.post(t, beSwept, barcodeBiz(ms, "100", "WECHAT_MICROPAY", "134567890123456789")).ErrorCode)
	assert.Equal(t, before, e.snapshot(t))
}

func TestUnpaidOrderExpires(t *testing.T) {
	t.Run("after 15 minutes", func(t *testing.T) {
		e := newEnv(t)
		transNo := id("MS")
		require.True(t, e.post(t, mainSwept, mainSweptBiz(transNo, "100", "DYNAMIC_ALL")).Success)
		_, err := e.clock.Advance(15*time.Minute - time.Second)
		require.NoError(t, err)
		assert.Equal(t, sim.StatusProcessing, e.payment(t, transNo).Status)
		_, err = e.clock.Advance(time.Second)
		require.NoError(t, err)
		q := e.post(t, query, queryBiz(transNo))
		assert.Equal(t, "FAIL", q.OrderStatus(), "HQ-A4: an unpaid order expires to FAIL")
		assert.Equal(t, "200007", q.RespCode())
		assert.Equal(t, "20260101101500", q.Result["finishedDate"])
		assert.Equal(t, sim.ClosureExpired, e.payment(t, transNo).Closure)
		r := e.post(t, refund, refundBiz(id("RF"), transNo, "10"))
		assert.Equal(t, "ORDER_STATUS_ERROR", r.ErrorCode)
	})
	t.Run("at memo.timeExpire", func(t *testing.T) {
		e := newEnv(t)
		transNo := id("MS")
		biz := mainSweptBiz(transNo, "100", "WECHAT_JSAPI")
		biz["memo"] = `{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","timeExpire":"20260101100500"}`
		require.True(t, e.post(t, mainSwept, biz).Success)
		_, err := e.clock.Advance(5 * time.Minute)
		require.NoError(t, err)
		q := e.post(t, query, queryBiz(transNo))
		assert.Equal(t, "FAIL", q.OrderStatus())
		assert.Equal(t, "20260101100500", q.Result["finishedDate"])
		assert.Equal(t, biz["memo"], q.Result["memo"], "memo is echoed in queries")
	})
	t.Run("memo as an object", func(t *testing.T) {
		e := newEnv(t)
		transNo := id("MS")
		biz := mainSweptBiz(transNo, "100", "WECHAT_JSAPI")
		biz["memo"] = map[string]any{"timeExpire": "20260101100100"}
		require.True(t, e.post(t, mainSwept, biz).Success)
		assert.Equal(t, sim.DefaultVirtualStart.Add(time.Minute), e.payment(t, transNo).ExpiresAt)
	})
}

func TestScenarioHeaderAndArming(t *testing.T) {
	e := newEnv(t)
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	transNo := id("BS")
	resp := e.post(t, beSwept, barcodeBiz(transNo, "50", "ALI_BARCODEPAY", "284567890123456789"))
	assert.Equal(t, "PROCESSING", resp.OrderStatus(), "the header applies whatever the amount")
	assert.Equal(t, "pay-unknown-result", resp.Header.Get("X-Paysim-Scenario"))

	// The same header on a refund names a payment scenario: refused like a typo.
	pay := e.seedPaid(t, id("PAY"), 100)
	wrong := e.post(t, refund, refundBiz(id("RF"), pay.ID, "10"))
	assert.Equal(t, "PARAM_ERROR", wrong.ErrorCode)
	assert.Contains(t, wrong.Header.Get("X-Paysim-Diagnostic"), "a payment scenario, but this request creates a refund")

	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	before := e.snapshot(t)
	bad := e.post(t, beSwept, barcodeBiz(id("BS"), "50", "ALI_BARCODEPAY", "284567890123456789"))
	assert.Equal(t, "PARAM_ERROR", bad.ErrorCode)
	assert.Contains(t, bad.Header.Get("X-Paysim-Diagnostic"), `no loaded scenario "no-such-scenario"`)
	assert.Equal(t, before, e.snapshot(t))
	e.client.Header.Del("X-Paysim-Scenario")

	_, err := e.core.Arm("refund-insufficient-balance", "huishouqian", 1, 0)
	require.NoError(t, err)
	assert.Equal(t, "REFUND_AMOUNT_EXCEED", e.post(t, refund, refundBiz(id("RF"), pay.ID, "10")).ErrorCode, "armed for the next refund")
	assert.True(t, e.post(t, refund, refundBiz(id("RF"), pay.ID, "10")).Success, "and only that one")
}

// Scenario fields for huishouqian override result fields, and errorCode/errorMsg of a
// scenario that refuses.
func TestScenarioFieldOverrides(t *testing.T) {
	fsys := fstest.MapFS{
		"pay-init.yaml": {Data: []byte(`version: 1
name: pay-init
operation: payment
states:
  - name: created
    status: processing
    fields:
      huishouqian: {orderStatus: INIT, respMsg: 订单已创建}
    until: {queries: 1}
    next: paid
  - name: paid
    status: success
`)},
		"refund-refused.yaml": {Data: []byte(`version: 1
name: refund-refused
operation: refund
reject:
  error: invalid_state
  fields:
    huishouqian: {errorCode: REFUND_NOT_ALLOWED, errorMsg: 该订单不支持退款}
`)},
	}
	set, err := sim.LoadScenarios(fsys, ".", simtest.Providers)
	require.NoError(t, err)
	e := newEnv(t, sim.WithScenarios(set, nil))
	e.client.Header.Set("X-Paysim-Scenario", "pay-init")
	transNo := id("MS")
	created := e.post(t, mainSwept, mainSweptBiz(transNo, "100", "DYNAMIC_ALL"))
	assert.Equal(t, "INIT", created.OrderStatus())
	assert.Equal(t, "订单已创建", created.Result["respMsg"])
	assert.Equal(t, "SUCCESS", e.post(t, query, queryBiz(transNo)).OrderStatus())

	e.client.Header.Set("X-Paysim-Scenario", "refund-refused")
	refused := e.post(t, refund, refundBiz(id("RF"), transNo, "10"))
	assert.Equal(t, "REFUND_NOT_ALLOWED", refused.ErrorCode)
	assert.Equal(t, "该订单不支持退款", refused.ErrorMsg)
	assert.Equal(t, "refund-refused", refused.Header.Get("X-Paysim-Scenario"))
}

// The Node client percent-encodes a signContent containing & before signing (candidate 3).
func TestSignContentPercentEncodedBeforeSigning(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	content := `{"transNo":"` + pay.ID + `","extend":"a&b"}`
	f := huishouqiantest.Form{Method: query, Version: "1.0", Format: "JSON", MerchantNo: huishouqiantest.MerchantNo, SignType: "RSA2",
		SignContent: url.QueryEscape(content)} // no spaces or ~!*'(): the same bytes as encodeURIComponent
	signed, err := e.client.SignForm(f)
	require.NoError(t, err)
	signed.SignContent = content
	resp, err := e.client.PostForm(signed)
	require.NoError(t, err)
	assert.True(t, resp.Success, resp.Header.Get("X-Paysim-Diagnostic"))
	assert.Equal(t, "SUCCESS", resp.OrderStatus())
}

// The C# client leaves empty pairs out of the string to sign (candidate 2): its request
// passes verification and is then refused for the empty field itself.
func TestEmptyPairsOmittedFromSignedText(t *testing.T) {
	e := newEnv(t)
	content, err := huishouqiantest.SignContent(queryBiz("X"))
	require.NoError(t, err)
	f := huishouqiantest.Form{Method: query, Version: "", Format: "JSON", MerchantNo: huishouqiantest.MerchantNo, SignType: "RSA2", SignContent: content}
	text := "method=" + query + "&format=JSON&merchantNo=" + huishouqiantest.MerchantNo + "&signType=RSA2&signContent=" + content + "&key=" + e.client.SignKey
	f.Sign = e.client.SignText(text)
	resp, err := e.client.PostForm(f)
	require.NoError(t, err)
	assert.Equal(t, "PARAM_ERROR", resp.ErrorCode, "verified, then refused")
	assert.Equal(t, "参数错误:version", resp.ErrorMsg)
}

func TestMultipartFormAccepted(t *testing.T) {
	e := newEnv(t)
	pay := e.seedPaid(t, id("PAY"), 100)
	content, err := huishouqiantest.SignContent(queryBiz(pay.ID))
	require.NoError(t, err)
	f, err := e.client.NewForm(query, content)
	require.NoError(t, err)
	body, contentType := multipartBody(t, f)
	resp, err := e.client.Do("POST", huishouqiantest.Path, contentType, body)
	require.NoError(t, err)
	assert.Equal(t, "SUCCESS", resp.OrderStatus())
}

func TestSuccessAsString(t *testing.T) {
	e := newEnv(t)
	e.provider.SetSuccessAsString(true)
	pay := e.seedPaid(t, id("PAY"), 100)
	for _, biz := range []map[string]any{queryBiz(pay.ID), refundBiz(id("RF"), "NO-SUCH", "1")} {
		content, err := huishouqiantest.SignContent(biz)
		require.NoError(t, err)
		method := query
		if _, ok := biz["origTransNo"]; ok {
			method = refund
		}
		f, err := e.client.NewForm(method, content)
		require.NoError(t, err)
		raw := postRaw(t, e, f.Encode())
		_, err = huishouqiantest.Verify(e.client.Platform(), e.client.SignKey, raw)
		assert.Error(t, err, "the PHP client needs a boolean")
		resp, err := huishouqiantest.VerifyStringSuccess(e.client.Platform(), e.client.SignKey, raw)
		require.NoError(t, err, "HQ-A1: the C# client verifies string success")
		assert.Equal(t, method == query, resp.Success)
	}
}

func TestVerifyModes(t *testing.T) {
	var v vector
	for _, x := range loadVectors(t, "tampered") {
		if vectorMethod(x) == query {
			v = x
		}
	}
	require.NotEmpty(t, v.Body)
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			resp := e.replay(t, v)
			assert.True(t, resp.Success, "served despite the bad signature")
			assert.Equal(t, "200004", resp.RespCode(), "the tampered transNo names no order")
		})
	}
	t.Run("off serves an unknown merchant, signed with the test secret", func(t *testing.T) {
		e := newEnvVerify(t, gateway.VerifyOff)
		e.client.MerchantNo = "864000009999"
		resp := e.post(t, query, queryBiz("X"))
		assert.Equal(t, "200004", resp.RespCode())
	})
}

// An order seeded through the control plane is a paid order the gateway can query and refund.
func TestControlPlaneSeed(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Post(e.srv.URL+"/__paysim/orders", "application/json",
		strings.NewReader(`{"provider":"huishouqian","merchant":"864000000001","id":"SEEDED-1","amount":"1.00","fields":{"payType":"ALI_BARCODEPAY"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	q := e.post(t, query, queryBiz("SEEDED-1"))
	assert.Equal(t, "SUCCESS", q.OrderStatus())
	assert.Equal(t, "100", q.Result["orderAmt"])
	assert.Equal(t, "ALI_BARCODEPAY", q.Result["payType"])
	assert.Regexp(t, tradeNoShape, q.Result["tradeNo"])
	assert.Regexp(t, `^\d{8}22001\d{15}$`, q.Result["payOrderNo"])
	assert.Equal(t, sim.FlowBarcode, e.payment(t, "SEEDED-1").Flow)
	assert.True(t, e.post(t, refund, refundBiz(id("RF"), "SEEDED-1", "100")).Success)
}
