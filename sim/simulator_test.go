package sim_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/outbound"
)

const merchant = "m1"

var t0 = sim.DefaultVirtualStart

// sc writes a scenario file for operation op.
func sc(name string, op sim.Operation, body ...string) string {
	return "version: 1\nname: " + name + "\noperation: " + string(op) + "\n" + strings.Join(body, "\n") + "\n"
}

func loadSet(t testing.TB, files ...string) *sim.ScenarioSet {
	t.Helper()
	fsys := fstest.MapFS{}
	for i, src := range files {
		fsys[fmt.Sprintf("f%02d.yaml", i)] = &fstest.MapFile{Data: []byte(src)}
	}
	set, err := sim.LoadScenarios(fsys, ".", allProviders)
	require.NoError(t, err)
	return set
}

func newSim(t *testing.T, files ...string) (*sim.Simulator, *sim.VirtualClock) {
	t.Helper()
	clock := sim.NewVirtualClock(t0)
	return sim.New(sim.WithClock(clock), sim.WithScenarios(loadSet(t, files...), nil), sim.WithSender(outbound.New())), clock
}

func advance(t *testing.T, c *sim.VirtualClock, d time.Duration) {
	t.Helper()
	_, err := c.Advance(d)
	require.NoError(t, err)
}

func key(provider, id string) sim.Key { return sim.Key{Provider: provider, Merchant: merchant, ID: id} }

func payReq(provider, id string, amount sim.Amount) sim.PaymentRequest {
	return sim.PaymentRequest{Key: key(provider, id), Amount: amount, Flow: sim.FlowBarcode,
		Fingerprint: fmt.Sprintf("pay/%s/%d", id, amount)}
}

func refundReq(provider, payID, id string, amount sim.Amount) sim.RefundRequest {
	return sim.RefundRequest{Key: key(provider, id), Payment: sim.ByID(payID), Amount: amount,
		Fingerprint: fmt.Sprintf("refund/%s/%s/%d", payID, id, amount)}
}

func closeReq(provider, payID, id string) sim.CloseRequest {
	return sim.CloseRequest{Key: key(provider, id), Payment: sim.ByID(payID), Fingerprint: "close/" + payID + "/" + id}
}

func seed(t *testing.T, s *sim.Simulator, provider, id string, amount sim.Amount) sim.PaymentView {
	t.Helper()
	v, err := s.SeedPayment(sim.PaymentRequest{Key: key(provider, id), Amount: amount})
	require.NoError(t, err)
	require.Equal(t, sim.StatusSuccess, v.Status)
	return v
}

func requireKind(t *testing.T, err error, kind sim.ErrorKind) *sim.Error {
	t.Helper()
	require.Error(t, err)
	var e *sim.Error
	require.True(t, errors.As(err, &e), "want a *sim.Error, got %T: %v", err, err)
	require.Equal(t, kind, e.Kind, "error: %v", err)
	return e
}

func queryPayment(t *testing.T, s *sim.Simulator, provider, id string, counted bool) sim.PaymentView {
	t.Helper()
	v, err := s.QueryPayment(provider, merchant, sim.ByID(id), counted)
	require.NoError(t, err)
	return v
}

func queryRefund(t *testing.T, s *sim.Simulator, provider, id string) sim.RefundView {
	t.Helper()
	v, err := s.QueryRefund(provider, merchant, sim.ByID(id))
	require.NoError(t, err)
	return v
}

func inspectOne(t *testing.T, s *sim.Simulator, provider, id string) sim.Report {
	t.Helper()
	reports := s.Inspect(provider, merchant, id)
	require.Len(t, reports, 1)
	return reports[0]
}

// ---------------------------------------------------------------- selection

var selectionSet = []string{
	sc("pay-header", sim.OpPayment, "states: [{name: h, status: unknown}]"),
	sc("pay-armed", sim.OpPayment, "states: [{name: armed, status: processing}]"),
	sc("a-amount", sim.OpPayment, `when: {amount: "1.01"}`, "states: [{name: amt, status: unknown}]"),
	sc("b-prefix", sim.OpPayment, "when: {id_prefix: QA-}", "states: [{name: pre, status: success}]"),
	sc("c-umpay-only", sim.OpPayment, "providers: [umpay]", `when: {amount: "2.00"}`, "states: [{name: u, status: success}]"),
	sc("pay-qr-default", sim.OpPayment, "default: true", "when: {flow: qrcode}",
		"states: [{name: waiting, status: processing, until: {queries: 1}, next: paid}, {name: paid, status: success}]"),
	sc("refund-header", sim.OpRefund, "states: [{name: rh, status: processing}]"),
	sc("refund-default", sim.OpRefund, "default: true", "states: [{name: rd, status: success}]"),
	sc("close-header", sim.OpClose, "states: [{name: ch, status: processing}]"),
}

func TestPaymentSelectionOrder(t *testing.T) {
	tests := []struct {
		name       string
		provider   string
		id         string
		amount     sim.Amount
		flow       sim.Flow
		header     string
		want       string
		selectedBy string
	}{
		{"header beats when", "huifu", "QA-1", 101, sim.FlowBarcode, "pay-header", "pay-header", "X-Paysim-Scenario header"},
		{"header beats default", "huifu", "P", 100, sim.FlowQRCode, "pay-header", "pay-header", "X-Paysim-Scenario header"},
		{"unknown header is left to the pipeline", "huifu", "P", 100, sim.FlowBarcode, "no-such", "builtin:immediate-success", "no scenario matched"},
		{"when: first in name order", "huifu", "QA-1", 101, sim.FlowBarcode, "", "a-amount", "when: amount 1.01"},
		{"when: id_prefix", "huifu", "QA-1", 100, sim.FlowBarcode, "", "b-prefix", "when: id_prefix QA-"},
		{"when: id_prefix is case sensitive", "huifu", "qa-1", 100, sim.FlowBarcode, "", "builtin:immediate-success", "no scenario matched"},
		{"when: provider-limited applies", "umpay", "P", 200, sim.FlowBarcode, "", "c-umpay-only", "when: amount 2.00"},
		{"when: provider-limited does not apply", "huifu", "P", 200, sim.FlowBarcode, "", "builtin:immediate-success", "no scenario matched"},
		{"when beats default", "huifu", "P", 101, sim.FlowQRCode, "", "a-amount", "when: amount 1.01"},
		{"default narrowed by flow", "shouqianba", "P", 100, sim.FlowQRCode, "", "pay-qr-default", "default for payment"},
		{"default of another flow does not apply", "huifu", "P", 100, sim.FlowBarcode, "", "builtin:immediate-success", "no scenario matched"},
		{"no flow given", "huifu", "P", 100, "", "", "builtin:immediate-success", "no scenario matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSim(t, selectionSet...)
			req := payReq(tt.provider, tt.id, tt.amount)
			req.Flow, req.Scenario = tt.flow, tt.header
			v, err := s.CreatePayment(req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, v.Scenario)
			rep := inspectOne(t, s, tt.provider, tt.id)
			assert.Equal(t, tt.want, rep.Scenario)
			assert.Equal(t, tt.selectedBy, rep.SelectedBy)
		})
	}
}

// A header naming a scenario of another operation or provider is refused, not ignored:
// silently getting the default instead would hide the mistake.
func TestHeaderForAnotherOperationOrProviderRefused(t *testing.T) {
	for _, tt := range []struct {
		name, provider, header, want string
	}{
		{"a refund scenario on a payment", "huifu", "refund-header", `"refund-header", a refund scenario, but this request creates a payment`},
		{"a close scenario on a payment", "huifu", "close-header", `"close-header", a close scenario, but this request creates a payment`},
		{"another provider's", "huifu", "c-umpay-only", `"c-umpay-only", which is limited to umpay, not huifu`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSim(t, selectionSet...)
			req := payReq(tt.provider, "P", 200)
			req.Scenario = tt.header
			_, err := s.CreatePayment(req)
			assert.Contains(t, requireKind(t, err, sim.ErrInvalidParams).Detail, tt.want)
			assert.Empty(t, s.Inspect("", "", ""), "nothing booked")
		})
	}
}

