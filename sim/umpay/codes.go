package umpay

import "github.com/paysim/paysim/sim"

// respCode values (protocols 5.5). respCode says whether the request was processed; the
// state of a queried transaction is in origRespCode.
const (
	codeOK           = "00"
	codeFailed       = "01" // 系统错误,交易失败: a payment a scenario made fail
	codePaying       = "02" // 用户支付中
	codeUnclear      = "04" // 交易状态未明
	codeBadAmount    = "08"
	codeFormat       = "10"
	codeBadSignature = "11"
	codeMissing      = "13"
	codeOverRefund   = "15" // UM-A3
	codeDuplicate    = "16" // UM-A4
	codeNoTrade      = "17"
	codeMerchant     = "31"
	codeIneligible   = "35"
	codeMismatch     = "36"
	codeSystem       = "99"
	// codeNotDefinitive is the seed page's "result not definitive, call pay/queryOrder".
	codeNotDefinitive = "01000000"
)

// respMsg wording.
const (
	msgOK            = "处理成功"
	msgFailed        = "系统错误,交易失败"
	msgPaying        = "用户支付中"
	msgUnclear       = "交易状态未明"
	msgNotDefinitive = "交易结果未明,请调用订单状态同步接口查询"
	msgBadAmount     = "无效金额"
	msgFormat        = "报文格式错误"
	msgBadSignature  = "验证签名失败"
	msgMissing       = "要素缺失"
	msgOverRefund    = "余额不足"
	msgDuplicate     = "订单号重复"
	msgNoTrade       = "交易不存在"
	msgMerchant      = "商户或机构状态不正确"
	msgIneligible    = "原交易不存在或状态不正确"
	msgMismatch      = "与原交易信息不符"
	msgSystem        = "系统异常"
	msgUnknownPath   = "接口不存在"
	msgMethod        = "请求方式必须为POST"
	// msgNotUTF8 follows the name of a member that is not UTF-8 (protocols 1.5).
	msgNotUTF8 = "不是合法的UTF-8字符串"
)

// orderState is what queryOrder reports about an order: origRespCode with its detail
// code and text (protocols 5.5; both detail fields are emitted, UM-A2).
type orderState struct {
	code, descCode, descMsg string
}

var (
	statePaid      = orderState{"00", "0", "支付成功"}
	stateRefunding = orderState{"01", "3", "被退货"}
	statePaying    = orderState{"02", "6", "支付中"}
	stateUnknown   = orderState{"02", "8", "未明"}
	stateClosed    = orderState{"03", "98", "订单关闭"}
	stateRevoked   = orderState{"04", "2", "被撤销"}
	stateFailed    = orderState{"06", "1", "支付失败"}
)

// orderStateOf maps a payment to queryOrder's origRespCode.
func orderStateOf(v sim.PaymentView) orderState {
	switch v.Status {
	case sim.StatusSuccess:
		// UM-A11: once a refund has been accepted the order reads 转入退款. A refund that
		// failed gave its amount back, so the order reads paid again.
		if v.Refunded+v.Pending > 0 {
			return stateRefunding
		}
		return statePaid
	case sim.StatusClosed:
		if v.Closure == sim.ClosureReversed {
			return stateRevoked
		}
		return stateClosed
	case sim.StatusFailed:
		return stateFailed
	case sim.StatusUnknown:
		return stateUnknown
	}
	return statePaying
}

// payCode is the answer of a paying call (micropay, qrpay, unifiedOrder) by the status
// the new order is in. An order placed for the payer to confirm later (qrpay,
// unifiedOrder) is simply created: 00. A barcode payment still in progress is 02; an
// unknown result is the seed's 01000000 (UM-A10).
func payCode(s sim.Status, flow sim.Flow) (string, string) {
	switch s {
	case sim.StatusSuccess:
		return codeOK, msgOK
	case sim.StatusUnknown:
		return codeNotDefinitive, msgNotDefinitive
	case sim.StatusFailed, sim.StatusClosed:
		return codeFailed, msgFailed
	}
	if flow == sim.FlowBarcode {
		return codePaying, msgPaying
	}
	return codeOK, msgOK
}

// closeCode is the answer of closeOrder and cancelOrder by the status of the close.
// Umpay closes synchronously; a scenario that keeps a close undecided reads 04 (query
// again), one that fails it 01.
func closeCode(s sim.Status) (string, string) {
	switch s {
	case sim.StatusSuccess:
		return codeOK, msgOK
	case sim.StatusFailed, sim.StatusClosed:
		return codeFailed, msgFailed
	}
	return codeUnclear, msgUnclear
}

// refundState is refundQuery's origRespCode: 00 refunded, 01 failed, 02 processing.
func refundState(s sim.Status) string {
	switch s {
	case sim.StatusSuccess:
		return "00"
	case sim.StatusFailed, sim.StatusClosed:
		return "01"
	}
	return "02"
}
