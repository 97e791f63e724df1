package huishouqian

import (
	"fmt"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/paysim/paysim/sim"
)

const dateTimeLayout = "20060102150405"

// tradeNo mints the gateway's order number: "120000" + yyyyMMddHHmmss + 12 digits = 32
// (4 seeded digits and an 8-digit serial, so ids never collide within a run).
func (p *Provider) tradeNo(now time.Time) string {
	node := p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("####") })
	return fmt.Sprintf("120000%s%s%08d", now.Format(dateTimeLayout), node, p.core.NextSerial()%100_000_000)
}

// channelOrderNo mints the number the gateway hands the upstream channel for this order.
func (p *Provider) channelOrderNo(now time.Time) string {
	return now.Format("20060102") + p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("6###############") })
}

// wallet tells which wallet a payType goes through. DYNAMIC_ALL lets the payer choose; paysim's
// payer uses WeChat.
func wallet(payType string) string {
	switch {
	case strings.HasPrefix(payType, "ALI_"), payType == "DYNAMIC_ALPAY":
		return "alipay"
	case payType == "DYNAMIC_UNION":
		return "unionpay"
	}
	return "wechat"
}

// payOrderNo mints the wallet's own transaction number, in the wallet's shape.
func (p *Provider) payOrderNo(now time.Time, payType string) string {
	pattern := "42000" + now.Format("20060102") + "###############" // WeChat: 28 digits
	switch wallet(payType) {
	case "alipay":
		pattern = now.Format("20060102") + "22001" + "###############" // Alipay: 28 digits
	case "unionpay":
		pattern = "6202" + now.Format(dateTimeLayout) + "##########"
	}
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify(pattern) })
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"}

// payer mints what the wallet reports about the payer: a masked name, the funding
// channel and its bank code, in the shapes Alipay, WeChat and UnionPay use.
func (p *Provider) payer(payType string) (buyerName, fundChannel, fundBankCode string) {
	p.core.Generate(func(f *gofakeit.Faker) string {
		buyerName = surnames[f.IntN(len(surnames))] + "**"
		switch wallet(payType) {
		case "alipay":
			fundChannel = f.RandomString([]string{"ALIPAYACCOUNT", "PCREDIT", "BANKCARD"})
		case "unionpay":
			fundChannel, fundBankCode = "BANKCARD", f.RandomString([]string{"CMB", "ICBC", "CCB", "ABC"})
		default:
			fundChannel, fundBankCode = "BALANCE", "OTHERS"
			if f.IntN(2) == 0 {
				fundChannel, fundBankCode = "BANKCARD", f.RandomString([]string{"CMB_DEBIT", "ICBC_DEBIT", "CCB_CREDIT", "ABC_DEBIT"})
			}
		}
		return ""
	})
	return buyerName, fundChannel, fundBankCode
}

// qrCode builds what a main-swept order hands the payer: wallet parameters (a JSON string)
// for JSAPI and applet orders, a code URL for dynamic QR orders.
func (p *Provider) qrCode(payType, tradeNo string, now time.Time) string {
	switch payType {
	case "DYNAMIC_WECHAT":
		return p.core.Generate(func(f *gofakeit.Faker) string { return "weixin://wxpay/bizpayurl?pr=" + f.Regex("[A-Za-z0-9]{7}") })
	case "DYNAMIC_ALPAY":
		return p.core.Generate(func(f *gofakeit.Faker) string { return "https://qr.alipay.com/bax0" + f.Regex("[a-z0-9]{20}") })
	case "DYNAMIC_UNION":
		return p.core.Generate(func(f *gofakeit.Faker) string {
			return "https://qr.95516.com/00010000/" + f.Numerify("########################")
		})
	case "DYNAMIC_ALL":
		return "https://paysim.invalid/huishouqian/qr/" + tradeNo
	case "ALI_JSAPI", "ALI_APPLET":
		return sim.JSONText(map[string]string{"tradeNO": p.payOrderNo(now, payType)})
	}
	// WeChat JSAPI and applet orders get the parameters of wx.requestPayment.
	return p.core.Generate(func(f *gofakeit.Faker) string {
		return sim.JSONText(map[string]string{
			"appId":     "wx" + f.Regex("[0-9a-f]{16}"),
			"timeStamp": fmt.Sprint(now.Unix()),
			"nonceStr":  f.Regex("[A-Za-z0-9]{32}"),
			"package":   "prepay_id=wx" + now.Format("02150405") + f.Regex("[0-9a-f]{26}"),
			"signType":  "RSA",
			"paySign":   f.Regex("[A-Za-z0-9+/]{342}") + "==",
		})
	})
}