func TestRefundAndCloseSelection(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	seed(t, s, "huifu", "P", 1000)

	r, err := s.CreateRefund(refundReq("huifu", "P", "R1", 1))
	require.NoError(t, err)
	assert.Equal(t, "refund-default", r.Scenario)
	assert.Equal(t, sim.StatusSuccess, r.Status)

	req := refundReq("huifu", "P", "R2", 1)
	req.Scenario = "refund-header"
	r, err = s.CreateRefund(req)
	require.NoError(t, err)
	assert.Equal(t, "refund-header", r.Scenario)
	assert.Equal(t, sim.StatusProcessing, r.Status)

	req = refundReq("huifu", "P", "R3", 1)
	req.Scenario = "pay-header" // a payment scenario: refused for a refund, like a typo
	_, err = s.CreateRefund(req)
	assert.Contains(t, requireKind(t, err, sim.ErrInvalidParams).Detail, `"pay-header", a payment scenario, but this request creates a refund`)

	// No close default: a close succeeds at once.
	pend, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", "Q"), Amount: 100, Flow: sim.FlowQRCode})
	require.NoError(t, err)
	require.Equal(t, sim.StatusProcessing, pend.Status)
	c, err := s.CreateClose(closeReq("huifu", "Q", "C1"))
	require.NoError(t, err)
	assert.Equal(t, "builtin:immediate-success", c.Scenario)
	assert.Equal(t, sim.StatusSuccess, c.Status)

	pend2, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", "Q2"), Amount: 100, Flow: sim.FlowQRCode})
	require.NoError(t, err)
	require.Equal(t, sim.StatusProcessing, pend2.Status)
	creq := closeReq("huifu", "Q2", "C2")
	creq.Scenario = "close-header"
	c, err = s.CreateClose(creq)
	require.NoError(t, err)
	assert.Equal(t, "close-header", c.Scenario)
	assert.Equal(t, sim.StatusProcessing, c.Status)
}

func TestPlainDefault(t *testing.T) {
	s, _ := newSim(t,
		sc("pay-default", sim.OpPayment, "default: true", "states: [{name: d, status: unknown}]"),
		sc("a-when", sim.OpPayment, `when: {amount: "0.05"}`, "states: [{name: w, status: success}]"),
	)
	for i, tt := range []struct {
		flow   sim.Flow
		amount sim.Amount
		want   string
	}{
		{sim.FlowBarcode, 100, "pay-default"},
		{sim.FlowQRCode, 100, "pay-default"},
		{"", 100, "pay-default"},
		{sim.FlowQRCode, 5, "a-when"},
	} {
		req := payReq("huifu", fmt.Sprintf("P%d", i), tt.amount)
		req.Flow = tt.flow
		v, err := s.CreatePayment(req)
		require.NoError(t, err)
		assert.Equal(t, tt.want, v.Scenario, "%q %s", tt.flow, tt.amount)
		assert.Equal(t, map[string]string{"pay-default": "default for payment", "a-when": "when: amount 0.05"}[tt.want],
			inspectOne(t, s, "huifu", req.ID).SelectedBy)
	}
}

func TestDefaultPerProvider(t *testing.T) {
	s, _ := newSim(t,
		sc("z-default", sim.OpPayment, "default: true", "providers: [huifu, shouqianba]", "states: [{name: d, status: unknown}]"),
		sc("a-umpay-default", sim.OpPayment, "default: true", "providers: [umpay]", "states: [{name: u, status: processing}]"),
	)
	tests := []struct {
		provider string
		flow     sim.Flow
		want     string
	}{
		{"huifu", sim.FlowBarcode, "z-default"},
		{"huifu", sim.FlowQRCode, "z-default"},
		{"shouqianba", "", "z-default"},
		{"umpay", sim.FlowBarcode, "a-umpay-default"},
		{"huishouqian", sim.FlowBarcode, "builtin:immediate-success"},
	}
	for i, tt := range tests {
		req := payReq(tt.provider, fmt.Sprintf("P%d", i), 100)
		req.Flow = tt.flow
		v, err := s.CreatePayment(req)
		require.NoError(t, err)
		assert.Equal(t, tt.want, v.Scenario, "%s %s", tt.provider, tt.flow)
	}
}

func TestCheckScenarioHeader(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	assert.NoError(t, s.CheckScenarioHeader(""))
	assert.NoError(t, s.CheckScenarioHeader("pay-header"))
	assert.NoError(t, s.CheckScenarioHeader("refund-header"))
	for _, name := range []string{"no-such", "Pay-Header", "pay-header ", "builtin:immediate-success"} {
		e := requireKind(t, s.CheckScenarioHeader(name), sim.ErrInvalidParams)
		assert.Contains(t, e.Detail, "pay-header", "the error lists what is loaded")
		assert.Equal(t, sim.ErrInvalidParams, sim.KindOf(s.CheckScenarioHeader(name)))
	}
}

// ---------------------------------------------------------------- arming

func TestArmTimes(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	seed(t, s, "huifu", "SEED", 1000)
	a, err := s.Arm("pay-armed", "", 2, 0)
	require.NoError(t, err)
	assert.Equal(t, sim.Armed{ID: 1, Scenario: "pay-armed", Operation: sim.OpPayment, Remaining: 2}, a)

	// armed beats when
	v, err := s.CreatePayment(payReq("huifu", "P1", 101))
	require.NoError(t, err)
	assert.Equal(t, "pay-armed", v.Scenario)
	assert.Equal(t, "armed through the control plane (arm #1)", inspectOne(t, s, "huifu", "P1").SelectedBy)
	require.Len(t, s.ArmedScenarios(), 1)
	assert.Equal(t, 1, s.ArmedScenarios()[0].Remaining)

	// the header beats armed, and does not use the arm up
	req := payReq("huifu", "P2", 101)
	req.Scenario = "pay-header"
	v, err = s.CreatePayment(req)
	require.NoError(t, err)
	assert.Equal(t, "pay-header", v.Scenario)
	require.Len(t, s.ArmedScenarios(), 1)
	assert.Equal(t, 1, s.ArmedScenarios()[0].Remaining)

	// an operation of another kind does not use it up
	r, err := s.CreateRefund(refundReq("huifu", "SEED", "R1", 1))
	require.NoError(t, err)
	assert.Equal(t, "refund-default", r.Scenario)
	require.Len(t, s.ArmedScenarios(), 1)

	// a replay does not use it up either
	v, err = s.CreatePayment(payReq("huifu", "P1", 101))
	require.NoError(t, err)
	assert.True(t, v.Replayed)
	require.Len(t, s.ArmedScenarios(), 1)

	// on another provider (the arm is for any provider)
	v, err = s.CreatePayment(payReq("umpay", "P3", 200))
	require.NoError(t, err)
	assert.Equal(t, "pay-armed", v.Scenario)
	assert.Empty(t, s.ArmedScenarios())

	// used up: back to when
	v, err = s.CreatePayment(payReq("umpay", "P4", 200))
	require.NoError(t, err)
	assert.Equal(t, "c-umpay-only", v.Scenario)
}

func TestArmProviderScoped(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	_, err := s.Arm("pay-armed", "umpay", 1, 0)
	require.NoError(t, err)
	v, err := s.CreatePayment(payReq("huifu", "P1", 100))
	require.NoError(t, err)
	assert.Equal(t, "builtin:immediate-success", v.Scenario)
	require.Len(t, s.ArmedScenarios(), 1)
	v, err = s.CreatePayment(payReq("umpay", "P2", 100))
	require.NoError(t, err)
	assert.Equal(t, "pay-armed", v.Scenario)
	assert.Empty(t, s.ArmedScenarios())

	// a scenario limited to umpay, armed for any provider, applies to umpay only
	_, err = s.Arm("c-umpay-only", "", 1, 0)
	require.NoError(t, err)
	v, err = s.CreatePayment(payReq("huifu", "P3", 100))
	require.NoError(t, err)
	assert.Equal(t, "builtin:immediate-success", v.Scenario)
	require.Len(t, s.ArmedScenarios(), 1)
	v, err = s.CreatePayment(payReq("umpay", "P4", 100))
	require.NoError(t, err)
	assert.Equal(t, "c-umpay-only", v.Scenario)
}

