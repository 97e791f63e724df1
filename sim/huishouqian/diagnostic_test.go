package huishouqian_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/simtest"
)

// signContent sent as raw UTF-8 (the C# client does), changed after signing: the header
// shows the expected signed text with Chinese as \uXXXX, the request journal (and so the
// console) the same text as UTF-8. The signed text itself is UTF-8 bytes.
func TestSignatureDiagnosticInHeaderAndJournal(t *testing.T) {
	core, _ := simtest.NewCore(t, paysim.DefaultScenarios())
	p, err := huishouqian.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	gw := gateway.New(core, gateway.VerifyStrict)
	srv := simtest.ServeGateway(t, gw, p)
	client, err := huishouqiantest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)

	f, err := client.NewForm(query, `{"transNo":"DIAG-1","memo":"测试😀"}`)
	require.NoError(t, err)
	f.SignContent = `{"transNo":"DIAG-1","memo":"测试😀 "}`
	resp, err := client.PostForm(f)
	require.NoError(t, err)
	require.Equal(t, "SIGN_ERROR", resp.ErrorCode)

	want := `expected signed text: "method=POLYMERIZE_QUERY&version=1.0&format=JSON&merchantNo=864000000001&signType=RSA2&signContent={\"transNo\":\"DIAG-1\",\"memo\":\"%s \"}&key=<sign key redacted>"`
	assert.Contains(t, resp.Header.Get(gateway.DiagnosticHeader), fmt.Sprintf(want, `\u6d4b\u8bd5\U0001f600`))
	entries := gw.Journal().Find(journal.Filter{Provider: huishouqian.Name}, 1)
	require.Len(t, entries, 1)
	assert.Contains(t, entries[0].Diagnostic, fmt.Sprintf(want, `测试\U0001f600`), "the journal (and the console) show the text as UTF-8")
}
