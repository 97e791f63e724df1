package huifu_test

import (
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

// env is one simulator behind a real HTTP server, with a verifying Huifu client.
type env struct {
	hf     *huifu.Provider
	core   *sim.Simulator
	clock  *sim.VirtualClock
	srv    *httptest.Server
	client *huifutest.Client
}

func newEnv(t testing.TB, opts ...sim.Option) *env {
	t.Helper()
	return newEnvVerify(t, gateway.VerifyStrict, opts...)
}

// newEnvVerify is newEnv with requests verified in mode.
func newEnvVerify(t testing.TB, mode gateway.VerifyMode, opts ...sim.Option) *env {
	t.Helper()
	core, clock := simtest.NewCore(t, paysim.DefaultScenarios(), opts...)
	hf, err := huifu.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	srv := simtest.Serve(t, core, hf, mode)
	client, err := huifutest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)
	return &env{hf: hf, core: core, clock: clock, srv: srv, client: client}
}

var idSeq atomic.Int64

// id returns a request id unique within the test binary.
func id(prefix string) string { return fmt.Sprintf("%s%06d", prefix, idSeq.Add(1)) }

const today = "20260101" // the virtual clock's start date

// post sends a signed request and fails the test on transport or signature problems.
func (e *env) post(t testing.TB, path string, data map[string]any) *huifutest.Response {
	t.Helper()
	resp, err := e.client.Post(path, data)
	require.NoError(t, err)
	return resp
}

// seedPaid books a paid order dated today, as the control plane does.
func (e *env) seedPaid(t testing.TB, id, amount string) sim.PaymentView {
	return e.seedPaidOn(t, id, amount, today)
}

func (e *env) seedPaidOn(t testing.TB, id, amount, reqDate string) sim.PaymentView {
	t.Helper()
	a, err := sim.ParseYuan(amount)
	require.NoError(t, err)
	return seedPaidOrder(t, e.core, e.hf, id, a, reqDate)
}

// seedPaidOrder books on core a paid order of amount for the test merchant, requested on
// reqDate, minted by hf as the control plane does.
func seedPaidOrder(t testing.TB, core *sim.Simulator, hf *huifu.Provider, id string, amount sim.Amount, reqDate string) sim.PaymentView {
	t.Helper()
	req := sim.PaymentRequest{Key: sim.Key{Provider: huifu.Name, Merchant: huifutest.HuifuID, ID: id}, Amount: amount,
		Fields: map[string]string{"req_date": reqDate}}
	require.NoError(t, hf.PrepareSeed(&req))
	v, err := core.SeedPayment(req)
	require.NoError(t, err)
	return v
}

// snapshot renders every entity, to prove a request changed nothing.
func (e *env) snapshot(t testing.TB) string { return simtest.Snapshot(e.core) }

func refundData(reqSeq, orgSeq, amount string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"ord_amt": amount, "org_req_date": today, "org_req_seq_id": orgSeq}
}

func refundQueryData(refundSeq string) map[string]any {
	return map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "org_req_seq_id": refundSeq}
}

func queryData(orgSeq string) map[string]any {
	return map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": today, "org_req_seq_id": orgSeq}
}

func jspayData(reqSeq, amount, tradeType string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"goods_desc": "测试商品", "trade_type": tradeType, "trans_amt": amount}
}

func micropayData(reqSeq, amount, authCode string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"goods_desc": "测试商品", "trans_amt": amount, "auth_code": authCode,
		"risk_check_data": `{"ip_addr":"127.0.0.1"}`}
}

func closeData(reqSeq, orgSeq string) map[string]any {
	return map[string]any{"req_date": today, "req_seq_id": reqSeq, "huifu_id": huifutest.HuifuID,
		"org_req_date": today, "org_req_seq_id": orgSeq}
}

const (
	pathJspay       = "/v3/trade/payment/jspay"
	pathMicropay    = "/v3/trade/payment/micropay"
	pathQuery       = "/v3/trade/payment/scanpay/query"
	pathRefund      = "/v3/trade/payment/scanpay/refund"
	pathRefundQuery = "/v3/trade/payment/scanpay/refundquery"
	pathClose       = "/v2/trade/payment/scanpay/close"
	pathCloseQuery  = "/v2/trade/payment/scanpay/closequery"
)

// withField sets a data member of a request, for a table of bad inputs.
func withField(d map[string]any, k string, v any) map[string]any {
	d[k] = v
	return d
}

// withoutField removes a data member of a request.
func withoutField(d map[string]any, k string) map[string]any {
	delete(d, k)
	return d
}
