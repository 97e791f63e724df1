package umpay

import (
	"crypto"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.NoError(t, verifyRequest(pub, req))
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
