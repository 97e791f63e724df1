package huifu

import (
	"fmt"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/paysim/paysim/sim"
)

const (
	dateLayout     = "20060102"
	timeLayout     = "150405"
	dateTimeLayout = "20060102150405"
)

// seqID mints an hf_seq_id in the gateway's 40-character shape:
// "0029000TOPA" + yyMMddHHmmss + "P" + 3 digits + host IPv4 in hex + 5-digit counter.
func (p *Provider) seqID(now time.Time) string {
	node := p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("###") })
	return fmt.Sprintf("0029000TOPA%sP%s7f000001%05d", now.Format("060102150405"), node, p.core.NextSerial()%100000)
}

// partyOrderID mints the merchant order number the wallet shows on the payer's bill.
func (p *Provider) partyOrderID(now time.Time) string {
	return now.Format("060102") + p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("03##############") })
}

// outTransID mints the wallet's own transaction number, in the wallet's shape.
func (p *Provider) outTransID(now time.Time, channel string) string {
	pattern := "42000" + now.Format(dateLayout) + "###############" // WeChat: 28 digits
	switch channel {
	case "A":
		pattern = now.Format(dateLayout) + "2200140#############" // Alipay: 28 digits
	case "U":
		pattern = "6202" + now.Format(dateTimeLayout) + "##########"
	case "D":
		pattern = "DC" + now.Format(dateTimeLayout) + "############"
	}
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify(pattern) })
}

// payInfo builds what a JSAPI, mini-program or app order hands to the wallet; qrCode what
// a native QR order shows. Both are opaque to merchants but shaped like the real thing.
func (p *Provider) payInfo(tradeType, seqID string, now time.Time) (field, value string) {
	switch tradeType {
	case "A_NATIVE":
		return "qr_code", p.core.Generate(func(f *gofakeit.Faker) string { return "https://qr.alipay.com/bax0" + f.Lexify("????????????????????") })
	case "U_NATIVE":
		return "qr_code", p.core.Generate(func(f *gofakeit.Faker) string {
			return "https://qr.95516.com/00010000/" + f.Numerify("########################")
		})
	case "D_NATIVE":
		return "qr_code", "https://paysim.invalid/dcep/" + seqID
	case "A_JSAPI":
		return "pay_info", sim.JSONText(map[string]string{"tradeNO": p.outTransID(now, "A")})
	case "U_JSAPI":
		return "pay_info", sim.JSONText(map[string]string{"redirectUrl": "https://paysim.invalid/unionpay/" + seqID})
	}
	// WeChat JSAPI, mini-program and app orders get the parameters of wx.requestPayment.
	info := p.core.Generate(func(f *gofakeit.Faker) string {
		return sim.JSONText(map[string]string{
			"appId":     "wx" + f.Regex("[0-9a-f]{16}"),
			"timeStamp": fmt.Sprint(now.Unix()),
			"nonceStr":  f.Regex("[A-Za-z0-9]{32}"),
			"package":   "prepay_id=wx" + now.Format("02150405") + f.Regex("[0-9a-f]{26}"),
			"signType":  "RSA",
			"paySign":   f.Regex("[A-Za-z0-9+/]{342}") + "==",
		})
	})
	return "pay_info", info
}