func TestArmTTL(t *testing.T) {
	s, clock := newSim(t, selectionSet...)
	a, err := s.Arm("pay-armed", "", 5, 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(10*time.Minute), a.Expires)

	advance(t, clock, 10*time.Minute-time.Second)
	v, err := s.CreatePayment(payReq("huifu", "P1", 100))
	require.NoError(t, err)
	assert.Equal(t, "pay-armed", v.Scenario)
	require.Len(t, s.ArmedScenarios(), 1)
	assert.Equal(t, 4, s.ArmedScenarios()[0].Remaining)

	advance(t, clock, time.Second)
	assert.Empty(t, s.ArmedScenarios(), "expired at its ttl")
	v, err = s.CreatePayment(payReq("huifu", "P2", 100))
	require.NoError(t, err)
	assert.Equal(t, "builtin:immediate-success", v.Scenario)
}

func TestArmErrors(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	tests := []struct {
		name     string
		scenario string
		provider string
		times    int
		ttl      time.Duration
		msg      string
	}{
		{"unknown scenario", "no-such", "", 1, 0, `no scenario named "no-such"`},
		{"scenario limited to other providers", "c-umpay-only", "huifu", 1, 0, "limited to providers umpay"},
		{"zero times", "pay-armed", "", 0, 0, "times must be from 1 to 100000, got 0"},
		{"negative times", "pay-armed", "", -1, 0, "times must be from 1 to 100000"},
		{"times without end", "pay-armed", "", 2147483647, 0, "times must be from 1 to 100000, got 2147483647"},
		{"negative ttl", "pay-armed", "", 1, -time.Second, "ttl must be from 0 (no limit) to 24h0m0s"},
		{"ttl of a year", "pay-armed", "", 1, 365 * 24 * time.Hour, "ttl must be from 0 (no limit) to 24h0m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Arm(tt.scenario, tt.provider, tt.times, tt.ttl)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Empty(t, s.ArmedScenarios())
		})
	}
}

func TestDisarmAndReset(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	a1, err := s.Arm("pay-armed", "", 1, 0)
	require.NoError(t, err)
	a2, err := s.Arm("refund-header", "huifu", 3, time.Hour)
	require.NoError(t, err)
	assert.Equal(t, a1.ID+1, a2.ID)
	assert.Len(t, s.ArmedScenarios(), 2)
	assert.Equal(t, 2, s.Disarm())
	assert.Empty(t, s.ArmedScenarios())
	assert.Equal(t, 0, s.Disarm())

	_, err = s.Arm("pay-armed", "", 1, 0)
	require.NoError(t, err)
	s.Reset("huifu")
	assert.Len(t, s.ArmedScenarios(), 1, "a provider reset keeps arms")
	s.Reset("")
	assert.Empty(t, s.ArmedScenarios(), "a full reset drops arms")
}

// An arm is for the next operation that happens; a refund the ledger refuses should not
// use it up (CreateClose already checks the payment before it selects).
func TestArmNotUsedByRefusedRefund(t *testing.T) {
	s, _ := newSim(t, selectionSet...)
	seed(t, s, "huifu", "P", 100)
	_, err := s.Arm("refund-header", "", 1, 0)
	require.NoError(t, err)
	_, err = s.CreateRefund(refundReq("huifu", "P", "R-TOO-MUCH", 101))
	requireKind(t, err, sim.ErrInsufficientBalance)
	require.Len(t, s.ArmedScenarios(), 1, "the refused refund did not use the arm")
	r, err := s.CreateRefund(refundReq("huifu", "P", "R1", 10))
	require.NoError(t, err)
	assert.Equal(t, "refund-header", r.Scenario)
}

// ---------------------------------------------------------------- reject

func TestRejectScenarios(t *testing.T) {
	s, _ := newSim(t,
		sc("refund-insufficient", sim.OpRefund, `when: {amount: "0.03"}`,
			"reject: {error: insufficient_refundable_balance, fields: {huifu: {resp_desc: 余额不足}, umpay: {ret_msg: x}}}"),
		sc("pay-system-error", sim.OpPayment, `when: {amount: "6.66"}`, "reject: {error: system_error}"),
		sc("close-refused", sim.OpClose, "reject: {error: invalid_state, fields: {huifu: {resp_code: '99'}}}"),
	)
	seed(t, s, "huifu", "P", 1000)
	seed(t, s, "shouqianba", "P", 1000)

	_, err := s.CreateRefund(refundReq("huifu", "P", "R1", 3))
	e := requireKind(t, err, sim.ErrInsufficientBalance)
	assert.Equal(t, "refund-insufficient", e.Scenario)
	assert.Equal(t, map[string]string{"resp_desc": "余额不足"}, e.Fields)
	assert.Contains(t, e.Detail, "refund-insufficient")
	_, err = s.QueryRefund("huifu", merchant, sim.ByID("R1"))
	requireKind(t, err, sim.ErrNotFound)
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Zero(t, p.Pending)
	assert.Zero(t, p.Refunded)

	// a provider without overrides gets none
	_, err = s.CreateRefund(refundReq("shouqianba", "P", "R1", 3))
	e = requireKind(t, err, sim.ErrInsufficientBalance)
	assert.Nil(t, e.Fields)

	// other amounts are not refused
	_, err = s.CreateRefund(refundReq("huifu", "P", "R2", 4))
	require.NoError(t, err)

	_, err = s.CreatePayment(payReq("huifu", "X", 666))
	e = requireKind(t, err, sim.ErrSystem)
	assert.Equal(t, "pay-system-error", e.Scenario)
	_, err = s.QueryPayment("huifu", merchant, sim.ByID("X"), false)
	requireKind(t, err, sim.ErrNotFound)

	// an armed or header-selected reject refuses too
	_, err = s.Arm("pay-system-error", "", 1, 0)
	require.NoError(t, err)
	_, err = s.CreatePayment(payReq("huifu", "Y", 100))
	requireKind(t, err, sim.ErrSystem)
	assert.Empty(t, s.ArmedScenarios(), "the refusal used the arm")
	_, err = s.CreatePayment(payReq("huifu", "Y", 100))
	require.NoError(t, err, "the next payment is not refused")

	pend, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", "Z"), Amount: 100, Scenario: "pay-system-error"})
	requireKind(t, err, sim.ErrSystem)
	_ = pend
}

// ---------------------------------------------------------------- state machine

func TestRefundUntilQueries(t *testing.T) {
	s, _ := newSim(t, sc("refund-2q", sim.OpRefund, "default: true",
		"states: [{name: processing, status: processing, until: {queries: 2}, next: succeeded}, {name: succeeded, status: success}]"))
	seed(t, s, "huifu", "P", 100)
	r, err := s.CreateRefund(refundReq("huifu", "P", "R", 40))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusProcessing, r.Status)
	assert.Equal(t, sim.Amount(40), r.Payment.Pending)

	steps := []struct {
		status   sim.Status
		state    string
		queries  int
		refunded sim.Amount
		pending  sim.Amount
	}{
		{sim.StatusProcessing, "processing", 1, 0, 40},
		{sim.StatusSuccess, "succeeded", 2, 40, 0},
		{sim.StatusSuccess, "succeeded", 3, 40, 0},
	}
	for i, st := range steps {
		v := queryRefund(t, s, "huifu", "R")
		assert.Equal(t, st.status, v.Status, "query %d", i+1)
		assert.Equal(t, st.state, v.State, "query %d", i+1)
		assert.Equal(t, st.queries, v.Queries, "query %d", i+1)
		assert.Equal(t, st.refunded, v.Payment.Refunded, "query %d", i+1)
		assert.Equal(t, st.pending, v.Payment.Pending, "query %d", i+1)
	}
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, 1, p.RefundCount)
	assert.Equal(t, sim.Amount(60), p.Refundable())
}

