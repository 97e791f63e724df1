package paysimtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// Each provider's client reaches its seeded order and verifies the answer itself.
func TestClientsReachEveryProvider(t *testing.T) {
	ps := paysimtest.New(t)

	ps.Seed("huifu", huifutest.HuifuID, "hf-1", "1.00")
	hf, err := ps.Huifu().Post("/v3/trade/payment/scanpay/query", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "hf-1"})
	require.NoError(t, err)
	assert.Equal(t, "S", hf.Data["trans_stat"])

	ps.Seed("huishouqian", huishouqiantest.MerchantNo, "hsq-1", "1.00")
	hsq, err := ps.Huishouqian().Post("POLYMERIZE_QUERY", map[string]any{"transNo": "hsq-1"})
	require.NoError(t, err)
	assert.Equal(t, "SUCCESS", hsq.OrderStatus())

	ps.Seed("shouqianba", shouqianba.TestMerchantSN, "sqb-1", "1.00")
	sqb, err := ps.Shouqianba().Post("/upay/v2/query", map[string]any{"client_sn": "sqb-1"})
	require.NoError(t, err)
	assert.Equal(t, "PAID", sqb.Data("order_status"))

	ps.Seed("umpay", umpaytest.MerID, "um-1", "1.00")
	um, err := ps.Umpay().Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID,
		"orderNo": "um-1", "transactionId": ""})
	require.NoError(t, err)
	assert.Equal(t, "00", um.Code())
}

// Arm, Advance, Order, Reset and WaitNotification drive the control plane.
func TestControlHelpers(t *testing.T) {
	ps := paysimtest.New(t, paysim.WithSeed(7))
	var hits int
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte("RECV_ORD_ID_r-1"))
	}))
	defer receiver.Close()

	ps.Seed("huifu", huifutest.HuifuID, "p-1", "5.00")
	armed := ps.Arm("refund-processing-then-success", paysimtest.Arm{Provider: "huifu", Times: 1, TTL: time.Minute})
	assert.Equal(t, 1, armed.Remaining)
	resp, err := ps.Huifu().Post("/v3/trade/payment/scanpay/refund", map[string]any{
		"req_date": "20260101", "req_seq_id": "r-1", "huifu_id": huifutest.HuifuID, "ord_amt": "1.00",
		"org_req_date": "20260101", "org_req_seq_id": "p-1", "notify_url": receiver.URL})
	require.NoError(t, err)
	assert.Equal(t, "P", resp.Data["trans_stat"])

	order := ps.Order("huifu", "r-1")
	assert.Equal(t, "p-1", order.ID, "a refund's id finds its payment")
	require.Len(t, order.Refunds, 1)
	assert.Equal(t, "processing", string(order.Refunds[0].Status))
	assert.Contains(t, order.Refunds[0].SelectedBy, "armed")

	now := ps.Advance(30 * time.Second)
	assert.True(t, now.Equal(paysim.DefaultVirtualStart.Add(30*time.Second)), now)
	assert.Equal(t, "success", string(ps.Order("huifu", "r-1").Refunds[0].Status))
	n := ps.WaitNotification("r-1", "acked", 5*time.Second)
	assert.Equal(t, "huifu", n.Provider)

	ps.Reset("")
	assert.Empty(t, ps.Paysim.Core().Inspect("", "", ""), "a reset forgets every entity")
}

// A failing control-plane call fails the test with paysim's own explanation.
func TestHelperFailureExplains(t *testing.T) {
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		ps := paysimtest.New(ft)
		ps.Order("huifu", "nope")
	}()
	<-done
	assert.Contains(t, ft.msg, "answered 404")
	assert.Contains(t, ft.msg, `no payment, refund or close with id \"nope\"`)
}

// fakeT records a Fatalf and ends its goroutine, as testing.T does, so the message can
// be checked.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeT) Helper() {}

// Example is the body of a Go test that refunds a Huifu payment and watches it succeed.
func Example() {
	testRefund := func(t *testing.T) {
		ps := paysimtest.New(t) // a paysim on a loopback port and a virtual clock, for this test only
		ps.Seed("huifu", huifutest.HuifuID, "order-1", "10.00")
		resp, err := ps.Huifu().Post("/v3/trade/payment/scanpay/refund", map[string]any{
			"req_date": "20260101", "req_seq_id": "refund-1", "huifu_id": huifutest.HuifuID,
			"ord_amt": "2.50", "org_req_date": "20260101", "org_req_seq_id": "order-1"})
		if err != nil || resp.Data["trans_stat"] != "P" {
			t.Fatalf("refund: %v %s", err, resp.Body)
		}
		ps.Advance(30 * time.Second)
		if got := ps.Order("huifu", "refund-1").Refunds[0].Status; got != "success" {
			t.Fatalf("refund is %s after 30 s", got)
		}
	}
	_ = testRefund
}
