package shouqianba

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

// orderSN mints Shouqianba's order number: 16 digits starting 789, "7892" + yyMMdd +
// a 6-digit counter (protocols 1.7).
func (p *Provider) orderSN(now time.Time) string {
	return fmt.Sprintf("7892%s%06d", now.Format("060102"), p.core.NextSerial()%1_000_000)
}

// tradeNo mints the wallet's own order number, 28 digits in the wallet's shape.
func (p *Provider) tradeNo(now time.Time, payway string) string {
	pattern := "42000" + now.Format("20060102") + "###############" // WeChat
	switch payway {
	case "1", "2":
		pattern = now.Format("20060102") + "22001" + "###############" // Alipay
	case "17":
		pattern = now.Format("20060102150405") + "##############" // UnionPay
	}
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify(pattern) })
}

// payer mints the payer's id in the wallet (an openid, an Alipay 2088 user id) and, for
// Alipay, the masked login shown on receipts.
func (p *Provider) payer(payway string) (uid, login string) {
	switch payway {
	case "1", "2":
		return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("2088############") }),
			p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("1##****####") })
	case "17":
		return p.core.Generate(func(f *gofakeit.Faker) string { return f.Regex("[A-Za-z0-9+/]{27}=") }), ""
	}
	return p.core.Generate(func(f *gofakeit.Faker) string { return "o" + f.Regex("[A-Za-z0-9_-]{27}") }), ""
}

// qrCode is what a C-scans-B order shows the payer: the wallet's own QR URL.
func (p *Provider) qrCode(payway string) string {
	return p.core.Generate(func(f *gofakeit.Faker) string {
		switch payway {
		case "1", "2":
			return "https://qr.alipay.com/bax0" + f.Regex("[0-9a-z]{20}")
		case "17":
			return "https://qr.95516.com/00010000/" + f.Numerify("########################")
		}
		return "weixin://wxpay/bizpayurl?pr=" + f.Regex("[A-Za-z0-9]{7}")
	})
}

// wapPayRequest is what a WAP or mini-program order hands to the wallet's JS API.
func (p *Provider) wapPayRequest(payway string, now time.Time) string {
	return p.core.Generate(func(f *gofakeit.Faker) string {
		var params map[string]string
		if payway == "1" || payway == "2" {
			params = map[string]string{"tradeNO": now.Format("20060102") + "22001" + f.Numerify("###############")}
		} else {
			params = map[string]string{
				"appId":     "wx" + f.Regex("[0-9a-f]{16}"),
				"timeStamp": strconv.FormatInt(now.Unix(), 10),
				"nonceStr":  f.Regex("[A-Za-z0-9]{32}"),
				"package":   "prepay_id=wx" + now.Format("02150405") + f.Regex("[0-9a-f]{26}"),
				"signType":  "RSA",
				"paySign":   f.Regex("[A-Za-z0-9+/]{342}") + "==",
			}
		}
		b, _ := json.Marshal(params) // a map of strings always marshals
		return string(b)
	})
}

// terminalSN mints a terminal number in the shape of the shipped one: "10000033" + 10
// digits.
func (p *Provider) terminalSN() string {
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("10000033##########") })
}

// terminalKey mints a 32-hex terminal key, as the gateway issues them.
func (p *Provider) terminalKey() string {
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Regex("[0-9a-f]{32}") })
}

// millis renders a time as the gateway does: epoch milliseconds in a string.
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// channelLag is how much earlier than paysim the wallet finished, as in the vendor's
// example ("1449646835244" against "1449646835221").
const channelLag = 23 * time.Millisecond