func TestRefundUntilElapsed(t *testing.T) {
	set := sc("refund-30s", sim.OpRefund, "default: true",
		"states: [{name: processing, status: processing, until: {elapsed: 30s}, next: succeeded}, {name: succeeded, status: success}]")
	tests := []struct {
		after    time.Duration
		status   sim.Status
		finished time.Duration // from creation; -1: not finished
	}{
		{0, sim.StatusProcessing, -1},
		{29 * time.Second, sim.StatusProcessing, -1},
		{30*time.Second - time.Nanosecond, sim.StatusProcessing, -1},
		{30 * time.Second, sim.StatusSuccess, 30 * time.Second},
		{45 * time.Second, sim.StatusSuccess, 30 * time.Second},
		{24 * time.Hour, sim.StatusSuccess, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.after.String(), func(t *testing.T) {
			s, clock := newSim(t, set)
			seed(t, s, "huifu", "P", 100)
			advance(t, clock, 7*time.Second) // the refund is not created at t0
			r, err := s.CreateRefund(refundReq("huifu", "P", "R", 100))
			require.NoError(t, err)
			created := r.CreatedAt
			assert.Equal(t, t0.Add(7*time.Second), created)
			advance(t, clock, tt.after)

			// a read of the payment alone settles the refund
			p := queryPayment(t, s, "huifu", "P", false)
			v := queryRefund(t, s, "huifu", "R")
			assert.Equal(t, tt.status, v.Status)
			if tt.finished < 0 {
				assert.True(t, v.FinishedAt.IsZero())
				assert.Equal(t, sim.Amount(100), p.Pending)
				assert.Zero(t, p.Refunded)
			} else {
				assert.Equal(t, created.Add(tt.finished), v.FinishedAt, "finished at the deadline, not at the read")
				assert.Zero(t, p.Pending)
				assert.Equal(t, sim.Amount(100), p.Refunded)
			}
		})
	}
}

// The shipped default: whichever of 2 queries or 30 s comes first.
func TestRefundQueriesOrElapsed(t *testing.T) {
	set := sc("refund-default", sim.OpRefund, "default: true",
		"states: [{name: processing, status: processing, until: {queries: 2, elapsed: 30s}, next: succeeded}, {name: succeeded, status: success}]")

	s, clock := newSim(t, set)
	seed(t, s, "huifu", "P", 100)
	_, err := s.CreateRefund(refundReq("huifu", "P", "R", 1))
	require.NoError(t, err)
	advance(t, clock, 5*time.Second)
	assert.Equal(t, sim.StatusProcessing, queryRefund(t, s, "huifu", "R").Status)
	advance(t, clock, 5*time.Second)
	v := queryRefund(t, s, "huifu", "R")
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, t0.Add(10*time.Second), v.FinishedAt, "left by the query, at the query")

	s, clock = newSim(t, set)
	seed(t, s, "huifu", "P", 100)
	_, err = s.CreateRefund(refundReq("huifu", "P", "R", 1))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusProcessing, queryRefund(t, s, "huifu", "R").Status)
	advance(t, clock, time.Minute)
	v = queryRefund(t, s, "huifu", "R")
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, t0.Add(30*time.Second), v.FinishedAt, "left by time, at the deadline")
}

func TestChainedStates(t *testing.T) {
	s, clock := newSim(t, sc("pay-chain", sim.OpPayment, "default: true",
		"states:",
		"  - {name: accepted, status: processing, until: {queries: 1}, next: limbo}",
		"  - {name: limbo, status: unknown, until: {elapsed: 10s}, next: paid}",
		"  - {name: paid, status: success}"))
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)

	advance(t, clock, 3*time.Second)
	v := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, "accepted", v.State, "an uncounted read does not move it")
	v = queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, "limbo", v.State)
	assert.Equal(t, sim.StatusUnknown, v.Status)

	advance(t, clock, 10*time.Second-time.Nanosecond)
	assert.Equal(t, "limbo", queryPayment(t, s, "huifu", "P", true).State)
	advance(t, clock, time.Nanosecond)
	v = queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, "paid", v.State)
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, t0.Add(13*time.Second), v.FinishedAt)
	assert.Equal(t, 3, v.Queries)

	rep := inspectOne(t, s, "huifu", "P")
	require.Len(t, rep.History, 3)
	assert.Equal(t, sim.Transition{To: "accepted", At: t0, Cause: "created"}, rep.History[0])
	assert.Equal(t, sim.Transition{From: "accepted", To: "limbo", At: t0.Add(3 * time.Second), Cause: "status query"}, rep.History[1])
	assert.Equal(t, sim.Transition{From: "limbo", To: "paid", At: t0.Add(13 * time.Second), Cause: "elapsed 10s"}, rep.History[2])
}

func TestChainedElapsedStatesInOneRead(t *testing.T) {
	s, clock := newSim(t, sc("pay-chain", sim.OpPayment, "default: true",
		"states:",
		"  - {name: a, status: processing, until: {elapsed: 10s}, next: b}",
		"  - {name: b, status: unknown, until: {elapsed: 10s}, next: c}",
		"  - {name: c, status: success}"))
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	advance(t, clock, 25*time.Second)
	v := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, "c", v.State)
	assert.Equal(t, t0.Add(20*time.Second), v.FinishedAt)
	rep := inspectOne(t, s, "huifu", "P")
	require.Len(t, rep.History, 3)
	assert.Equal(t, t0.Add(10*time.Second), rep.History[1].At)
	assert.Equal(t, t0.Add(20*time.Second), rep.History[2].At)
}

func TestQueriesCountPerState(t *testing.T) {
	s, _ := newSim(t, sc("pay-chain", sim.OpPayment, "default: true",
		"states:",
		"  - {name: a, status: processing, until: {queries: 2}, next: b}",
		"  - {name: b, status: unknown, until: {queries: 2}, next: c}",
		"  - {name: c, status: success}"))
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	for i, want := range []string{"a", "b", "b", "c", "c"} {
		v := queryPayment(t, s, "huifu", "P", true)
		assert.Equal(t, want, v.State, "query %d", i+1)
		assert.Equal(t, i+1, v.Queries)
	}
}

func TestQueryPaymentUncountedDoesNotCount(t *testing.T) {
	s, _ := newSim(t, sc("pay-qr", sim.OpPayment, "default: true", "when: {flow: qrcode}",
		"states: [{name: waiting, status: processing, until: {queries: 1}, next: paid}, {name: paid, status: success}]"))
	_, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", "P"), Amount: 100, Flow: sim.FlowQRCode})
	require.NoError(t, err)
	for range 3 {
		v := queryPayment(t, s, "huifu", "P", false)
		assert.Equal(t, sim.StatusProcessing, v.Status)
		assert.Equal(t, 0, v.Queries)
	}
	v := queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, 1, v.Queries)
	assert.Equal(t, sim.FlowQRCode, v.Flow)
}

func TestStateOverrides(t *testing.T) {
	s, _ := newSim(t, sc("pay-fields", sim.OpPayment, "default: true",
		"states:",
		"  - {name: a, status: processing, until: {queries: 1}, next: b, fields: {huifu: {trans_stat: P}}}",
		"  - {name: b, status: failed, fields: {huifu: {trans_stat: F, bank_message: 余额不足}, umpay: {x: y}}}"))
	v, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"trans_stat": "P"}, v.Overrides)
	v = queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, sim.StatusFailed, v.Status)
	assert.Equal(t, map[string]string{"trans_stat": "F", "bank_message": "余额不足"}, v.Overrides)

	// the view is a copy
	v.Overrides["trans_stat"] = "changed"
	assert.Equal(t, "F", queryPayment(t, s, "huifu", "P", false).Overrides["trans_stat"])

	w, err := s.CreatePayment(payReq("shouqianba", "P", 100))
	require.NoError(t, err)
	assert.Nil(t, w.Overrides)
}

// ---------------------------------------------------------------- ledger

