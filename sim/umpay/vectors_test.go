package umpay_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// replay sends a vector byte for byte with its headers; the answer must verify.
type vector = simtest.Vector

func loadVectors(t testing.TB, dir string) map[string]vector { return simtest.Vectors(t, "umpay", dir) }

func (e *env) replay(t *testing.T, v vector) *umpaytest.Response {
	t.Helper()
	resp, err := e.client.Do(v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body))
	require.NoError(t, err, "the answer must be a signed Umpay response")
	return resp
}

// The order and refund the vectors name.
const (
	vectorOrder  = "JD202401010000000001"
	vectorRefund = "RF202401010000000001"
)

// seedVectorBusiness books the paid order the queryOrder vector asks for and the refund
// the refundQuery vector asks for, so that the vectors do real business.
func (e *env) seedVectorBusiness(t *testing.T) {
	t.Helper()
	e.seedPaid(t, vectorOrder, 100, "micropay")
	resp := e.post(t, pathRefund, refundData(vectorRefund, vectorOrder, "100", "40"))
	require.Equal(t, "00", resp.Code(), resp.Header.Get("X-Paysim-Diagnostic"))
}

// Every request captured from the official Java demo passes signature verification (the
// queryOrder one only with the empty transactionId= kept in the signed text), and with
// the order it names seeded it does real business.
func TestRealClientVectors(t *testing.T) {
	vectors := loadVectors(t, "requests")
	require.Len(t, vectors, 2, "queryOrder and refundQuery from the official Java demo")
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.seedVectorBusiness(t)
			resp := e.replay(t, v)
			require.Equal(t, 200, resp.Status)
			require.Equal(t, "00", resp.Code(), "diagnostic: %s", resp.Header.Get("X-Paysim-Diagnostic"))
			switch {
			case strings.HasSuffix(v.Path, "/queryOrder"):
				assert.Equal(t, "01", resp.Fields["origRespCode"], "the order has an accepted refund (UM-A11)")
				assert.Equal(t, "3", resp.Fields["origRespDescCode"])
				assert.Equal(t, "被退货", resp.Fields["origRespDescMsg"])
				assert.Equal(t, "100", resp.Fields["txnAmt"])
				assert.True(t, resp.Numbers["txnAmt"])
			case strings.HasSuffix(v.Path, "/refundQuery"):
				assert.Equal(t, "02", resp.Fields["origRespCode"], "1st refund query: processing")
				assert.Equal(t, vectorRefund, resp.Fields["orderNo"])
				assert.Equal(t, "40", resp.Fields["txnAmt"])
				assert.Equal(t, "00", e.replay(t, v).Fields["origRespCode"], "2nd refund query: refunded")
			default:
				t.Fatalf("no expectation for vector path %s", v.Path)
			}
		})
	}
}

// With nothing seeded the vectors still verify: the answer is a business "not found".
func TestRealClientVectorsOnEmptyLedger(t *testing.T) {
	for name, v := range loadVectors(t, "requests") {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			resp := e.replay(t, v)
			assert.Equal(t, "17", resp.Code())
			assert.Equal(t, "交易不存在", resp.Fields["respMsg"])
		})
	}
}

// A request with acqMerId changed after signing is answered 200 with Umpay's bare error
// envelope and a diagnostic that shows the expected text as received: acqMerId is never
// consulted first. (That it is refused as badly signed and changes nothing is the
// conformance suite's.)
func TestTamperedVectorsExplainTheSignedText(t *testing.T) {
	vectors := loadVectors(t, "tampered")
	require.Len(t, vectors, 2)
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			resp := newEnv(t).replay(t, v)
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, "验证签名失败", resp.Fields["respMsg"])
			assert.Equal(t, []string{"respCode", "respMsg"}, keys(resp.Fields), "the error envelope carries nothing else")
			diag := resp.Header.Get("X-Paysim-Diagnostic")
			assert.Contains(t, diag, "does not verify")
			assert.Contains(t, diag, "expected signed text")
			assert.Contains(t, diag, "acqMerId=42516663", "the diagnostic shows the text as received")
		})
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
