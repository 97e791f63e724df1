package huifu

import "github.com/paysim/paysim/sim"

// resp_code values (protocols: Huifu codes and states).
const (
	codeOK              = "00000000"
	codeProcessing      = "00000100"
	codeInvalid         = "10000000"
	codeDuplicate       = "20000000"
	codeLocatorMissing  = "21000000"
	codeProductMissing  = "22000000"
	codeMerchantMissing = "22000002"
	codeInvalidState    = "23000000"
	codeNotFound        = "23000001"
	codeAmountCheck     = "23000003"
	codeUnsupported     = "23000004"
	codeBusinessFailed  = "90000000"
	codeSystem          = "98888888"
)

// Descriptions the gateway uses.
const (
	descBadSign        = "验签不通过" // HF-A1
	descProcessing     = "交易正在处理中"
	descOrdered        = "下单成功"
	descPaid           = "交易成功"
	descQueryOK        = "查询成功"
	descOK             = "成功"
	descFailed         = "交易失败"
	descDuplicate      = "重复交易"
	descNoOriginal     = "原交易不存在"
	descNoTrade        = "交易不存在"
	descNoClose        = "关单记录不存在" // HF-A4
	descOverRefund     = "申请退款金额大于可退余额"
	descNotBooked      = "原交易未入账，不能发起退款"
	descAlreadyFinal   = "原订单已为终态，无法发起关单操作"
	descAlreadyClosed  = "关单状态为终态，不能重复关单"
	descCloseNotOK     = "银联及数字货币交易不支持关单"
	descNoMerchant     = "商户信息不存在"
	descNoProduct      = "产品号不存在"
	descSystem         = "系统错误"
	descUnknownPath    = "接口不存在"
	descMethod         = "请求方式必须为POST"
	descClosedBankNote = "订单已关闭" // HF-A3
	// descNotUTF8 follows the name of a member that is not UTF-8 (protocols 1.5).
	descNotUTF8 = "不是合法的UTF-8字符串"

	// Delayed transactions (delaytrans.go). The refund page names the first; the others
	// are paysim's wording (HF-A15).
	descOverUnconfirmed   = "退款金额大于待确认金额"
	descConfirmOver       = "确认金额大于待确认金额"
	descConfirmRefundOver = "退款金额大于已确认金额"
	descNotDelayed        = "原交易不是延时交易"
	descConfirmNotDone    = "原交易确认未成功，不能发起确认退款"

	// Hosted checkout (hosting.go): the close page's own codes and the query pages' text.
	descOpOK        = "操作成功"
	descHostFinal   = "原交易已经终态，不允许关单"
	descHostClosed  = "关单状态为终态，不能重复关单"
	codeHostFinal   = "30000001"
	codeHostMissing = "99010003"
)

// Trans_stat values.
const (
	statProcessing = "P"
	statSuccess    = "S"
	statFailed     = "F"
)

// transStat maps a neutral status to trans_stat. unknown reads P until it resolves
// (HF-A12), and a closed order reads F (HF-A3).
func transStat(s sim.Status) string {
	switch s {
	case sim.StatusSuccess:
		return statSuccess
	case sim.StatusFailed, sim.StatusClosed:
		return statFailed
	}
	return statProcessing
}

// createCode is the resp_code and resp_desc of a call that created something, by the
// status the new entity is in.
func createCode(s sim.Status, processingDesc string) (string, string) {
	switch s {
	case sim.StatusSuccess:
		return codeOK, descPaid
	case sim.StatusFailed, sim.StatusClosed:
		return codeBusinessFailed, descFailed
	}
	return codeProcessing, processingDesc
}

// payChannel is the first letter of the trade type: A Alipay, T WeChat, U UnionPay,
// D digital RMB.
func payChannel(tradeType string) string {
	if tradeType == "" {
		return ""
	}
	return tradeType[:1]
}