func TestRefundableBalance(t *testing.T) {
	s, _ := newSim(t,
		sc("refund-default", sim.OpRefund, "default: true",
			"states: [{name: processing, status: processing, until: {queries: 1}, next: done}, {name: done, status: success}]"),
		sc("refund-now", sim.OpRefund, "states: [{name: done, status: success}]"),
	)
	seed(t, s, "huifu", "P", 100)

	_, err := s.CreateRefund(refundReq("huifu", "P", "R1", 30)) // pending
	require.NoError(t, err)
	req := refundReq("huifu", "P", "R2", 60)
	req.Scenario = "refund-now"
	_, err = s.CreateRefund(req) // succeeds at once
	require.NoError(t, err)
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(60), p.Refunded)
	assert.Equal(t, sim.Amount(30), p.Pending)
	assert.Equal(t, sim.Amount(10), p.Refundable())
	assert.Equal(t, 1, p.RefundCount)

	// over the balance: refused, nothing booked
	_, err = s.CreateRefund(refundReq("huifu", "P", "R3", 11))
	e := requireKind(t, err, sim.ErrInsufficientBalance)
	assert.Contains(t, e.Detail, "0.10")
	_, err = s.QueryRefund("huifu", merchant, sim.ByID("R3"))
	requireKind(t, err, sim.ErrNotFound)
	p = queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(60), p.Refunded)
	assert.Equal(t, sim.Amount(30), p.Pending)

	// exactly the balance
	r, err := s.CreateRefund(refundReq("huifu", "P", "R3", 10))
	require.NoError(t, err)
	assert.Zero(t, r.Payment.Refundable())
	_, err = s.CreateRefund(refundReq("huifu", "P", "R4", 1))
	requireKind(t, err, sim.ErrInsufficientBalance)

	// pending refunds succeed: the reservation moves to refunded
	queryRefund(t, s, "huifu", "R1")
	queryRefund(t, s, "huifu", "R3")
	p = queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(100), p.Refunded)
	assert.Zero(t, p.Pending)
	assert.Equal(t, 3, p.RefundCount)
}

func TestFailedRefundReleasesReservation(t *testing.T) {
	tests := []struct {
		name   string
		states string
		query  bool
	}{
		{"fails after a query", "states: [{name: p, status: processing, until: {queries: 1}, next: f}, {name: f, status: failed}]", true},
		{"fails at once", "states: [{name: f, status: failed}]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newSim(t, sc("refund-fails", sim.OpRefund, "default: true", tt.states))
			seed(t, s, "huifu", "P", 100)
			r, err := s.CreateRefund(refundReq("huifu", "P", "R1", 80))
			require.NoError(t, err)
			if tt.query {
				assert.Equal(t, sim.Amount(80), r.Payment.Pending)
				_, err = s.CreateRefund(refundReq("huifu", "P", "R2", 30))
				requireKind(t, err, sim.ErrInsufficientBalance)
				r = queryRefund(t, s, "huifu", "R1")
			}
			assert.Equal(t, sim.StatusFailed, r.Status)
			assert.Zero(t, r.Payment.Pending)
			assert.Zero(t, r.Payment.Refunded)
			assert.Equal(t, 0, r.Payment.RefundCount)
			assert.Equal(t, sim.Amount(100), r.Payment.Refundable())
			// the whole amount can be refunded again (and fails again, releasing again)
			_, err = s.CreateRefund(refundReq("huifu", "P", "R3", 100))
			require.NoError(t, err)
		})
	}
}

func TestRefundRefusals(t *testing.T) {
	s, _ := newSim(t, sc("pay-pending", sim.OpPayment, "when: {id_prefix: PEND}",
		"states: [{name: w, status: processing}]"),
		sc("pay-failed", sim.OpPayment, "when: {id_prefix: FAIL}", "states: [{name: f, status: failed}]"))
	_, err := s.CreatePayment(payReq("huifu", "PEND-1", 100))
	require.NoError(t, err)
	_, err = s.CreatePayment(payReq("huifu", "FAIL-1", 100))
	require.NoError(t, err)
	seed(t, s, "huifu", "PAID", 100)

	tests := []struct {
		name string
		req  sim.RefundRequest
		kind sim.ErrorKind
	}{
		{"unpaid payment", refundReq("huifu", "PEND-1", "R1", 1), sim.ErrInvalidState},
		{"failed payment", refundReq("huifu", "FAIL-1", "R2", 1), sim.ErrInvalidState},
		{"unknown payment", refundReq("huifu", "NOPE", "R3", 1), sim.ErrNotFound},
		{"payment of another provider", refundReq("umpay", "PAID", "R4", 1), sim.ErrNotFound},
		{"zero amount", refundReq("huifu", "PAID", "R5", 0), sim.ErrInvalidParams},
		{"negative amount", refundReq("huifu", "PAID", "R6", -1), sim.ErrInvalidParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateRefund(tt.req)
			requireKind(t, err, tt.kind)
			_, err = s.QueryRefund(tt.req.Provider, merchant, sim.ByID(tt.req.ID))
			requireKind(t, err, sim.ErrNotFound)
		})
	}
	p := queryPayment(t, s, "huifu", "PEND-1", false)
	assert.Zero(t, p.Pending)
}

func TestCreateAndSeedRefusals(t *testing.T) {
	s, _ := newSim(t)
	for _, a := range []sim.Amount{0, -1} {
		_, err := s.CreatePayment(payReq("huifu", "P", a))
		requireKind(t, err, sim.ErrInvalidParams)
		_, err = s.SeedPayment(payReq("huifu", "P", a))
		requireKind(t, err, sim.ErrInvalidParams)
	}
	seed(t, s, "huifu", "P", 1)
	_, err := s.SeedPayment(payReq("huifu", "P", 1))
	requireKind(t, err, sim.ErrDuplicateRequest)
	_, err = s.CreatePayment(payReq("huifu", "P", 1))
	requireKind(t, err, sim.ErrDuplicateRequest) // the seed had no fingerprint
	_, err = s.QueryPayment("huifu", "other-merchant", sim.ByID("P"), false)
	requireKind(t, err, sim.ErrNotFound)
	_, err = s.QueryRefund("huifu", merchant, sim.ByID("nope"))
	requireKind(t, err, sim.ErrNotFound)
}

func TestPaymentIdempotency(t *testing.T) {
	s, clock := newSim(t, sc("pay-slow", sim.OpPayment, "default: true",
		"states: [{name: w, status: processing, until: {elapsed: 10s}, next: paid}, {name: paid, status: success}]"))
	req := payReq("huifu", "P", 100)
	req.ProviderID = "HF-1"
	first, err := s.CreatePayment(req)
	require.NoError(t, err)
	assert.False(t, first.Replayed)
	require.NotNil(t, first.Answer, "a create carries the slot its answer is kept in")
	assert.Nil(t, first.Answer.Stored())

	again, err := s.CreatePayment(req)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Same(t, first.Answer, again.Answer, "a retry waits on the first request's answer")
	assert.Nil(t, again.Answer.Stored(), "nothing kept yet")
	assert.Equal(t, "HF-1", again.ProviderID)

	first.Answer.Keep([]byte("first reply"))
	first.Answer.Keep([]byte("second reply"))
	again, err = s.CreatePayment(req)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, []byte("first reply"), again.Answer.Wait(context.Background()), "the first stored reply is kept")

	q, err := s.QueryPayment("huifu", merchant, sim.ByID("P"), true)
	require.NoError(t, err)
	assert.Nil(t, q.Answer, "a query answer is never stored")

	// a replay reflects the payment now
	advance(t, clock, 10*time.Second)
	again, err = s.CreatePayment(req)
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, again.Status)

	other := req
	other.Fingerprint = "different"
	_, err = s.CreatePayment(other)
	requireKind(t, err, sim.ErrDuplicateRequest)
	assert.Len(t, s.Inspect("huifu", merchant, ""), 1)
}

func TestRefundIdempotency(t *testing.T) {
	s, _ := newSim(t, sc("refund-default", sim.OpRefund, "default: true",
		"states: [{name: p, status: processing, until: {queries: 1}, next: s}, {name: s, status: success}]"))
	seed(t, s, "huifu", "P", 100)
	req := refundReq("huifu", "P", "R", 40)
	first, err := s.CreateRefund(req)
	require.NoError(t, err)
	assert.False(t, first.Replayed)

	for range 3 {
		again, err := s.CreateRefund(req)
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		assert.Equal(t, sim.Amount(40), again.Payment.Pending, "booked once")
		assert.Equal(t, sim.StatusProcessing, again.Status, "a replay is not a status query")
	}
	first.Answer.Keep([]byte("refund reply"))
	again, err := s.CreateRefund(req)
	require.NoError(t, err)
	assert.Equal(t, []byte("refund reply"), again.Answer.Stored())

	other := req
	other.Amount, other.Fingerprint = 50, "other"
	_, err = s.CreateRefund(other)
	requireKind(t, err, sim.ErrDuplicateRequest)
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(40), p.Pending)
	assert.Len(t, inspectOne(t, s, "huifu", "P").Refunds, 1)
}

