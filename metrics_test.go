package paysim_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/metrics"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

func scrapeMetrics(t *testing.T, ps *paysimtest.Server) metrics.Samples {
	t.Helper()
	resp, err := http.Get(ps.URL + "/__paysim/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	s, err := metrics.ParseText(bytes.NewReader(raw))
	require.NoError(t, err, "%s", raw)
	return s
}

// A known sequence through a real paysim, every answer verified with the platform key,
// then one scrape over HTTP: each counter holds exactly what happened.
func TestMetricsAfterAKnownSequence(t *testing.T) {
	// Two entities at most: a payment that cannot be booked, with nothing finished to
	// forget, is paysim's own failure to serve (error).
	ps := paysimtest.New(t, paysim.WithMaxEntities(2))
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "RECV_ORD_ID_order-1")
	}))
	defer receiver.Close()
	hf := ps.Huifu()
	payment := func(id string) map[string]any {
		return map[string]any{"req_date": "20260101", "req_seq_id": id, "huifu_id": huifutest.HuifuID,
			"goods_desc": "测试", "trade_type": "A_NATIVE", "trans_amt": "1.00"}
	}
	query := map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "order-1"}

	// 1. A QR payment: served, processing until its first query (the default scenario).
	pay := payment("order-1")
	pay["notify_url"] = receiver.URL
	r, err := hf.Post("/v3/trade/payment/jspay", pay)
	require.NoError(t, err)
	require.Equal(t, "P", r.Data["trans_stat"])

	// 2. The query: served; the payment is paid and its notification goes out.
	r, err = hf.Post("/v3/trade/payment/scanpay/query", query)
	require.NoError(t, err)
	require.Equal(t, "S", r.Data["trans_stat"])
	ps.WaitNotification("order-1", sim.NotifyAcked, 5*time.Second)

	// 3. A refund over the balance: a business refusal (declined).
	r, err = hf.Post("/v3/trade/payment/scanpay/refund", map[string]any{"req_date": "20260101", "req_seq_id": "refund-1",
		"huifu_id": huifutest.HuifuID, "ord_amt": "5.00", "org_req_date": "20260101", "org_req_seq_id": "order-1"})
	require.NoError(t, err)
	require.Contains(t, r.Header.Get(gateway.DiagnosticHeader), "refundable balance")

	// 4. A query whose signed data was changed on the way: bad_signature.
	body, err := hf.SignedBody(query)
	require.NoError(t, err)
	tampered := bytes.Replace(body, []byte(`"order-1"`), []byte(`"order-9"`), 1)
	require.NotEqual(t, body, tampered)
	r, err = hf.PostRaw("/v3/trade/payment/scanpay/query", "application/json", tampered)
	require.NoError(t, err)
	require.Contains(t, r.Header.Get(gateway.DiagnosticHeader), "does not verify")

	// 5. A payment without its amount: invalid.
	bad := payment("order-x")
	delete(bad, "trans_amt")
	r, err = hf.Post("/v3/trade/payment/jspay", bad)
	require.NoError(t, err)
	require.Contains(t, r.Header.Get(gateway.DiagnosticHeader), "trans_amt")

	// 6. The query again, through a delay fault: fault.
	hf.Header.Set(gateway.FaultHeader, "delay:1ms")
	r, err = hf.Post("/v3/trade/payment/scanpay/query", query)
	require.NoError(t, err)
	require.Equal(t, "delay:1ms", r.Header.Get(gateway.FaultHeader))
	hf.Header.Del(gateway.FaultHeader)

	// 7. A path under Huifu's prefixes that it does not serve: invalid, operation unknown.
	r, err = hf.Post("/v3/trade/payment/no-such-thing", query)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, r.Status)

	// 8. A path no provider serves: journaled, but no provider's request.
	resp, err := http.Post(ps.URL+"/not/a/provider", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	resp.Body.Close()

	// 9. A payment that waits for its payer (served), then one more: the bound is full,
	// so the finished order-1 is evicted to make room (served).
	hf.Header.Set(gateway.ScenarioHeader, "pay-waits-for-payer")
	_, err = hf.Post("/v3/trade/payment/jspay", payment("order-2"))
	require.NoError(t, err)
	hf.Header.Del(gateway.ScenarioHeader)
	r, err = hf.Post("/v3/trade/payment/jspay", payment("order-3"))
	require.NoError(t, err)
	require.Equal(t, "P", r.Data["trans_stat"])

	// 10. And one more, with nothing finished left to forget: error.
	r, err = hf.Post("/v3/trade/payment/jspay", payment("order-4"))
	require.NoError(t, err)
	require.Contains(t, r.Header.Get(gateway.DiagnosticHeader), "its bound")

	s := scrapeMetrics(t, ps)
	requests := []struct {
		op, outcome string
		want        float64
	}{
		{"payment", "served", 3},
		{"payment", "invalid", 1},
		{"payment", "error", 1},
		{"query", "served", 1},
		{"query", "bad_signature", 1},
		{"query", "fault", 1},
		{"refund", "declined", 1},
		{metrics.UnknownOperation, "invalid", 1},
	}
	for _, tt := range requests {
		labels := []string{"provider", "huifu", "operation", tt.op, "outcome", tt.outcome}
		assert.Equal(t, tt.want, s.Sum("paysim_requests_total", labels...), "%v", labels)
		assert.Equal(t, tt.want, s.Sum("paysim_request_duration_seconds_count", labels...), "%v", labels)
	}
	assert.Equal(t, len(requests), s.Count("paysim_requests_total"), "no other series")
	assert.Equal(t, 10.0, s.Sum("paysim_requests_total"), "the path no provider serves is not a provider request")
	for _, x := range s {
		for _, v := range x.Labels {
			assert.NotContains(t, v, "/", "no path in a label: %s %v", x.Name, x.Labels)
			assert.NotContains(t, v, huifutest.HuifuID, "no merchant in a label: %s %v", x.Name, x.Labels)
			assert.NotContains(t, v, "order-", "no id in a label: %s %v", x.Name, x.Labels)
		}
	}

	assert.Equal(t, 3.0, s.Sum("paysim_scenarios_chosen_total"), "the payments booked; neither the refused refund nor order-4 chose one")
	assert.Equal(t, 2.0, s.Sum("paysim_scenarios_chosen_total", "provider", "huifu", "operation", "payment", "scenario", "pay-qrcode-paid-on-first-query"))
	assert.Equal(t, 1.0, s.Sum("paysim_scenarios_chosen_total", "provider", "huifu", "operation", "payment", "scenario", "pay-waits-for-payer"))
	assert.Equal(t, 2.0, s.Sum("paysim_entities", "kind", "payment"))
	assert.Equal(t, 0.0, s.Sum("paysim_entities", "kind", "refund"))
	assert.Equal(t, 2.0, s.Sum("paysim_entities_max"))
	assert.Equal(t, 1.0, s.Sum("paysim_evictions_total"), "order-1, to make room for order-3")
	assert.Equal(t, 1.0, s.Sum("paysim_notifications", "provider", "huifu", "state", sim.NotifyAcked))
	assert.Equal(t, 1.0, s.Sum("paysim_notifications"), "the one notification, acked")
	assert.Equal(t, 11.0, s.Sum("paysim_journal_entries"), "every request, the one no provider serves included")
	assert.Equal(t, 0.0, s.Sum("paysim_journal_dropped_total"))
	// Every answer is signed (10) and so is the notification: 11 signatures asked of the
	// platform key. The faulted query's answer is the first query's bytes again, so its
	// signature is the one reused.
	assert.Equal(t, 10.0, s.Sum("paysim_signatures_total", "provider", "huifu", "cache", "miss"))
	assert.Equal(t, 1.0, s.Sum("paysim_signatures_total", "provider", "huifu", "cache", "hit"))
	// Every request that reached the signature check (all but the unknown path): the
	// faulted query is the first query's bytes again, so it verified before; the tampered
	// one was tried over both texts Huifu's SDKs sign (canonical and raw), two misses.
	assert.Equal(t, 9.0, s.Sum("paysim_verifications_total", "provider", "huifu", "cache", "miss"))
	assert.Equal(t, 1.0, s.Sum("paysim_verifications_total", "provider", "huifu", "cache", "hit"))
	assert.Zero(t, s.Sum("paysim_signatures_total", "provider", "umpay"), "the other providers signed nothing")
	assert.Positive(t, s.Count("go_goroutines"))
}

