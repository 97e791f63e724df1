package huishouqian_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

// method is the vector's method form field.
func vectorMethod(v vector) string {
	for _, kv := range strings.Split(v.Body, "&") {
		if name, value, _ := strings.Cut(kv, "="); name == "method" {
			return value
		}
	}
	return ""
}

// replay sends a vector byte for byte with its headers; the answer must verify.
type vector = simtest.Vector

func loadVectors(t testing.TB, dir string) map[string]vector {
	return simtest.Vectors(t, "huishouqian", dir)
}

func (e *env) replay(t *testing.T, v vector) *huishouqiantest.Response {
	t.Helper()
	resp, err := e.client.Do(v.Method, v.Path, v.Headers["Content-Type"], []byte(v.Body))
	require.NoError(t, err, "the answer must be a signed Huishouqian response")
	require.Equal(t, 200, resp.Status)
	return resp
}

// The original order the vectors name, paid for 100 fen (the refund vector's origOrderAmt).
const vectorOrder = "PAY20240101000001"

// Every request captured from the PHP client passes signature verification, and with the
// order it names seeded it does real business.
func TestRealClientVectors(t *testing.T) {
	vectors := loadVectors(t, "requests")
	require.Len(t, vectors, 3, "query, refund and refund query from the PHP client")
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.seedPaid(t, vectorOrder, 100)
			resp := e.replay(t, v)
			require.True(t, resp.Success, "errorCode %s %s; diagnostic: %s", resp.ErrorCode, resp.ErrorMsg, resp.Header.Get("X-Paysim-Diagnostic"))
			switch vectorMethod(v) {
			case query:
				assert.Equal(t, "200007", resp.RespCode())
				assert.Equal(t, "SUCCESS", resp.OrderStatus())
				assert.Equal(t, "100", resp.Result["orderAmt"])
				assert.Equal(t, vectorOrder, resp.Result["transNo"])
			case refund:
				assert.Equal(t, "100201", resp.RespCode())
				assert.Equal(t, "PROCESSING", resp.OrderStatus())
				assert.Equal(t, "100", resp.Result["orderAmt"])
				assert.Equal(t, "RF20240101000001", resp.Result["transNo"])
				assert.Equal(t, vectorOrder, resp.Result["origTransNo"])
				assert.Equal(t, "refund-processing-then-success", resp.Header.Get("X-Paysim-Scenario"))
				assert.Equal(t, int64(100), int64(e.payment(t, vectorOrder).Pending), "the refund is booked")
			case refundQuery:
				assert.Equal(t, "200004", resp.RespCode(), "the refund it asks for was never made here")
				assert.Equal(t, "订单不存在", resp.Result["respMsg"])
			default:
				t.Fatalf("no expectation for method %s", vectorMethod(v))
			}
		})
	}
}

// The refund vector followed by the refund-query vector in one simulator: the query finds
// the refund, processing first and successful on the 2nd query.
func TestRealClientVectorsRefundThenQuery(t *testing.T) {
	vectors := loadVectors(t, "requests")
	var rf, rq vector
	for _, v := range vectors {
		switch vectorMethod(v) {
		case refund:
			rf = v
		case refundQuery:
			rq = v
		}
	}
	require.NotEmpty(t, rf.Body)
	require.NotEmpty(t, rq.Body)
	e := newEnv(t)
	e.seedPaid(t, vectorOrder, 100)
	first := e.replay(t, rf)
	require.Equal(t, "PROCESSING", first.OrderStatus())
	assert.Equal(t, "PROCESSING", e.replay(t, rq).OrderStatus(), "1st refund query")
	done := e.replay(t, rq)
	assert.Equal(t, "SUCCESS", done.OrderStatus(), "2nd refund query")
	assert.Equal(t, "200007", done.RespCode())
	assert.Equal(t, "20260101100000", done.Result["finishedDate"])
	assert.Equal(t, first.Result["tradeNo"], done.Result["tradeNo"])

	again := e.replay(t, rf)
	assert.Equal(t, string(first.Body), string(again.Body), "an identical refund replays the stored result (HQ-A4)")
	assert.Equal(t, int64(100), int64(e.payment(t, vectorOrder).Refunded), "booked once")
}

// A tampered request is refused as badly signed and changes nothing: that is the
// conformance suite's. Here: how Huishouqian's refusal reads and explains itself.
func TestTamperedVectorDiagnostic(t *testing.T) {
	vectors := loadVectors(t, "tampered")
	require.Len(t, vectors, 3)
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.seedPaid(t, vectorOrder, 100)
			resp := e.replay(t, v)
			assert.Equal(t, "SIGN_ERROR", resp.ErrorCode)
			assert.Equal(t, "验签失败", resp.ErrorMsg)
			diag := resp.Header.Get("X-Paysim-Diagnostic")
			assert.Contains(t, diag, "sign does not verify")
			assert.Contains(t, diag, `expected signed text: "method=`+vectorMethod(v)+`&version=1.0&format=JSON&merchantNo=864000000001&signType=RSA2&signContent={`)
			assert.Contains(t, diag, "&key=<sign key redacted>")
			assert.NotContains(t, diag, e.client.SignKey, "the shared secret never leaks")
			assert.Empty(t, resp.Header.Get("X-Paysim-Scenario"))
		})
	}
}
