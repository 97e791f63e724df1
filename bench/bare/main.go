// Command bare is the baseline of bench/compare: an Echo server of the same Echo version
// as paysim's, with nothing but a handler, so that the comparison shows what paysim adds
// on top of Echo and net/http.
//
//	bare -addr 127.0.0.1:8791
package main

import (
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/labstack/echo/v4"
)

// answer is a Shouqianba query answer as paysim gives it, so both servers write the same
// bytes.
var answer = []byte(`{"result_code":"200","biz_response":{"result_code":"SUCCESS","data":{"channel_finish_time":"1767232800000","client_sn":"bench-sqb","ctime":"1767232800000","finish_time":"1767232800000","net_amount":"100","operator":"paysim","order_status":"PAID","payer_uid":"o7-PauvRtiDLuQOTVmooIyyOR-Ay","payment_list":[{"amount_total":"100","type":"BANKCARD_DEBIT"}],"payway":"3","payway_name":"微信","settlement_amount":"100","sn":"7892260101000001","status":"SUCCESS","sub_payway":"1","subject":"paysim seeded order","terminal_sn":"100000330000000001","total_amount":"100","trade_no":"4200020260101918929815239340"}}}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:8791", "address to listen on")
	flag.Parse()
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/hello", func(c echo.Context) error { return c.String(http.StatusOK, "hello") })
	// /answer reads the request body and answers a fixed JSON, as a provider path does
	// minus everything the provider does.
	e.POST("/answer", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return c.Blob(http.StatusOK, "application/json;charset=utf-8", answer)
	})
	log.Fatal(e.Start(*addr))
}
