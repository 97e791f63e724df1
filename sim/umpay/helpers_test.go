package umpay_test

import (
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// env is one simulator behind a real HTTP server, with a verifying Umpay client.
type env struct {
	core   *sim.Simulator
	clock  *sim.VirtualClock
	srv    *httptest.Server
	client *umpaytest.Client
	um     *umpay.Provider
}

func newEnv(t testing.TB, opts ...sim.Option) *env {
	t.Helper()
	return newEnvVerify(t, gateway.VerifyStrict, opts...)
}

// newEnvVerify is newEnv with requests verified in mode.
func newEnvVerify(t testing.TB, mode gateway.VerifyMode, opts ...sim.Option) *env {
	t.Helper()
	// The shipped scenarios, unchanged, plus header-only test scenarios (scenarios_test.go).
	core, clock := simtest.NewCore(t, scenarioFS(t), opts...)
	um, err := umpay.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	srv := simtest.Serve(t, core, um, mode)
	client, err := umpaytest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)
	return &env{core: core, clock: clock, srv: srv, client: client, um: um}
}

var idSeq atomic.Int64

// id returns an order number unique within the test binary.
func id(prefix string) string { return fmt.Sprintf("%s%06d", prefix, idSeq.Add(1)) }

// orderTime is the virtual clock's start, as a client would stamp it.
const orderTime = "20260101100000"

// post sends a signed request and fails the test on transport or signature problems.
func (e *env) post(t testing.TB, path string, fields map[string]any) *umpaytest.Response {
	t.Helper()
	resp, err := e.client.Post(path, fields)
	require.NoError(t, err)
	return resp
}

// seedPaid books a paid order as the control plane does; api picks the route it
// pretends the order came through.
func (e *env) seedPaid(t testing.TB, orderNo string, fen sim.Amount, api string) sim.PaymentView {
	t.Helper()
	return seedOrder(t, e.core, e.um, orderNo, fen, api)
}

// snapshot renders every entity, to prove a request changed nothing.
func (e *env) snapshot(t testing.TB) string { return simtest.Snapshot(e.core) }

func (e *env) payment(t testing.TB, orderNo string) sim.PaymentView {
	t.Helper()
	v, err := e.core.QueryPayment(umpay.Name, umpaytest.MerID, sim.ByID(orderNo), false)
	require.NoError(t, err)
	return v
}

func ids() map[string]any {
	return map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID}
}

func with(base map[string]any, kv ...any) map[string]any {
	for i := 0; i+1 < len(kv); i += 2 {
		base[kv[i].(string)] = kv[i+1]
	}
	return base
}

func micropayData(orderNo, fen, orderType string) map[string]any {
	return with(ids(), "orderTime", orderTime, "orderNo", orderNo, "txnAmt", fen, "orderType", orderType,
		"authCode", "134567890123456789", "goodsInfo", "测试商品")
}

func qrpayData(orderNo, fen, orderType string) map[string]any {
	return with(ids(), "orderTime", orderTime, "orderNo", orderNo, "txnAmt", fen, "orderType", orderType,
		"goodsInfo", "测试商品", "backUrl", "http://127.0.0.1:9/notify")
}

func unifiedData(orderNo, fen, orderType string) map[string]any {
	return with(ids(), "orderTime", orderTime, "orderNo", orderNo, "txnAmt", fen, "orderType", orderType,
		"userId", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "appId", "wx1234567890abcdef")
}

// queryData is what the official demo sends: transactionId present and empty.
func queryData(orderNo string) map[string]any {
	return with(ids(), "orderNo", orderNo, "transactionId", "")
}

func refundData(orderNo, origOrderNo string, origFen, fen any) map[string]any {
	return with(ids(), "orderTime", orderTime, "orderNo", orderNo, "origOrderNo", origOrderNo,
		"origTxnAmt", origFen, "txnAmt", fen)
}

func refundQueryData(orderNo string) map[string]any {
	return with(ids(), "orderNo", orderNo)
}

func closeData(orderNo string) map[string]any {
	return with(ids(), "orderNo", orderNo)
}

const (
	pathMicropay    = "/pay/micropay"
	pathQRPay       = "/pay/qrpay"
	pathUnified     = "/pay/unifiedOrder"
	pathQuery       = "/pay/queryOrder"
	pathRefund      = "/pay/refund"
	pathRefundQuery = "/pay/refundQuery"
	pathClose       = "/pay/closeOrder"
	pathCancel      = "/pay/cancelOrder"
)