func TestAliases(t *testing.T) {
	s, _ := newSim(t)
	req := payReq("huifu", "P", 100)
	req.ProviderID = "HF-SEQ-1"
	req.Aliases = map[string]string{"hf_seq_id": "HF-SEQ-1", "out_trans_id": "OT-1", "empty": ""}
	req.Fields = map[string]string{"trade_type": "T_MICROPAY"}
	v, err := s.CreatePayment(req)
	require.NoError(t, err)
	assert.Equal(t, "HF-SEQ-1", v.ProviderID)
	assert.Equal(t, map[string]string{"trade_type": "T_MICROPAY"}, v.Fields)
	req.Aliases["hf_seq_id"] = "mutated after the call"

	for _, loc := range []sim.Locator{sim.ByID("P"), sim.ByAlias("hf_seq_id", "HF-SEQ-1"), sim.ByAlias("out_trans_id", "OT-1")} {
		v, err := s.QueryPayment("huifu", merchant, loc, false)
		require.NoError(t, err, "%+v", loc)
		assert.Equal(t, "P", v.ID)
	}
	for _, tc := range []struct {
		provider, merchant string
		loc                sim.Locator
	}{
		{"huifu", merchant, sim.ByAlias("hf_seq_id", "mutated after the call")},
		{"huifu", merchant, sim.ByAlias("out_trans_id", "HF-SEQ-1")}, // the alias name counts
		{"huifu", merchant, sim.ByAlias("empty", "")},
		{"huifu", merchant, sim.ByID("HF-SEQ-1")}, // not the merchant's id
		{"huifu", "m2", sim.ByAlias("hf_seq_id", "HF-SEQ-1")},
		{"umpay", merchant, sim.ByAlias("hf_seq_id", "HF-SEQ-1")},
	} {
		_, err := s.QueryPayment(tc.provider, tc.merchant, tc.loc, false)
		requireKind(t, err, sim.ErrNotFound)
	}

	// refunds by their own aliases, and refunds of a payment found by alias
	rreq := refundReq("huifu", "", "R", 10)
	rreq.Payment = sim.ByAlias("hf_seq_id", "HF-SEQ-1")
	rreq.Aliases = map[string]string{"hf_seq_id": "HF-SEQ-2"}
	_, err = s.CreateRefund(rreq)
	require.NoError(t, err)
	r, err := s.QueryRefund("huifu", merchant, sim.ByAlias("hf_seq_id", "HF-SEQ-2"))
	require.NoError(t, err)
	assert.Equal(t, "R", r.ID)
	assert.Equal(t, "P", r.Payment.ID)
	// aliases are per operation: a refund's alias does not find a payment and vice versa
	_, err = s.QueryPayment("huifu", merchant, sim.ByAlias("hf_seq_id", "HF-SEQ-2"), false)
	requireKind(t, err, sim.ErrNotFound)
	_, err = s.QueryRefund("huifu", merchant, sim.ByAlias("hf_seq_id", "HF-SEQ-1"))
	requireKind(t, err, sim.ErrNotFound)
	// closes find their payment by alias too
	_, err = s.QueryClose("huifu", merchant, sim.ByAlias("hf_seq_id", "HF-SEQ-1"))
	e := requireKind(t, err, sim.ErrNotFound)
	assert.Equal(t, sim.ReasonNoClose, e.Reason)
}

func TestReset(t *testing.T) {
	s, _ := newSim(t)
	for _, p := range []string{"huifu", "umpay"} {
		req := payReq(p, "P", 100)
		req.Aliases = map[string]string{"seq": p + "-1"}
		_, err := s.CreatePayment(req)
		require.NoError(t, err)
		_, err = s.CreateRefund(refundReq(p, "P", "R", 10))
		require.NoError(t, err)
	}
	seed(t, s, "umpay", "P2", 100)

	assert.Equal(t, 1, s.Reset("huifu"))
	_, err := s.QueryPayment("huifu", merchant, sim.ByID("P"), false)
	requireKind(t, err, sim.ErrNotFound)
	_, err = s.QueryPayment("huifu", merchant, sim.ByAlias("seq", "huifu-1"), false)
	requireKind(t, err, sim.ErrNotFound)
	_, err = s.QueryRefund("huifu", merchant, sim.ByID("R"))
	requireKind(t, err, sim.ErrNotFound)
	queryPayment(t, s, "umpay", "P", false)
	_, err = s.QueryPayment("umpay", merchant, sim.ByAlias("seq", "umpay-1"), false)
	require.NoError(t, err)
	queryRefund(t, s, "umpay", "R")

	// the id is free again, with new content
	_, err = s.CreatePayment(payReq("huifu", "P", 555))
	require.NoError(t, err)

	assert.Equal(t, 0, s.Reset("shouqianba"))
	assert.Equal(t, 3, s.Reset(""))
	assert.Empty(t, s.Inspect("", "", ""))
	_, err = s.QueryRefund("umpay", merchant, sim.ByID("R"))
	requireKind(t, err, sim.ErrNotFound)
}

func TestResetReseeds(t *testing.T) {
	draw := func(s *sim.Simulator) []string {
		var out []string
		for range 3 {
			out = append(out, fmt.Sprint(s.NextSerial()))
			out = append(out, s.Generate(func(f *gofakeit.Faker) string { return f.Numerify("##########") }))
		}
		return out
	}
	s := sim.New(sim.WithSeed(42))
	first := draw(s)
	assert.Equal(t, []string{"1", "2", "3"}, []string{first[0], first[2], first[4]})
	assert.NotEqual(t, first[1], first[3], "the generator moves on")

	s.Reset("huifu")
	assert.Equal(t, uint64(4), s.NextSerial(), "a provider reset keeps the serials")

	s.Reset("")
	assert.Equal(t, first, draw(s), "a full reset replays the same values")

	assert.Equal(t, first, draw(sim.New(sim.WithSeed(42))), "same seed, same values")
	assert.NotEqual(t, first, draw(sim.New(sim.WithSeed(43))), "another seed, other values")
}

// ---------------------------------------------------------------- close

var closeSet = []string{
	sc("pay-slow", sim.OpPayment, "default: true",
		"states: [{name: waiting, status: processing, until: {elapsed: 1m}, next: paid}, {name: paid, status: success}]"),
	sc("close-default", sim.OpClose, "default: true",
		"states: [{name: processing, status: processing, until: {queries: 2}, next: closed}, {name: closed, status: success}]"),
	sc("close-fails", sim.OpClose,
		"states: [{name: processing, status: processing, until: {queries: 1}, next: failed}, {name: failed, status: failed}]"),
}

func TestCloseFreezesAndCloses(t *testing.T) {
	s, clock := newSim(t, closeSet...)
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	advance(t, clock, 10*time.Second)
	c, err := s.CreateClose(closeReq("huifu", "P", "C1"))
	require.NoError(t, err)
	assert.Equal(t, "close-default", c.Scenario)
	assert.Equal(t, sim.StatusProcessing, c.Status)
	assert.Equal(t, sim.Amount(100), c.Amount)
	assert.Equal(t, sim.StatusProcessing, c.Payment.Status)

	// frozen: the payment's deadline passes, it stays unpaid
	advance(t, clock, 5*time.Minute)
	p := queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, sim.StatusProcessing, p.Status)
	assert.Equal(t, "waiting", p.State)
	assert.Equal(t, "waiting for a pending close to be decided", inspectOne(t, s, "huifu", "P").Next)

	// a second close while one is pending gets the pending one
	c2, err := s.CreateClose(closeReq("huifu", "P", "C2"))
	require.NoError(t, err)
	assert.Equal(t, "C1", c2.ID)

	v, err := s.QueryClose("huifu", merchant, sim.ByID("P"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusProcessing, v.Status)
	assert.Equal(t, 1, v.Queries)
	advance(t, clock, time.Second)
	v, err = s.QueryClose("huifu", merchant, sim.ByID("P"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, 2, v.Queries)
	assert.Equal(t, "C1", v.ID)
	assert.Equal(t, sim.StatusClosed, v.Payment.Status)
	assert.Equal(t, "C1", v.Payment.ClosedBy)

	closedAt := t0.Add(10*time.Second + 5*time.Minute + time.Second)
	advance(t, clock, time.Hour)
	p = queryPayment(t, s, "huifu", "P", true)
	assert.Equal(t, sim.StatusClosed, p.Status)
	assert.Equal(t, "closed", p.State)
	assert.Equal(t, "C1", p.ClosedBy)
	assert.Equal(t, closedAt, p.FinishedAt)
	rep := inspectOne(t, s, "huifu", "P")
	assert.Equal(t, sim.Transition{From: "waiting", To: "closed", At: closedAt, Cause: "closed by C1"}, rep.History[len(rep.History)-1])
	assert.Empty(t, rep.Next)
	require.Len(t, rep.Closes, 1)
	assert.Equal(t, "C1", rep.Closes[0].ID)

	// closing again
	_, err = s.CreateClose(closeReq("huifu", "P", "C3"))
	e := requireKind(t, err, sim.ErrInvalidState)
	assert.Equal(t, sim.ReasonAlreadyClosed, e.Reason)
	// a retry of the close that succeeded replays it
	again, err := s.CreateClose(closeReq("huifu", "P", "C1"))
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, sim.StatusSuccess, again.Status)
	again.Answer.Keep([]byte("close reply"))
	again, err = s.CreateClose(closeReq("huifu", "P", "C1"))
	require.NoError(t, err)
	assert.Equal(t, []byte("close reply"), again.Answer.Stored())
	other := closeReq("huifu", "P", "C1")
	other.Fingerprint = "other"
	_, err = s.CreateClose(other)
	requireKind(t, err, sim.ErrDuplicateRequest)

	// a closed payment cannot be refunded
	_, err = s.CreateRefund(refundReq("huifu", "P", "R", 1))
	requireKind(t, err, sim.ErrInvalidState)
}

