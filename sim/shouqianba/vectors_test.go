package shouqianba_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// replay sends a vector byte for byte with its headers; the answer must decode strictly.
type vector = simtest.Vector

func loadVectors(t testing.TB, dir string) map[string]vector {
	return simtest.Vectors(t, "shouqianba", dir)
}

func (e *env) replay(t *testing.T, v vector) *shouqianbatest.Response {
	t.Helper()
	resp, err := e.client.Do(v.Method, v.Path, v.Headers, []byte(v.Body))
	require.NoError(t, err, "the answer must be a well-formed Shouqianba response")
	return resp
}

// The order the official Java demo's query and refund name (sn and client_sn), paid
// 10.00 yuan, so that those vectors do real business.
const (
	javaDemoSN       = "7892259488292938"
	javaDemoClientSN = "18348290098298292838"
)

func (e *env) seedJavaDemoOrder(t *testing.T) { seedJavaDemoOrder(t, e.core, e.provider) }

func seedJavaDemoOrder(t testing.TB, core *sim.Simulator, p *shouqianba.Provider) {
	t.Helper()
	seedPaid(t, core, p, javaDemoClientSN, 1000, map[string]string{"sn": javaDemoSN, "payway": "1"})
}

// goClientClientSN is the order the community Go client's vectors pay, query and refund.
const goClientClientSN = "c20240101000001"

// seedVectorOrders books every order the vectors name, for vectors replayed one by one
// on a fresh simulator: the Java demo's order and the Go client's 1.00 yuan order (whose
// pay vector is then a CLIENT_SN_CONFLICT, whose query and refund find it).
func seedVectorOrders(t testing.TB, core *sim.Simulator, p *shouqianba.Provider) {
	t.Helper()
	seedJavaDemoOrder(t, core, p)
	seedPaid(t, core, p, goClientClientSN, 100, nil)
}

// Every request captured from the official Java demo and the community Go client passes
// signature verification and does real business, replayed in capture order per client.
func TestRealClientVectors(t *testing.T) {
	vectors := loadVectors(t, "requests")
	require.Len(t, vectors, 6, "pay, query and refund from each of two clients")
	for _, client := range []string{"shouqianba-official-java-demo", "shouqianba-community-go-client"} {
		t.Run(client, func(t *testing.T) {
			e := newEnv(t)
			e.seedJavaDemoOrder(t)
			get := func(op string) vector {
				v, ok := vectors["shouqianba--"+client+"--upay-v2-"+op+".json"]
				require.True(t, ok, op)
				return v
			}
			pay := e.replay(t, get("pay"))
			require.Equal(t, "200", pay.ResultCode, "diagnostic: %s", pay.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, "PAY_SUCCESS", pay.Code(), "a barcode payment with no trigger succeeds at once")
			assert.Equal(t, "PAID", pay.Data("order_status"))

			query := e.replay(t, get("query"))
			require.Equal(t, "200", query.ResultCode, "diagnostic: %s", query.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, "SUCCESS", query.Code())
			assert.Equal(t, "PAID", query.Data("order_status"))

			refund := e.replay(t, get("refund"))
			require.Equal(t, "200", refund.ResultCode, "diagnostic: %s", refund.Header.Get("X-Paysim-Diagnostic"))
			assert.Equal(t, "REFUND_IN_PROGRESS", refund.Code(), "the default refund scenario")
			assert.Equal(t, refund.Data("total_amount"), refund.Data("net_amount"), "nothing is refunded until the refund succeeds")
			assert.Equal(t, refund.Data("total_amount"), refund.Data("settlement_amount"))

			if client == "shouqianba-official-java-demo" {
				assert.Equal(t, javaDemoSN, query.Data("sn"), "found by sn first")
				assert.Equal(t, "1000", query.Data("total_amount"))
				assert.Equal(t, "1414016568127172", pay.Data("client_sn"))
				assert.Equal(t, "1", pay.Data("payway"), "payway given wins over the barcode prefix")
			} else {
				assert.Equal(t, pay.Data("sn"), query.Data("sn"), "the query finds the order the pay made")
				assert.Equal(t, "100", query.Data("total_amount"))
				assert.Equal(t, "3", pay.Data("payway"))
				assert.Equal(t, "微信", pay.Data("payway_name"))
			}
		})
	}
}

// A tampered vector's refusal is Shouqianba's: HTTP 200 with 签名错误, and a diagnostic
// that quotes the body as received and what paysim signed, with the key redacted. (That
// it is refused as ILLEGAL_SIGN and changes nothing is the conformance suite's.)
func TestTamperedVectorDiagnostic(t *testing.T) {
	vectors := loadVectors(t, "tampered")
	require.Len(t, vectors, 6)
	e := newEnv(t)
	for name, v := range vectors {
		t.Run(name, func(t *testing.T) {
			resp := e.replay(t, v)
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, "ILLEGAL_SIGN", resp.ErrorCode)
			assert.Equal(t, "签名错误", resp.ErrorMessage)
			diag := resp.Header.Get("X-Paysim-Diagnostic")
			assert.Contains(t, diag, "signature does not verify")
			assert.Contains(t, diag, "expected signed text")
			assert.Contains(t, diag, `100000330000000009`, "the diagnostic quotes the body as received")
			assert.NotContains(t, diag, shouqianbatest.TerminalKey, "the key is redacted")
			assert.Empty(t, resp.Header.Get("X-Paysim-Scenario"))
		})
	}
}

// In verify mode log or off the tampered vectors are served, and then SQ-A3 refuses them:
// the body names another terminal than the signer.
func TestVerifyModesStillCheckTheBodyTerminal(t *testing.T) {
	var v vector
	for name, x := range loadVectors(t, "tampered") {
		if strings.Contains(name, "go-client--upay-v2-query") {
			v = x
		}
	}
	require.NotEmpty(t, v.Body)
	for _, mode := range []gateway.VerifyMode{gateway.VerifyLog, gateway.VerifyOff} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnvVerify(t, mode)
			resp := e.replay(t, v)
			assert.Equal(t, "INVALID_TERMINAL", resp.ErrorCode)
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "signed by terminal 100000330000000001")
		})
	}
}
