package umpay_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// A request signed the demo's way (empty members kept), then changed: the header shows the
// demo's signed text with Chinese as \uXXXX, the request journal the same text as UTF-8.
func TestSignatureDiagnosticInHeaderAndJournal(t *testing.T) {
	core, _ := simtest.NewCore(t, scenarioFS(t))
	um, err := umpay.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	gw := gateway.New(core, gateway.VerifyStrict)
	srv := simtest.ServeGateway(t, gw, um)
	client, err := umpaytest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)

	body, err := client.SignedBody(with(qrpayData("DIAG-1", "100", "wechat"), "merPriv", ""))
	require.NoError(t, err)
	body = bytes.Replace(body, []byte(`"txnAmt":"100"`), []byte(`"txnAmt":"101"`), 1)
	resp, err := client.Do("POST", pathQRPay, "application/json; charset=UTF-8", body)
	require.NoError(t, err)
	require.Equal(t, "11", resp.Code())

	want := `empty values kept as k= (official demo), as the body carries empty members: "acqMerId=42516662&acqSpId=Y000000001&backUrl=http://127.0.0.1:9/notify&goodsInfo=%s&merPriv=&orderNo=DIAG-1&orderTime=20260101100000&orderType=wechat&txnAmt=101"`
	assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), fmt.Sprintf(want, `\u6d4b\u8bd5\u5546\u54c1`))
	entries := gw.Journal().Find(journal.Filter{Order: "DIAG-1"}, 1)
	require.Len(t, entries, 1)
	assert.Contains(t, entries[0].Diagnostic, fmt.Sprintf(want, "测试商品"), "the journal (and the console) show the text as UTF-8")
}
