package umpay

import (
	"fmt"
	"strconv"
	"time"

	"github.com/brianvoe/gofakeit/v7"
)

const (
	dateLayout     = "20060102"
	dateTimeLayout = "20060102150405"
	payTimeLayout  = "0102150405" // MMddHHmmss, queryOrder's payTime
)

// transactionID mints Umpay's own order number: yyyyMMddHHmmss + 8 digits = 22
// (protocols 1.7). The serial keeps it unique within a run.
func (p *Provider) transactionID(now time.Time) string {
	return fmt.Sprintf("%s%08d", now.Format(dateTimeLayout), p.core.NextSerial()%100_000_000)
}

// paySeq mints the 16-digit payment serial the seed example shows.
func (p *Provider) paySeq() string {
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("9###############") })
}

// depBankSeq mints the wallet's own transaction number, in the wallet's shape.
func (p *Provider) depBankSeq(now time.Time, orderType string) string {
	pattern := "42000" + "#####" + now.Format(dateLayout) + "##########" // WeChat: 28 digits
	switch walletOf(orderType) {
	case "alipay":
		pattern = now.Format(dateLayout) + "22001" + "###############" // Alipay: 28 digits
	case "unionpay":
		pattern = "6202" + now.Format(dateTimeLayout) + "##########"
	}
	return p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify(pattern) })
}

// qrCode is what a qrpay order shows the payer, shaped like each wallet's real codes.
func (p *Provider) qrCode(orderType, transactionID string) string {
	switch orderType {
	case "alipay":
		return p.core.Generate(func(f *gofakeit.Faker) string { return "https://qr.alipay.com/bax0" + f.Lexify("????????????????????") })
	case "wechat":
		return p.core.Generate(func(f *gofakeit.Faker) string { return "weixin://wxpay/bizpayurl?pr=" + f.Regex("[A-Za-z0-9]{7}") })
	case "unionpay":
		return p.core.Generate(func(f *gofakeit.Faker) string {
			return "https://qr.95516.com/00010000/" + f.Numerify("########################")
		})
	}
	return "https://paysim.invalid/umpay/qr/" + transactionID
}

// jsPayment is what unifiedOrder hands back for the wallet's in-app payment sheet.
func (p *Provider) jsPayment(orderType, appID, transactionID string, now time.Time) map[string]string {
	out := map[string]string{
		"hostLsNo": p.core.Generate(func(f *gofakeit.Faker) string { return f.Numerify("8###############") }),
	}
	switch orderType {
	case "wechatJs":
		if appID == "" {
			appID = p.core.Generate(func(f *gofakeit.Faker) string { return "wx" + f.Regex("[0-9a-f]{16}") })
		}
		out["appId"] = appID
		out["prepayId"] = p.core.Generate(func(f *gofakeit.Faker) string {
			return "prepay_id=wx" + now.Format("02150405") + f.Regex("[0-9a-f]{26}")
		})
		out["timestamp"] = strconv.FormatInt(now.UnixMilli(), 10)
		out["nonceStr"] = p.core.Generate(func(f *gofakeit.Faker) string { return f.Regex("[A-Za-z0-9]{32}") })
		out["signType"] = "MD5"
		out["paySign"] = p.core.Generate(func(f *gofakeit.Faker) string { return f.Regex("[0-9A-F]{32}") })
	case "alipayJs":
		if appID == "" {
			appID = p.core.Generate(func(f *gofakeit.Faker) string { return "2021" + f.Numerify("############") })
		}
		out["appId"] = appID
		out["prepayId"] = p.depBankSeq(now, "alipay") // the tradeNO my.tradePay takes
	default: // unionpayJs
		if appID != "" {
			out["appId"] = appID
		}
		out["prepayId"] = "https://paysim.invalid/umpay/unionpay/" + transactionID
	}
	return out
}

// walletOf names the wallet behind an orderType.
func walletOf(orderType string) string {
	switch orderType {
	case "alipay", "alipayJs":
		return "alipay"
	case "unionpay", "unionpayJs", "mobilepos":
		return "unionpay"
	}
	return "wechat"
}
