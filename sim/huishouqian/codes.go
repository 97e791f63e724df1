package huishouqian

import "github.com/paysim/paysim/sim"

// Envelope errorCode values and their errorMsg (protocols: Huishouqian error responses).
// The gateway's code table is not public: every one of these is HQ-A3.
const (
	codeSign          = "SIGN_ERROR"
	codeParam         = "PARAM_ERROR"
	codeNoOriginal    = "ORDER_NOT_EXIST"
	codeTransNoRepeat = "TRANS_NO_REPEAT"
	codeRefundExceed  = "REFUND_AMOUNT_EXCEED"
	codeStatus        = "ORDER_STATUS_ERROR"
	codeMethod        = "METHOD_NOT_SUPPORT"
	codeSystem        = "SYSTEM_ERROR"

	msgSign          = "验签失败"
	msgParam         = "参数错误:" // followed by the field or what is wrong
	msgNoOriginal    = "原订单不存在"
	msgTransNoRepeat = "商户订单号重复"
	msgRefundExceed  = "退款金额超过可退金额"
	msgStatus        = "订单状态不允许该操作"
	msgMethod        = "不支持的接口"
	msgSystem        = "系统异常"
)

// respCode values inside result (vendor table; the choice of code per situation is HQ-A2).
const (
	respProcessing = "100201"
	respNotFound   = "200004"
	respQueryOK    = "200007"

	respMsgProcessing = "交易处理中,请稍后查询"
	respMsgNotFound   = "订单不存在"
	respMsgQueryOK    = "查询成功"
)

// orderStatus values. INIT is documented too; paysim emits it only through scenario
// overrides.
const (
	statusProcessing = "PROCESSING"
	statusSuccess    = "SUCCESS"
	statusFail       = "FAIL"
)

// orderStatus maps a neutral status. unknown reads PROCESSING until it resolves (HQ-A9);
// a closed order can only be an expired one, which reads FAIL (HQ-A4). An order stays
// SUCCESS after refunds (HQ-A9).
func orderStatus(s sim.Status) string {
	switch s {
	case sim.StatusSuccess:
		return statusSuccess
	case sim.StatusFailed, sim.StatusClosed:
		return statusFail
	}
	return statusProcessing
}

// respFor is the respCode and respMsg for an item in status s: 100201 while undecided,
// 200007 once final (HQ-A2). The same rule answers creates and queries, so a barcode
// payment that succeeds at once reads like a query of a paid order.
func respFor(s sim.Status) (string, string) {
	if s.Final() {
		return respQueryOK, respMsgQueryOK
	}
	return respProcessing, respMsgProcessing
}