// Each provider tells its parameter errors from its business refusals: a query with a
// parameter missing is invalid, one for an order nobody has is declined.
func TestMetricsOutcomesOfEveryProvider(t *testing.T) {
	ps := paysimtest.New(t)
	hsq, sqb, um := ps.Huishouqian(), ps.Shouqianba(), ps.Umpay()
	for _, call := range []func() error{
		func() error { _, err := hsq.Post("POLYMERIZE_QUERY", map[string]any{}); return err },
		func() error {
			_, err := hsq.Post("POLYMERIZE_QUERY", map[string]any{"transNo": "nobody-1"})
			return err
		},
		func() error { _, err := sqb.Post("/upay/v2/query", map[string]any{}); return err },
		func() error {
			_, err := sqb.Post("/upay/v2/query", map[string]any{"client_sn": "nobody-1"})
			return err
		},
		func() error {
			_, err := um.Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID, "transactionId": ""})
			return err
		},
		func() error {
			_, err := um.Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID, "orderNo": "nobody-1", "transactionId": ""})
			return err
		},
	} {
		require.NoError(t, call())
	}
	s := scrapeMetrics(t, ps)
	for _, p := range []string{"huishouqian", "shouqianba", "umpay"} {
		assert.Equal(t, 1.0, s.Sum("paysim_requests_total", "provider", p, "operation", "query", "outcome", "invalid"), p)
		assert.Equal(t, 1.0, s.Sum("paysim_requests_total", "provider", p, "operation", "query", "outcome", "declined"), p)
		assert.Equal(t, 2.0, s.Sum("paysim_requests_total", "provider", p), p)
	}
}
