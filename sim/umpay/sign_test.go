package umpay

import (
	"crypto"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// The queryOrder vector from the official demo verifies only with the empty
// transactionId= kept (protocols 5.2, candidate 2).
func TestVectorNeedsEmptyValuesKept(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors", "requests", "umpay--umpay-official-java-demo--pay-queryOrder.json"))
	require.NoError(t, err)
	var v struct {
		Body string `json:"body"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	req, derr := decodeBody([]byte(v.Body))
	require.Nil(t, derr)
	pub, err := rsakey.LoadPublic(simtest.Keys(), "umpay/merchant_public.pem")
	require.NoError(t, err)
	sig, err := rsakey.DecodeBase64(req.signature)
	require.NoError(t, err)

	cs := candidates(req)
	require.Len(t, cs, 2)
	assert.Equal(t, "acqMerId=42516662&acqSpId=Y000000001&orderNo=JD202401010000000001", cs[0].text)
	assert.Error(t, rsakey.Verify(pub, crypto.SHA1, []byte(cs[0].text), sig))
	assert.Equal(t, "acqMerId=42516662&acqSpId=Y000000001&orderNo=JD202401010000000001&transactionId=", cs[1].text)
	assert.NoError(t, rsakey.Verify(pub, crypto.SHA1, []byte(cs[1].text), sig))
	assert.NoError(t, verifyRequest(rsakey.NewVerifier(0), pub, req))
}

// Numbers are signed as their JSON literal, nulls are dropped (or written k=null as a
// last resort), and "sign" stands in for a missing "signature" (UM-A8).
func TestCandidateTexts(t *testing.T) {
	req, derr := decodeBody([]byte(`{"txnAmt":100,"acqSpId":"Y000000001","b":null,"c":"","flag":true,"sign":"AA=="}`))
	require.Nil(t, derr)
	assert.Equal(t, "sign", req.sigField)
	assert.Equal(t, "AA==", req.signature)
	var texts []string
	for _, c := range candidates(req) {
		texts = append(texts, c.text)
	}
	assert.Equal(t, []string{
		"acqSpId=Y000000001&flag=true&txnAmt=100",
		"acqSpId=Y000000001&c=&flag=true&txnAmt=100",
		"acqSpId=Y000000001&b=null&c=&flag=true&txnAmt=100",
	}, texts)
}

// The vendor sample of protocols 5.3: null and "" are skipped, values joined by "|" in
// key order.
func TestResponseTextOfVendorSample(t *testing.T) {
	sample := map[string]string{"respCode": "00", "respMsg": "处理成功", "platDate": "", "txnAmt": "1", "paySeq": "",
		"transactionId": "2019072518100000000001", "origRespDescCode": "99"}
	members, text := encode(sample)
	assert.Equal(t, "99|00|处理成功|2019072518100000000001|1", text)
	body := marshal(members, "SIG")
	assert.JSONEq(t, `{"origRespDescCode":"99","respCode":"00","respMsg":"处理成功","transactionId":"2019072518100000000001","txnAmt":1,"signature":"SIG"}`, string(body))
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = m[0]
	}
	assert.True(t, sort.StringsAreSorted(keys))
}

// Echoed text never carries "|" (UM-A7) nor characters serializers disagree on.
func TestEncodeScrubsValues(t *testing.T) {
	_, text := encode(map[string]string{"merPriv": "a|b\u2028c", "respCode": "00"})
	assert.Equal(t, "a/b c|00", text)
}

// The diagnostic of a badly signed request shows the candidate closest to how the request
// was built: a body with empty members (the official demo's …&transactionId=) was most
// likely signed with them, one without them over the documented form.
func TestDiagnosticShowsTheLikelySignedText(t *testing.T) {
	pub, err := rsakey.LoadPublic(simtest.Keys(), "umpay/merchant_public.pem")
	require.NoError(t, err)
	diag := func(body string) string {
		t.Helper()
		req, derr := decodeBody([]byte(body))
		require.Nil(t, derr)
		err := verifyRequest(rsakey.NewVerifier(0), pub, req)
		require.Error(t, err)
		return err.Error()
	}
	badSig := `"signature":"AAAA"`

	// The official demo's queryOrder, acqMerId changed after signing.
	d := diag(`{"acqMerId":"42516663","acqSpId":"Y000000001","orderNo":"JD1","transactionId":"",` + badSig + `}`)
	assert.Contains(t, d, `expected signed text, empty values kept as k= (official demo), as the body carries empty members: "acqMerId=42516663&acqSpId=Y000000001&orderNo=JD1&transactionId="`)

	// No empty members: the documented form, worded as before.
	d = diag(`{"acqMerId":"42516663","acqSpId":"Y000000001","orderNo":"RF1",` + badSig + `}`)
	assert.Contains(t, d, `; expected signed text: "acqMerId=42516663&acqSpId=Y000000001&orderNo=RF1"`)

	// A null is signed as the body carries it too, as k=null.
	d = diag(`{"acqMerId":"42516663","acqSpId":"Y000000001","orderNo":"JD1","transactionId":null,"goodsId":"",` + badSig + `}`)
	assert.Contains(t, d, `empty values kept as k= and nulls as k=null, as the body carries empty members: "acqMerId=42516663&acqSpId=Y000000001&goodsId=&orderNo=JD1&transactionId=null"`)

	// The same text when there is no signature at all.
	d = diag(`{"acqMerId":"42516662","acqSpId":"Y000000001","orderNo":"JD1","transactionId":""}`)
	assert.Contains(t, d, `over the text, empty values kept as k= (official demo), as the body carries empty members: "acqMerId=42516662&acqSpId=Y000000001&orderNo=JD1&transactionId="`)
}

// The signed text is UTF-8: the diagnostic keeps Chinese as it is, for the journal and the
// console, and the header the gateway makes of it stays ASCII with \uXXXX escapes.
func TestDiagnosticKeepsUTF8(t *testing.T) {
	pub, err := rsakey.LoadPublic(simtest.Keys(), "umpay/merchant_public.pem")
	require.NoError(t, err)
	req, derr := decodeBody([]byte(`{"acqMerId":"42516662","acqSpId":"Y000000001","goodsInfo":"测试商品😀","orderNo":"M1","signature":"AAAA"}`))
	require.Nil(t, derr)
	err = verifyRequest(rsakey.NewVerifier(0), pub, req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"acqMerId=42516662&acqSpId=Y000000001&goodsInfo=测试商品\U0001f600&orderNo=M1"`)
	header := gateway.HeaderSafe(err.Error())
	assert.Contains(t, header, `goodsInfo=\u6d4b\u8bd5\u5546\u54c1\U0001f600&orderNo=M1`)
	for _, r := range header {
		require.Less(t, r, rune(0x7f), "the header stays ASCII")
	}

	long := sim.QuoteText(strings.Repeat("测", 2048))
	assert.True(t, strings.HasSuffix(long, `…"(truncated)`), "long text is cut: %s", long[len(long)-40:])
}
