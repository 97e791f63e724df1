package shouqianba_test

import (
	"fmt"
	"io/fs"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// env is one simulator behind a real HTTP server, with a strict Shouqianba client.
type env struct {
	core     *sim.Simulator
	clock    *sim.VirtualClock
	provider *shouqianba.Provider
	srv      *httptest.Server
	client   *shouqianbatest.Client
}

func newEnv(t testing.TB, opts ...sim.Option) *env {
	t.Helper()
	return newEnvVerify(t, gateway.VerifyStrict, opts...)
}

// newEnvVerify is newEnv with requests verified in mode.
func newEnvVerify(t testing.TB, mode gateway.VerifyMode, opts ...sim.Option) *env {
	t.Helper()
	return newEnvFiles(t, mode, scenarioFiles(t), opts...)
}

// newEnvScenarios is newEnv with more scenario files (name → YAML) loaded, for the tests
// that need a scenario no other test should see (a golden transcript lists the names).
func newEnvScenarios(t testing.TB, extra map[string]string, opts ...sim.Option) *env {
	t.Helper()
	files := scenarioFiles(t)
	for n, text := range extra {
		files[n] = &fstest.MapFile{Data: []byte(text)}
	}
	return newEnvFiles(t, gateway.VerifyStrict, files, opts...)
}

func newEnvFiles(t testing.TB, mode gateway.VerifyMode, files fs.FS, opts ...sim.Option) *env {
	t.Helper()
	core, clock := simtest.NewCore(t, files, opts...)
	p, err := shouqianba.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	srv := simtest.Serve(t, core, p, mode)
	return &env{core: core, clock: clock, provider: p, srv: srv, client: shouqianbatest.NewClient(srv.URL)}
}

var idSeq atomic.Int64

// id returns a request id unique within the test binary.
func id(prefix string) string { return fmt.Sprintf("%s%06d", prefix, idSeq.Add(1)) }

// post sends a signed request through the strict client and fails the test on transport
// or shape problems.
func (e *env) post(t testing.TB, path string, fields map[string]any) *shouqianbatest.Response {
	t.Helper()
	resp, err := e.client.Post(path, fields)
	require.NoError(t, err)
	require.Equal(t, 200, resp.Status)
	return resp
}

// seedPaid books a paid order of the test merchant, as the control plane does.
func (e *env) seedPaid(t testing.TB, clientSN string, fen sim.Amount, fields map[string]string) sim.PaymentView {
	t.Helper()
	return seedPaid(t, e.core, e.provider, clientSN, fen, fields)
}

// seedPaid books a paid order of the test merchant on core, as the control plane does.
func seedPaid(t testing.TB, core *sim.Simulator, p *shouqianba.Provider, clientSN string, fen sim.Amount, fields map[string]string) sim.PaymentView {
	t.Helper()
	req := sim.PaymentRequest{Key: sim.Key{Provider: shouqianba.Name, Merchant: shouqianba.TestMerchantSN, ID: clientSN},
		Amount: fen, Fields: fields}
	require.NoError(t, p.PrepareSeed(&req))
	v, err := core.SeedPayment(req)
	require.NoError(t, err)
	return v
}

// snapshot renders every entity, to prove a request changed nothing.
func (e *env) snapshot(t testing.TB) string { return simtest.Snapshot(e.core) }

func (e *env) advance(t testing.TB, d time.Duration) {
	t.Helper()
	_, err := e.clock.Advance(d)
	require.NoError(t, err)
}

const (
	pathActivate  = "/terminal/activate"
	pathCheckin   = "/terminal/checkin"
	pathPay       = "/upay/v2/pay"
	pathPrecreate = "/upay/v2/precreate"
	pathQuery     = "/upay/v2/query"
	pathRefund    = "/upay/v2/refund"
	pathRevoke    = "/upay/v2/revoke"
	pathCancel    = "/upay/v2/cancel"
	pathUploadLog = "/terminal/uploadLog"
)

const wechatCode = "134567890123456789"

func payBody(clientSN, amount string) map[string]any {
	return map[string]any{"client_sn": clientSN, "total_amount": amount, "dynamic_id": wechatCode,
		"subject": "测试商品", "operator": "op01"}
}

func precreateBody(clientSN, amount, payway string) map[string]any {
	return map[string]any{"client_sn": clientSN, "total_amount": amount, "payway": payway,
		"subject": "测试商品", "operator": "op01"}
}

func queryBySN(sn string) map[string]any { return map[string]any{"sn": sn} }

func queryByClientSN(clientSN string) map[string]any { return map[string]any{"client_sn": clientSN} }

func refundBody(clientSN, requestNo, amount string) map[string]any {
	return map[string]any{"client_sn": clientSN, "refund_request_no": requestNo, "refund_amount": amount, "operator": "op01"}
}

// testScenarios drive the outcomes no shipped scenario produces on Shouqianba; tests pick
// them with the X-Paysim-Scenario header, so they never apply by themselves.
var testScenarios = map[string]string{
	"sqb-pay-insufficient-fund.yaml": `version: 1
name: sqb-pay-insufficient-fund
description: The payer's wallet refuses the payment.
operation: payment
providers: [shouqianba]
states:
  - name: failed
    status: failed
    fields:
      shouqianba: {error_code: INSUFFICIENT_FUND, error_message: 账户金额不足}
`,
	"sqb-close-slow.yaml": `version: 1
name: sqb-close-slow
description: A cancel is in progress until the 1st query after it.
operation: close
providers: [shouqianba]
states:
  - name: processing
    status: processing
    until: {queries: 1}
    next: closed
  - name: closed
    status: success
`,
	"sqb-refund-fails.yaml": `version: 1
name: sqb-refund-fails
description: The wallet refuses the refund.
operation: refund
providers: [shouqianba]
states:
  - name: failed
    status: failed
`,
	"sqb-refund-unknown.yaml": `version: 1
name: sqb-refund-unknown
description: The refund's outcome stays unknown.
operation: refund
providers: [shouqianba]
states:
  - name: unknown
    status: unknown
`,
}

// scenarioFiles is the shipped set plus testScenarios.
func scenarioFiles(t testing.TB) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{}
	shipped := paysim.DefaultScenarios()
	names, err := fs.Glob(shipped, "*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names {
		b, err := fs.ReadFile(shipped, n)
		require.NoError(t, err)
		files[n] = &fstest.MapFile{Data: b}
	}
	for n, text := range testScenarios {
		files[n] = &fstest.MapFile{Data: []byte(text)}
	}
	return files
}

// withScenario returns a client that asks for a scenario by header.
func (e *env) withScenario(name string) *shouqianbatest.Client {
	c := e.client.WithTerminal(e.client.TerminalSN, e.client.TerminalKey)
	c.Header.Set("X-Paysim-Scenario", name)
	return c
}

// postAs sends through another client (another terminal, a scenario header).
func postAs(t testing.TB, c *shouqianbatest.Client, path string, fields map[string]any) *shouqianbatest.Response {
	t.Helper()
	resp, err := c.Post(path, fields)
	require.NoError(t, err)
	require.Equal(t, 200, resp.Status)
	return resp
}
