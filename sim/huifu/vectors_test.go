package huifu_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

// replay sends a vector byte for byte with its headers; the answer must verify.
type vector = simtest.Vector

func loadVectors(t testing.TB, dir string) map[string]vector { return simtest.Vectors(t, "huifu", dir) }

func (e *env) replay(t *testing.T, v vector) *huifutest.Response {
	t.Helper()
	resp, err := e.client.Do(v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body))
	require.NoError(t, err, "the answer must be a signed Huifu response")
	return resp
}

// The order the vectors name, and their capture day: that order was paid that day.
const (
	vectorOrder = "pay202611220001"
	captureDay  = "20261122"
)

// Every request captured from the official Go, PHP and Python SDKs passes signature
// verification, and with the order they name seeded they do real business.
func TestRealClientVectors(t *testing.T) {
	vectors := loadVectors(t, "requests")
	require.Len(t, vectors, 12, "4 requests from each of the Go, PHP and Python SDKs")
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.seedPaidOn(t, vectorOrder, "1.00", captureDay)
			resp := e.replay(t, v)
			require.Equal(t, 200, resp.Status)
			require.NotEqual(t, "验签不通过", resp.Data["resp_desc"], "diagnostic: %s", resp.Header.Get("X-Paysim-Diagnostic"))
			switch {
			case strings.HasSuffix(v.Path, "/scanpay/query"):
				assert.Equal(t, "00000000", resp.Code())
				assert.Equal(t, "S", resp.Data["trans_stat"])
				assert.Equal(t, "1.00", resp.Data["trans_amt"])
			case strings.HasSuffix(v.Path, "/scanpay/refund"):
				assert.Equal(t, "00000100", resp.Code())
				assert.Equal(t, "P", resp.Data["trans_stat"])
				assert.Equal(t, "退款/测试", resp.Data["remark"], "free text is echoed raw, slash included")
			case strings.HasSuffix(v.Path, "/refundquery"):
				assert.Equal(t, "23000001", resp.Code(), "the refund it asks for was never made here")
			case strings.HasSuffix(v.Path, "/closequery"):
				assert.Equal(t, "23000001", resp.Code())
				assert.Equal(t, "关单记录不存在", resp.Data["resp_desc"])
			default:
				t.Fatalf("no expectation for vector path %s", v.Path)
			}
		})
	}
}

// The refund vectors followed by their refund-query vectors, in one simulator: the
// query made by each SDK finds the refund made by the same SDK.
func TestRealClientVectorsRefundThenQuery(t *testing.T) {
	vectors := loadVectors(t, "requests")
	e := newEnv(t)
	e.seedPaidOn(t, vectorOrder, "1.00", captureDay)
	for _, sdk := range []string{"go-sdk", "php-sdk", "python-sdk"} {
		var refund, query vector
		for name, v := range vectors {
			if strings.Contains(name, sdk) && strings.HasSuffix(v.Path, "/scanpay/refund") {
				refund = v
			}
			if strings.Contains(name, sdk) && strings.HasSuffix(v.Path, "/refundquery") {
				query = v
			}
		}
		require.NotEmpty(t, refund.Body, sdk)
		assert.Equal(t, "00000100", e.replay(t, refund).Code(), sdk)
		assert.Equal(t, "P", e.replay(t, query).Data["trans_stat"], "%s: 1st refund query", sdk)
		assert.Equal(t, "S", e.replay(t, query).Data["trans_stat"], "%s: 2nd refund query", sdk)
	}
}

// Every tampered vector is refused with a diagnostic that says the sign does not verify
// and gives the text paysim expected to be signed. (That it is refused as badly signed,
// 10000000 验签不通过, with a diagnostic, and changes nothing, is checked by the
// conformance suite; see TestConformance.)
func TestTamperedVectorsDiagnostic(t *testing.T) {
	vectors := loadVectors(t, "tampered")
	require.Len(t, vectors, 12)
	e := newEnv(t)
	e.seedPaidOn(t, vectorOrder, "1.00", captureDay)
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			diag := e.replay(t, v).Header.Get("X-Paysim-Diagnostic")
			assert.Contains(t, diag, "sign does not verify")
			assert.Contains(t, diag, "expected signed text")
		})
	}
}
