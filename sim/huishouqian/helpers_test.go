package huishouqian_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

// env is one simulator behind a real HTTP server, with a verifying Huishouqian client.
type env struct {
	core     *sim.Simulator
	clock    *sim.VirtualClock
	provider *huishouqian.Provider
	srv      *httptest.Server
	client   *huishouqiantest.Client
}

func newEnv(t testing.TB, opts ...sim.Option) *env {
	t.Helper()
	return newEnvVerify(t, gateway.VerifyStrict, opts...)
}

// newEnvVerify is newEnv with requests verified in mode.
func newEnvVerify(t testing.TB, mode gateway.VerifyMode, opts ...sim.Option) *env {
	t.Helper()
	core, clock := simtest.NewCore(t, paysim.DefaultScenarios(), opts...)
	p, err := huishouqian.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	srv := simtest.Serve(t, core, p, mode)
	client, err := huishouqiantest.NewClient(srv.URL, paysim.DefaultKeys())
	require.NoError(t, err)
	return &env{core: core, clock: clock, provider: p, srv: srv, client: client}
}

var idSeq atomic.Int64

// id returns a transNo unique within the test binary.
func id(prefix string) string { return fmt.Sprintf("%s%06d", prefix, idSeq.Add(1)) }

const requestDate = "20260101100000" // the virtual clock's start

// post sends a signed request and fails the test on transport or signature problems.
func (e *env) post(t testing.TB, method string, biz map[string]any) *huishouqiantest.Response {
	t.Helper()
	resp, err := e.client.Post(method, biz)
	require.NoError(t, err)
	require.Equal(t, 200, resp.Status)
	return resp
}

// seedPaid books a paid order, as the control plane does.
func (e *env) seedPaid(t testing.TB, transNo string, fen int64) sim.PaymentView {
	t.Helper()
	req := sim.PaymentRequest{Key: sim.Key{Provider: huishouqian.Name, Merchant: huishouqiantest.MerchantNo, ID: transNo}, Amount: sim.Amount(fen)}
	require.NoError(t, e.provider.PrepareSeed(&req))
	v, err := e.core.SeedPayment(req)
	require.NoError(t, err)
	return v
}

// payment reads a payment without counting a status query.
func (e *env) payment(t testing.TB, transNo string) sim.PaymentView {
	t.Helper()
	v, err := e.core.QueryPayment(huishouqian.Name, huishouqiantest.MerchantNo, sim.ByID(transNo), false)
	require.NoError(t, err)
	return v
}

// snapshot renders every entity, to prove a request changed nothing.
func (e *env) snapshot(t testing.TB) string { return simtest.Snapshot(e.core) }

func mainSweptBiz(transNo string, amount any, payType string) map[string]any {
	return map[string]any{"transNo": transNo, "orderAmt": amount, "payType": payType, "goodsInfo": "测试商品",
		"requestDate": requestDate, "returnUrl": "https://merchant.example/notify/hsq", "extend": "自定义参数"}
}

func barcodeBiz(transNo string, amount any, payType, payCode string) map[string]any {
	b := mainSweptBiz(transNo, amount, payType)
	b["payCode"] = payCode
	return b
}

func queryBiz(transNo string) map[string]any {
	return map[string]any{"transNo": transNo, "queryType": "2"}
}

func refundBiz(transNo, origTransNo string, amount any) map[string]any {
	return map[string]any{"transNo": transNo, "origTransNo": origTransNo, "orderAmt": amount, "refundType": "2",
		"requestDate": requestDate, "refundReason": "申请退款", "extend": "退款/附加"}
}

func refundQueryBiz(transNo string) map[string]any { return map[string]any{"transNo": transNo} }

const (
	mainSwept   = huishouqian.MethodMainSwept
	beSwept     = huishouqian.MethodBeSwept
	query       = huishouqian.MethodQuery
	refund      = huishouqian.MethodRefund
	refundQuery = huishouqian.MethodRefundQuery
)

// multipartBody renders a form as multipart/form-data, as PHP's curl does for an array.
func multipartBody(t testing.TB, f huishouqiantest.Form) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range [][2]string{{"method", f.Method}, {"version", f.Version}, {"format", f.Format}, {"merchantNo", f.MerchantNo},
		{"signType", f.SignType}, {"signContent", f.SignContent}, {"sign", f.Sign}} {
		require.NoError(t, w.WriteField(kv[0], kv[1]))
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

// postRaw posts a form body and returns the raw answer, unverified.
func postRaw(t testing.TB, e *env, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(e.srv.URL+huishouqiantest.Path, "application/x-www-form-urlencoded", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return raw
}