func TestCloseFailedLetsPaymentMoveOn(t *testing.T) {
	s, clock := newSim(t, closeSet...)
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	req := closeReq("huifu", "P", "C1")
	req.Scenario = "close-fails"
	_, err = s.CreateClose(req)
	require.NoError(t, err)
	advance(t, clock, 2*time.Minute)
	assert.Equal(t, sim.StatusProcessing, queryPayment(t, s, "huifu", "P", false).Status)
	v, err := s.QueryClose("huifu", merchant, sim.ByID("P"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusFailed, v.Status)
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.StatusSuccess, p.Status, "unfrozen, the payment follows its scenario again")
	assert.Empty(t, p.ClosedBy)
}

func TestCloseRefusals(t *testing.T) {
	s, _ := newSim(t, closeSet...)
	seed(t, s, "huifu", "PAID", 100)
	_, err := s.CreateClose(closeReq("huifu", "PAID", "C1"))
	e := requireKind(t, err, sim.ErrInvalidState)
	assert.Equal(t, sim.ReasonPaymentFinal, e.Reason)

	_, err = s.CreateClose(closeReq("huifu", "NOPE", "C2"))
	requireKind(t, err, sim.ErrNotFound)

	_, err = s.QueryClose("huifu", merchant, sim.ByID("PAID"))
	e = requireKind(t, err, sim.ErrNotFound)
	assert.Equal(t, sim.ReasonNoClose, e.Reason)

	_, err = s.QueryClose("huifu", merchant, sim.ByID("NOPE"))
	e = requireKind(t, err, sim.ErrNotFound)
	assert.Empty(t, e.Reason)
}

func TestCloseImmediate(t *testing.T) {
	s, _ := newSim(t, closeSet[0]) // no close default: immediate success
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	c, err := s.CreateClose(closeReq("huifu", "P", "C1"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, c.Status)
	assert.Equal(t, sim.StatusClosed, c.Payment.Status)
	assert.Equal(t, "C1", c.Payment.ClosedBy)
}

// ---------------------------------------------------------------- concurrency

func TestConcurrentRefundsNeverExceedPayment(t *testing.T) {
	sets := map[string][]string{
		"immediate success": nil,
		"processing refunds": {sc("refund-default", sim.OpRefund, "default: true",
			"states: [{name: p, status: processing, until: {elapsed: 30s}, next: s}, {name: s, status: success}]")},
	}
	for name, files := range sets {
		t.Run(name, func(t *testing.T) {
			s, clock := newSim(t, files...)
			seed(t, s, "huifu", "P", 100)

			var done atomic.Bool
			var readers sync.WaitGroup
			var violations atomic.Int64
			for range 4 {
				readers.Add(1)
				go func() {
					defer readers.Done()
					for !done.Load() {
						v, err := s.QueryPayment("huifu", merchant, sim.ByID("P"), false)
						if err != nil || v.Refunded+v.Pending > v.Amount || v.Refunded < 0 || v.Pending < 0 {
							violations.Add(1)
						}
						_ = s.Inspect("huifu", merchant, "P")
					}
				}()
			}

			var ok, insufficient, other atomic.Int64
			var writers sync.WaitGroup
			start := make(chan struct{})
			for i := range 101 {
				writers.Add(1)
				go func() {
					defer writers.Done()
					<-start
					_, err := s.CreateRefund(refundReq("huifu", "P", fmt.Sprintf("R%03d", i), 1))
					switch {
					case err == nil:
						ok.Add(1)
					case sim.KindOf(err) == sim.ErrInsufficientBalance:
						insufficient.Add(1)
					default:
						other.Add(1)
					}
				}()
			}
			close(start)
			writers.Wait()
			done.Store(true)
			readers.Wait()

			assert.Equal(t, int64(100), ok.Load())
			assert.Equal(t, int64(1), insufficient.Load())
			assert.Zero(t, other.Load())
			assert.Zero(t, violations.Load(), "refunded + pending exceeded the amount, or a read failed")

			advance(t, clock, time.Minute)
			p := queryPayment(t, s, "huifu", "P", false)
			assert.Equal(t, sim.Amount(100), p.Refunded)
			assert.Zero(t, p.Pending)
			assert.Equal(t, 100, p.RefundCount)
			assert.Len(t, inspectOne(t, s, "huifu", "P").Refunds, 100)
		})
	}
}

func TestConcurrentRetriesBookOnce(t *testing.T) {
	s, _ := newSim(t, sc("refund-default", sim.OpRefund, "default: true",
		"states: [{name: p, status: processing, until: {queries: 1}, next: s}, {name: s, status: success}]"))
	seed(t, s, "huifu", "P", 100)
	req := refundReq("huifu", "P", "R", 60)

	var fresh, replayed, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := s.CreateRefund(req)
			switch {
			case err != nil:
				failed.Add(1)
			case v.Replayed:
				replayed.Add(1)
			default:
				fresh.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int64(1), fresh.Load())
	assert.Equal(t, int64(49), replayed.Load())
	assert.Zero(t, failed.Load())
	p := queryPayment(t, s, "huifu", "P", false)
	assert.Equal(t, sim.Amount(60), p.Pending)
	assert.Len(t, inspectOne(t, s, "huifu", "P").Refunds, 1)

	// the same for payments
	preq := payReq("huifu", "Q", 100)
	fresh.Store(0)
	replayed.Store(0)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.CreatePayment(preq)
			if assert.NoError(t, err) {
				if v.Replayed {
					replayed.Add(1)
				} else {
					fresh.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), fresh.Load())
	assert.Equal(t, int64(19), replayed.Load())
}

// ---------------------------------------------------------------- inspect

func TestInspect(t *testing.T) {
	s, clock := newSim(t, sc("refund-default", sim.OpRefund, "default: true",
		"states: [{name: processing, status: processing, until: {queries: 2, elapsed: 30s}, next: succeeded}, {name: succeeded, status: success}]"),
		sc("pay-stuck", sim.OpPayment, "when: {id_prefix: STUCK}", "states: [{name: stuck, status: unknown}]"))
	v, err := s.SeedPayment(sim.PaymentRequest{Key: key("huifu", "P"), Amount: 100, ProviderID: "HF-1",
		Aliases: map[string]string{"hf_seq_id": "HF-1", "party_order_id": "PO-1"}})
	require.NoError(t, err)
	assert.Equal(t, "builtin:seeded-paid", v.Scenario)
	_, err = s.CreateRefund(refundReq("huifu", "P", "R1", 30))
	require.NoError(t, err)

	rep := inspectOne(t, s, "huifu", "R1") // found through its refund
	assert.Equal(t, sim.OpPayment, rep.Operation)
	assert.Equal(t, key("huifu", "P"), rep.Key)
	assert.Equal(t, "HF-1", rep.ProviderID)
	assert.Equal(t, "1.00", rep.Amount)
	assert.Equal(t, "builtin:seeded-paid", rep.Scenario)
	assert.Equal(t, "builtin", rep.Source)
	assert.Equal(t, "seeded through the control plane", rep.SelectedBy)
	assert.Equal(t, sim.StatusSuccess, rep.Status)
	assert.Equal(t, "0.00", rep.Refunded)
	assert.Equal(t, "0.30", rep.Pending)
	assert.Equal(t, "0.70", rep.Refundable)
	assert.Empty(t, rep.Next)
	require.Len(t, rep.Refunds, 1)
	r := rep.Refunds[0]
	assert.Equal(t, sim.OpRefund, r.Operation)
	assert.Equal(t, "R1", r.ID)
	assert.Equal(t, "0.30", r.Amount)
	assert.Equal(t, "refund-default", r.Scenario)
	assert.Equal(t, "f00.yaml", r.Source)
	assert.Equal(t, "default for refund", r.SelectedBy)
	assert.Equal(t, "processing", r.State)
	assert.Equal(t, `moves to "succeeded" after 2 more status queries or at 2026-01-01T10:00:30+08:00, whichever comes first`, r.Next)
	assert.Equal(t, []sim.Transition{{To: "processing", At: t0, Cause: "created"}}, r.History)
	assert.True(t, r.FinishedAt.IsZero())

	queryRefund(t, s, "huifu", "R1")
	r = inspectOne(t, s, "huifu", "P").Refunds[0]
	assert.Equal(t, 1, r.Queries)
	assert.Equal(t, `moves to "succeeded" after 1 more status query or at 2026-01-01T10:00:30+08:00, whichever comes first`, r.Next)

	advance(t, clock, 45*time.Second)
	rep = inspectOne(t, s, "huifu", "HF-1") // found by provider id
	r = rep.Refunds[0]
	assert.Equal(t, sim.StatusSuccess, r.Status)
	assert.Equal(t, t0.Add(30*time.Second), r.FinishedAt)
	assert.Empty(t, r.Next)
	assert.Equal(t, []sim.Transition{
		{To: "processing", At: t0, Cause: "created"},
		{From: "processing", To: "succeeded", At: t0.Add(30 * time.Second), Cause: "elapsed 30s"},
	}, r.History)
	assert.Equal(t, "0.30", rep.Refunded)
	assert.Equal(t, "0.00", rep.Pending)

	assert.Len(t, s.Inspect("huifu", merchant, "PO-1"), 1, "found by alias")
	assert.Empty(t, s.Inspect("huifu", merchant, "nope"))
	assert.Empty(t, s.Inspect("umpay", merchant, "P"))
	assert.Empty(t, s.Inspect("huifu", "m2", "P"))

	_, err = s.CreatePayment(payReq("umpay", "STUCK-1", 100))
	require.NoError(t, err)
	stuck := inspectOne(t, s, "umpay", "STUCK-1")
	assert.Equal(t, `stays unknown: state "stuck" has no next state`, stuck.Next)
	assert.Equal(t, "when: id_prefix STUCK", stuck.SelectedBy)

	all := s.Inspect("", "", "")
	require.Len(t, all, 2)
	assert.Equal(t, "P", all[0].ID, "in creation order")
	assert.Equal(t, "STUCK-1", all[1].ID)
	assert.Len(t, s.Inspect("umpay", "", ""), 1)
}

func TestInspectExplainsOnlyElapsed(t *testing.T) {
	s, _ := newSim(t, sc("pay-slow", sim.OpPayment, "default: true",
		"states: [{name: w, status: processing, until: {elapsed: 90s}, next: paid}, {name: paid, status: success}]"))
	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	assert.Equal(t, `moves to "paid" at 2026-01-01T10:01:30+08:00`, inspectOne(t, s, "huifu", "P").Next)
}

// ---------------------------------------------------------------- simulator basics

func TestNewDefaults(t *testing.T) {
	s := sim.New()
	assert.Equal(t, "real", s.Clock().Mode())
	assert.Equal(t, int64(1), s.Seed())
	assert.NotNil(t, s.Logger())
	assert.Empty(t, s.Scenarios().Names())
	assert.False(t, s.CanReloadScenarios())
	_, err := s.ReloadScenarios()
	assert.Error(t, err)

	v, err := s.CreatePayment(payReq("huifu", "P", 1))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, v.Status)
	assert.Equal(t, "builtin:immediate-success", v.Scenario)
	assert.Equal(t, v.CreatedAt, v.FinishedAt)

	s = sim.New(sim.WithSeed(7))
	assert.Equal(t, int64(7), s.Seed())
}

