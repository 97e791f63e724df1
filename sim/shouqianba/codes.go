package shouqianba

import "github.com/paysim/paysim/sim"

// Top-level result_code: whether the gateway took the request at all (protocols:
// Shouqianba response envelope). HTTP is 200 for all three (SQ-A1).
const (
	resultOK     = "200"
	resultClient = "400"
	resultServer = "500"
)

// Top-level error_code values and their documented messages. SQ-A2: the parameter error
// is INVALID_PARAMS, not the INVALID_PARAMETER of one doc example.
const (
	errInvalidParams   = "INVALID_PARAMS"
	errInvalidTerminal = "INVALID_TERMINAL"
	errIllegalSign     = "ILLEGAL_SIGN"
	errSystem          = "UNKNOWN_SYSTEM_ERROR"

	msgInvalidParams   = "参数错误"
	msgInvalidTerminal = "终端错误"
	msgIllegalSign     = "签名错误"
	msgSystem          = "系统错误"

	// msgNotUTF8 follows the name of a member that is not UTF-8 (protocols 1.5).
	msgNotUTF8 = "不是合法的UTF-8字符串"
)

// biz_response.result_code values.
const (
	bizSuccess = "SUCCESS"
	bizFail    = "FAIL"

	payOK         = "PAY_SUCCESS"
	payFail       = "PAY_FAIL"
	payInProgress = "PAY_IN_PROGRESS"
	payFailError  = "PAY_FAIL_ERROR"

	precreateOK        = "PRECREATE_SUCCESS"
	precreateFail      = "PRECREATE_FAIL"
	precreateFailError = "PRECREATE_FAIL_ERROR"

	refundOK         = "REFUND_SUCCESS"
	refundFail       = "REFUND_FAIL"
	refundInProgress = "REFUND_IN_PROGRESS"
	refundError      = "REFUND_ERROR"

	cancelOK              = "CANCEL_SUCCESS"
	cancelError           = "CANCEL_ERROR"
	cancelInProgress      = "CANCEL_IN_PROGRESS"
	cancelAbortOK         = "CANCEL_ABORT_SUCCESS"
	cancelAbortError      = "CANCEL_ABORT_ERROR"
	cancelAbortInProgress = "CANCEL_ABORT_IN_PROGRESS"
)

// biz_response.error_code values paysim emits, with the vendor's messages.
const (
	codeInvalidBarcode     = "INVALID_BARCODE"
	codeTradeFailed        = "TRADE_FAILED"
	codeTradeTimeout       = "TRADE_TIMEOUT"
	codeClientSNConflict   = "CLIENT_SN_CONFLICT"
	codeOrderNotExists     = "UPAY_ORDER_NOT_EXISTS" // SQ-A2
	codeRefundableShort    = "REFUNDABLE_AMOUNT_NOT_ENOUGH"
	codeRefundNoop         = "UPAY_REFUND_ORDER_NOOP"
	codeRefundInvalidState = "UPAY_REFUND_INVALID_ORDER_STATE"
	codeCancelNoop         = "UPAY_CANCEL_ORDER_NOOP"
	codeCancelInvalidState = "UPAY_CANCEL_INVALID_ORDER_STATE"
)

var bizMessages = map[string]string{
	codeInvalidBarcode:     "条码错误",
	codeTradeFailed:        "交易失败",
	codeTradeTimeout:       "交易超时自动撤单",
	codeClientSNConflict:   "client_sn在系统中已存在",
	codeOrderNotExists:     "订单不存在",
	codeRefundableShort:    "订单可退金额不足",
	codeRefundNoop:         "无效操作，本次退款退款已经完成了",
	codeRefundInvalidState: "当前订单状态不可退款",
	codeCancelNoop:         "无效操作，订单已经是撤单状态了",
	codeCancelInvalidState: "当前订单状态不可撤销",
}

// msgFullyRefunded is the vendor's wording for a refund against an order with nothing
// left to refund.
const msgFullyRefunded = "订单已全额退款,可退金额不足"

// data.order_status values.
const (
	orderCreated          = "CREATED"
	orderPaid             = "PAID"
	orderPayCanceled      = "PAY_CANCELED"
	orderPayError         = "PAY_ERROR"
	orderRefunded         = "REFUNDED"
	orderPartialRefunded  = "PARTIAL_REFUNDED"
	orderRefundInProgress = "REFUND_INPROGRESS"
	orderRefundError      = "REFUND_ERROR"
	orderCanceled         = "CANCELED"
	orderCancelError      = "CANCEL_ERROR"
	orderCancelInProgress = "CANCEL_INPROGRESS"
)

// data.status values: the flow status of the order's last operation.
const (
	flowSuccess      = "SUCCESS"
	flowInProgress   = "IN_PROG"
	flowFailCanceled = "FAIL_CANCELED"
	flowFailError    = "FAIL_ERROR"
	flowCancelError  = "CANCEL_ERROR"
	flowRefundError  = "REFUND_ERROR"
)

// paywayNames are the wallets by payway, as the vendor's appendix names them.
var paywayNames = map[string]string{
	"1": "支付宝", "2": "支付宝", "3": "微信", "4": "百度钱包", "5": "京东钱包", "6": "qq钱包",
	"7": "NFC支付", "8": "拉卡拉钱包", "9": "和包支付", "15": "拉卡拉微信", "16": "招商银行",
	"17": "银联云闪付", "18": "翼支付", "19": "Weixin-Local", "20": "Alipay global",
	"100": "储值支付", "101": "礼品卡",
}

// Sub_payway values: 1 barcode, 2 QR, 3 WAP, 4 mini-program, 5 APP, 6 H5.
const (
	subBarcode = "1"
	subQRCode  = "2"
	subWAP     = "3"
	subMini    = "4"
)

var precreateSubPayways = []string{"2", "3", "4", "5", "6"}

// paywayFromBarcode tells the wallet from the payer's code (SQ-A6).
func paywayFromBarcode(code string) (string, bool) {
	if len(code) < 2 {
		return "", false
	}
	switch prefix := code[:2]; {
	case prefix >= "10" && prefix <= "15":
		return "3", true
	case prefix >= "25" && prefix <= "30":
		return "1", true
	case prefix == "62":
		return "17", true
	}
	return "", false
}

// paymentState is the order_status and flow status of an order on its own, before any
// refund or close in flight is taken into account.
func paymentState(v sim.PaymentView) (orderStatus, status string) {
	switch v.Status {
	case sim.StatusProcessing:
		return orderCreated, flowInProgress
	case sim.StatusUnknown:
		return orderPayError, flowFailError
	case sim.StatusFailed:
		return orderPayCanceled, flowFailCanceled
	case sim.StatusClosed:
		if v.Closure == sim.ClosureExpired {
			return orderPayCanceled, flowFailCanceled
		}
		return orderCanceled, flowSuccess
	}
	return refundedState(v), flowSuccess
}

// refundedState is the order_status of a paid order by what has been refunded.
func refundedState(v sim.PaymentView) string {
	switch {
	case v.Refunded > 0 && v.Refunded >= v.Amount:
		return orderRefunded
	case v.Refunded > 0:
		return orderPartialRefunded
	}
	return orderPaid
}

// paid says whether the payer's money ever arrived, so that the channel's trade_no and
// the payer's ids are known.
func paid(v sim.PaymentView) bool {
	return v.Status == sim.StatusSuccess || v.Closure == sim.ClosureReversed
}