func TestReloadScenarios(t *testing.T) {
	first := loadSet(t, sc("one", sim.OpPayment, "states: [{name: a, status: success}]"))
	second := loadSet(t, sc("two", sim.OpPayment, "states: [{name: a, status: success}]"))
	var fail bool
	s := sim.New(sim.WithScenarios(first, func() (*sim.ScenarioSet, error) {
		if fail {
			return nil, errors.New("bad file")
		}
		return second, nil
	}))
	assert.True(t, s.CanReloadScenarios())
	fail = true
	_, err := s.ReloadScenarios()
	assert.EqualError(t, err, "bad file")
	assert.Equal(t, []string{"one"}, s.Scenarios().Names(), "the last good set stays")
	fail = false
	set, err := s.ReloadScenarios()
	require.NoError(t, err)
	assert.Equal(t, []string{"two"}, set.Names())
	assert.Equal(t, []string{"two"}, s.Scenarios().Names())
}

func TestErrors(t *testing.T) {
	e := sim.Errorf(sim.ErrNotFound, "no payment %q", "P")
	assert.Equal(t, `not_found: no payment "P"`, e.Error())
	assert.Equal(t, "invalid_state", (&sim.Error{Kind: sim.ErrInvalidState}).Error())
	assert.Equal(t, sim.ErrNotFound, sim.KindOf(e))
	assert.Equal(t, sim.ErrNotFound, sim.KindOf(fmt.Errorf("wrapped: %w", e)))
	assert.Equal(t, sim.ErrSystem, sim.KindOf(errors.New("boom")))
	assert.Equal(t, sim.ErrSystem, sim.KindOf(nil))
}

func TestStatusFinal(t *testing.T) {
	for st, final := range map[sim.Status]bool{
		sim.StatusProcessing: false, sim.StatusUnknown: false,
		sim.StatusSuccess: true, sim.StatusFailed: true, sim.StatusClosed: true,
	} {
		assert.Equal(t, final, st.Final(), st)
	}
}

// ---------------------------------------------------------------- wire

func TestScrubText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain 中文 text", "plain 中文 text"},
		{"keep\nnew\rlines\tand tabs", "keep\nnew\rlines\tand tabs"},
		{"a\u2028b\u2029c\u0085d", "a b c d"},
		{"nul\x00bell\x07esc\x1b", "nul bell esc "},
		{"\x1f\x20", "  "},
		{"del\x7f stays", "del\x7f stays"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, sim.ScrubText(tt.in), "%q", tt.in)
	}
}

func TestNearest(t *testing.T) {
	s, _ := newSim(t)
	seed(t, s, "huifu", "pay202612010001", 100)
	req := payReq("umpay", "UM-ORDER-7", 100)
	_, err := s.SeedPayment(req)
	require.NoError(t, err)
	other := payReq("huifu", "pay-of-another", 100)
	other.Merchant = "OTHER"
	_, err = s.SeedPayment(other)
	require.NoError(t, err)

	for _, tt := range []struct {
		provider, merchant, id, want string
	}{
		{"huifu", merchant, "pay202612010001", ""},
		{"huifu", merchant, "pay202612010002", `merchant ` + merchant + ` has payment "pay202612010001" (1 character(s) differ)`},
		{"huifu", merchant, "pay-of-another", `payment "pay-of-another" exists under merchant OTHER`},
		{"huifu", merchant, "UM-ORDER-7", `payment "UM-ORDER-7" exists on umpay`},
		{"huifu", merchant, "completely-different", ""},
		{"huifu", merchant, "", ""},
	} {
		t.Run(tt.id, func(t *testing.T) {
			got := s.Nearest(tt.provider, tt.merchant, tt.id)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
		})
	}
}
