package sim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/outbound"
)

// stateSet is the scenarios of the state tests: a payment paid on its first query, a
// refund decided 30 s after it was accepted, a close decided on its first query.
var stateSet = []string{
	sc("pay-on-query", sim.OpPayment, "default: true",
		"states: [{name: waiting, status: processing, until: {queries: 1}, next: paid}, {name: paid, status: success}]"),
	sc("refund-30s", sim.OpRefund, "default: true",
		"states: [{name: pending, status: processing, until: {elapsed: 30s}, next: done}, {name: done, status: success}]"),
	sc("close-on-query", sim.OpClose, "default: true",
		"states: [{name: closing, status: processing, until: {queries: 1}, next: closed}, {name: closed, status: success}]"),
}

var testPolicy = sim.DeliveryPolicy{Gaps: []time.Duration{15 * time.Second}, Timeout: 2 * time.Second, Ack: okAck}

// stateSim is a simulator over stateSet that records its events and sends notifications
// under testPolicy.
func stateSim(t *testing.T, opts ...sim.Option) (*sim.Simulator, *[]sim.Event) {
	t.Helper()
	s := sim.New(append([]sim.Option{sim.WithClock(sim.NewVirtualClock(t0)), sim.WithScenarios(loadSet(t, stateSet...), nil),
		sim.WithSender(outbound.New())}, opts...)...)
	s.NotifyPolicy("huifu", testPolicy)
	var mu sync.Mutex
	events := &[]sim.Event{}
	s.OnFinal("huifu", func(ev sim.Event) {
		mu.Lock()
		defer mu.Unlock()
		*events = append(*events, ev)
	})
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, events
}

// populate gives s one of everything a state holds: a paid payment with a stored answer
// and a refund still processing, an unpaid payment being closed, a seeded payment, an armed
// scenario, generated ids, and a notification waiting for its retry.
func populate(t *testing.T, s *sim.Simulator, receiverURL string) string {
	t.Helper()
	pay, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", "P1"), ProviderID: "hf-1", Aliases: map[string]string{"hf_seq_id": "hf-1"},
		Amount: 1000, Flow: sim.FlowQRCode, Fields: map[string]string{"req_date": "20260101"}, Fingerprint: "fp-P1"})
	require.NoError(t, err)
	pay.Answer.Keep([]byte(`{"data":{"req_seq_id":"P1"},"sign":"abc"}`))
	queryPayment(t, s, "huifu", "P1", true) // paid
	rf, err := s.CreateRefund(refundReq("huifu", "P1", "R1", 300))
	require.NoError(t, err)
	rf.Answer.Keep([]byte("refund answer"))
	_, err = s.CreatePayment(payReq("huifu", "P2", 500))
	require.NoError(t, err)
	_, err = s.CreateClose(closeReq("huifu", "P2", "C2"))
	require.NoError(t, err)
	seed(t, s, "umpay", "S1", 2000)
	_, err = s.Arm("pay-on-query", "umpay", 3, time.Hour)
	require.NoError(t, err)
	s.Generate(func(f *gofakeit.Faker) string { return f.DigitN(12) })
	s.NextSerial()
	d := delivery(receiverURL)
	d.Policy = testPolicy
	id := s.Notify(d)
	waitState(t, s, id, sim.NotifyPending) // the first attempt failed; the retry is 15 s on
	return id
}

func saveJSON(t testing.TB, s *sim.Simulator) []byte {
	t.Helper()
	st, err := s.Snapshot()
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, st.WriteJSON(&buf))
	require.True(t, json.Valid(buf.Bytes()), "%s", buf.Bytes())
	return buf.Bytes()
}

func restoreJSON(t *testing.T, s *sim.Simulator, data []byte) {
	t.Helper()
	var st sim.CoreState
	require.NoError(t, json.Unmarshal(data, &st))
	require.NoError(t, s.Restore(&st))
}

func failFirst(n int64, _ []byte) (int, string) {
	if n == 1 {
		return 500, "busy"
	}
	return 200, "OK"
}

func TestSnapshotRestoreSnapshotIsIdentical(t *testing.T) {
	rcv := newReceiver(t, failFirst)
	a, _ := stateSim(t)
	populate(t, a, rcv.URL)
	first := saveJSON(t, a)

	b, _ := stateSim(t)
	restoreJSON(t, b, first)
	assert.Equal(t, string(first), string(saveJSON(t, b)))
	for _, want := range []string{`"pay-on-query"`, `"refund-30s"`, `"builtin:seeded-paid"`, `"next_attempt_at"`, `"pcg"`} {
		assert.Contains(t, string(first), want)
	}
}

func TestRestoredSimulatorCarriesOn(t *testing.T) {
	rcv := newReceiver(t, failFirst)
	a, _ := stateSim(t)
	nid := populate(t, a, rcv.URL)
	data := saveJSON(t, a)
	// What the original would have generated next.
	wantGen := a.Generate(func(f *gofakeit.Faker) string { return f.DigitN(12) })
	wantSerial := a.NextSerial()

	b, events := stateSim(t)
	restoreJSON(t, b, data)
	assert.Equal(t, wantGen, b.Generate(func(f *gofakeit.Faker) string { return f.DigitN(12) }), "the next generated value is the one it would have been")
	assert.Equal(t, wantSerial, b.NextSerial())
	assert.Equal(t, t0, b.Now(), "the virtual clock stands where it was saved")

	t.Run("identical retry gets the stored bytes", func(t *testing.T) {
		v, err := b.CreatePayment(sim.PaymentRequest{Key: key("huifu", "P1"), ProviderID: "hf-1", Amount: 1000, Flow: sim.FlowQRCode, Fingerprint: "fp-P1"})
		require.NoError(t, err)
		assert.True(t, v.Replayed)
		assert.Equal(t, `{"data":{"req_seq_id":"P1"},"sign":"abc"}`, string(v.Answer.Stored()))
		_, err = b.CreatePayment(sim.PaymentRequest{Key: key("huifu", "P1"), Amount: 1000, Fingerprint: "other"})
		requireKind(t, err, sim.ErrDuplicateRequest)
		r, err := b.QueryPayment("huifu", merchant, sim.ByAlias("hf_seq_id", "hf-1"), false)
		require.NoError(t, err, "aliases are indexed again")
		assert.Equal(t, sim.StatusSuccess, r.Status)
		assert.Equal(t, sim.Amount(700), r.Refundable(), "the processing refund still reserves its amount")
	})
	t.Run("armed scenario and ids", func(t *testing.T) {
		armed := b.ArmedScenarios()
		require.Len(t, armed, 1)
		assert.Equal(t, 3, armed[0].Remaining)
		next, err := b.Arm("refund-30s", "", 1, 0)
		require.NoError(t, err)
		assert.Equal(t, 2, next.ID, "arm ids go on from the saved ones")
	})
	t.Run("pending notification is delivered", func(t *testing.T) {
		pending := b.Notifications(sim.NotifyFilter{State: sim.NotifyPending})
		require.Len(t, pending, 1)
		assert.Equal(t, t0.Add(15*time.Second), pending[0].NextAt)
		_, err := b.AdvanceClock(15 * time.Second)
		require.NoError(t, err)
		n := waitState(t, b, nid, sim.NotifyAcked)
		require.Len(t, n.Attempts, 2)
		assert.False(t, n.Attempts[0].Acked)
		assert.True(t, n.Attempts[1].Acked)
		assert.Equal(t, t0.Add(15*time.Second), n.Attempts[1].At, "the retry kept its schedule")
		assert.EqualValues(t, 2, rcv.calls.Load())
		assert.Equal(t, nid, "n1")
		assert.Equal(t, "n2", b.Notify(delivery(rcv.URL)), "notification ids go on from the saved ones")
	})
	t.Run("processing refund finishes on its schedule", func(t *testing.T) {
		_, err := b.AdvanceClock(15 * time.Second) // 30 s after it was booked; nobody queries: the wake-up was armed again
		require.NoError(t, err)
		r := inspectOne(t, b, "huifu", "R1")
		require.Len(t, r.Refunds, 1)
		assert.Equal(t, sim.StatusSuccess, r.Refunds[0].Status)
		assert.Equal(t, "10.00", r.Amount)
		assert.Equal(t, "3.00", r.Refunded)
		var refundEvents int
		for _, ev := range *events {
			if ev.Refund != nil && ev.Refund.ID == "R1" {
				refundEvents++
			}
		}
		assert.Equal(t, 1, refundEvents, "the refund is announced once, after the restart")
	})
	t.Run("close decided by its query", func(t *testing.T) {
		c, err := b.QueryClose("huifu", merchant, sim.ByID("P2"))
		require.NoError(t, err)
		assert.Equal(t, sim.StatusSuccess, c.Status)
		assert.Equal(t, sim.StatusClosed, c.Payment.Status)
	})
}

// A deadline that passed while paysim was down is settled when the state is restored,
// and announced.
func TestRestoreSettlesWhatBecameDue(t *testing.T) {
	a, _ := stateSim(t, sim.WithClock(sim.RealClock{}))
	seed(t, a, "huifu", "P1", 1000)
	_, err := a.CreateRefund(refundReq("huifu", "P1", "R1", 100))
	require.NoError(t, err)
	st, err := a.Snapshot()
	require.NoError(t, err)
	// Pretend the refund was booked 31 s earlier: paysim was down past its deadline.
	shift := func(t time.Time) time.Time { return t.Add(-31 * time.Second) }
	r := &st.Payments[0].Refunds[0]
	r.CreatedAt, r.Machine.EnteredAt, r.Machine.History[0].At = shift(r.CreatedAt), shift(r.Machine.EnteredAt), shift(r.Machine.History[0].At)

	b, events := stateSim(t, sim.WithClock(sim.RealClock{}))
	require.NoError(t, b.Restore(st))
	require.Len(t, *events, 1, "announced during the restore")
	ev := (*events)[0]
	require.NotNil(t, ev.Refund)
	assert.Equal(t, sim.StatusSuccess, ev.Refund.Status)
	assert.Equal(t, sim.Amount(100), ev.Payment.Refunded)
}

func TestRestoreRefuses(t *testing.T) {
	rcv := newReceiver(t, failFirst)
	a, _ := stateSim(t)
	populate(t, a, rcv.URL)
	good := saveJSON(t, a)
	decode := func(t *testing.T) *sim.CoreState {
		var st sim.CoreState
		require.NoError(t, json.Unmarshal(good, &st))
		return &st
	}
	cases := []struct {
		name   string
		change func(*sim.CoreState)
		opts   []sim.Option
		want   string
	}{
		{name: "unknown scenario", change: func(st *sim.CoreState) { st.Payments[0].Refunds[0].Machine.Scenario = "gone" },
			want: `scenario "gone" is not loaded`},
		{name: "unknown state", change: func(st *sim.CoreState) { st.Payments[0].Machine.State = "vanished" },
			want: `scenario "pay-on-query" has no state "vanished"`},
		{name: "armed scenario unknown", change: func(st *sim.CoreState) { st.Armed[0].Scenario = "gone" }, want: `armed #1: scenario "gone"`},
		{name: "other seed", opts: []sim.Option{sim.WithSeed(7)}, want: "saved with seed 1 and this paysim has seed 7"},
		{name: "other clock", opts: []sim.Option{sim.WithClock(sim.RealClock{})}, want: "saved on the virtual clock and this paysim runs on the real clock"},
		{name: "bad generator", change: func(st *sim.CoreState) { st.Generator.PCG = []byte("x") }, want: "generator"},
		{name: "payment twice", change: func(st *sim.CoreState) {
			p := st.Payments[0]
			p.Seq, p.Refunds = 99, nil
			st.Payments = append(st.Payments, p)
		}, want: "payment huifu/m1/P1 is listed twice"},
		{name: "refund twice", change: func(st *sim.CoreState) {
			st.Payments[1].Refunds = st.Payments[0].Refunds
		}, want: "refund R1 is listed twice"},
		{name: "over-refunded", change: func(st *sim.CoreState) { st.Payments[0].Refunded = 900 }, want: "do not fit its amount"},
		{name: "seq out of order", change: func(st *sim.CoreState) { st.Payments[1].Seq = 1 }, want: "does not follow"},
		{name: "empty history", change: func(st *sim.CoreState) { st.Payments[0].Machine.History = nil }, want: "empty history"},
		{name: "notification id beyond seq", change: func(st *sim.CoreState) { st.Outbox.Seq = 0 }, want: `notification "n1"`},
		{name: "notification without policy", change: func(st *sim.CoreState) { st.Outbox.Notifications[0].Provider = "nobody" },
			want: `provider "nobody" registered no notification policy`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := decode(t)
			if tc.change != nil {
				tc.change(st)
			}
			b, _ := stateSim(t, tc.opts...)
			err := b.Restore(st)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			held, _, _ := b.Bounds()
			assert.Zero(t, held, "a refused state changes nothing")
			assert.Empty(t, b.Notifications(sim.NotifyFilter{}))
		})
	}
	t.Run("simulator already in use", func(t *testing.T) {
		b, _ := stateSim(t)
		seed(t, b, "huifu", "X", 100)
		err := b.Restore(decode(t))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "already holds")
	})
}

func TestChangesCountsEveryChange(t *testing.T) {
	s, _ := stateSim(t)
	steps := []struct {
		name string
		do   func()
	}{
		{"seed", func() { seed(t, s, "huifu", "P1", 100) }},
		{"query", func() { queryPayment(t, s, "huifu", "P1", true) }},
		{"generate", func() { s.Generate(func(f *gofakeit.Faker) string { return f.Word() }) }},
		{"serial", func() { s.NextSerial() }},
		{"arm", func() { _, _ = s.Arm("refund-30s", "", 1, 0) }},
		{"disarm", func() { s.Disarm() }},
		{"clock", func() { _, _ = s.AdvanceClock(time.Second) }},
		{"notify", func() { s.Notify(delivery("http://127.0.0.1:1/")) }},
		{"touch", s.Touch},
		{"reset", func() { s.Reset("") }},
	}
	for _, st := range steps {
		before := s.Changes()
		st.do()
		assert.Greater(t, s.Changes(), before, st.name)
	}
	seed(t, s, "huifu", "P2", 100)
	before := s.Changes()
	s.ArmedScenarios()
	s.Notifications(sim.NotifyFilter{})
	s.Inspect("", "", "P2")
	s.List("", "", 0, 10)
	_, _ = s.Snapshot()
	assert.Equal(t, before, s.Changes(), "reading (the console's polling) changes nothing")
}

// An answer still being sent when the copy is taken is counted, so a writer copies again.
func TestSnapshotCountsUnkeptAnswers(t *testing.T) {
	s, _ := stateSim(t)
	v, err := s.CreatePayment(payReq("huifu", "P1", 100))
	require.NoError(t, err)
	st, err := s.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, 1, st.Unkept())
	v.Answer.Keep([]byte("bytes"))
	st, err = s.Snapshot()
	require.NoError(t, err)
	assert.Zero(t, st.Unkept())
	assert.Equal(t, "bytes", string(st.Payments[0].Answer))
}

// Snapshots taken while requests run are each one consistent instant: every copy
// restores, and its reservations add up to its refunds still processing.
func TestSnapshotWhileServing(t *testing.T) {
	s, _ := stateSim(t)
	for i := range 20 {
		seed(t, s, "huifu", fmt.Sprintf("P%d", i), 10000)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				_, _ = s.CreateRefund(refundReq("huifu", fmt.Sprintf("P%d", (g*50+i)%20), fmt.Sprintf("R%d-%d", g, i), 10))
				_, _ = s.AdvanceClock(3 * time.Second)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for copies := 0; ; copies++ {
		st, err := s.Snapshot()
		require.NoError(t, err)
		for _, p := range st.Payments {
			var reserved, refunded sim.Amount
			for _, r := range p.Refunds {
				switch {
				case r.Settled:
					refunded += r.Amount
				default:
					reserved += r.Amount
				}
			}
			require.Equal(t, p.Reserved, reserved, "payment %s", p.ID)
			require.Equal(t, p.Refunded, refunded, "payment %s", p.ID)
		}
		b, _ := stateSim(t)
		require.NoError(t, b.Restore(st))
		select {
		case <-done:
			require.Positive(t, copies)
			return
		default:
		}
	}
}

// BenchmarkSnapshot measures a state file's cost at 100,000 entities (50,000 paid
// payments with one refund each, every one with its stored answer and its scenario's
// history): the copy under the
// locks, and the JSON written.
func BenchmarkSnapshot(b *testing.B) {
	set := loadSet(b, stateSet[1:]...) // payments succeed at once, refunds are processing
	s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithScenarios(set, nil))
	answer := []byte(`{"data":{"acct_date":"20260101","bank_code":"","hf_seq_id":"0029000TOPA260101100000P9187f00000100001","huifu_id":"6666000100000002","out_trans_id":"4200001234202601011234567890","party_order_id":"03242601011234567890123","req_date":"20260101","req_seq_id":"order-000001","resp_code":"00000000","resp_desc":"交易成功","trans_amt":"10.00","trans_stat":"S"},"sign":"` + strings.Repeat("A", 344) + `"}`)
	fields := map[string]string{"req_date": "20260101", "trade_type": "T_JSAPI", "notify_url": "http://127.0.0.1:9000/notify", "party_order_id": "03242601011234567890123"}
	for i := range 50000 {
		id := fmt.Sprintf("order-%06d", i)
		p, err := s.CreatePayment(sim.PaymentRequest{Key: key("huifu", id), ProviderID: "hf" + id, Amount: 1000, Fields: fields, Fingerprint: "fp"})
		require.NoError(b, err)
		p.Answer.Keep(answer)
		r, err := s.CreateRefund(sim.RefundRequest{Key: key("huifu", "rf-"+id), Payment: sim.ByID(id), Amount: 100, Fields: fields, Fingerprint: "fp"})
		require.NoError(b, err)
		r.Answer.Keep(answer)
	}
	held, _, _ := s.Bounds()
	require.Equal(b, 100000, held)
	b.Run("copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Snapshot(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("copy+json", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			st, err := s.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			var w countingWriter
			if err := st.WriteJSON(&w); err != nil {
				b.Fatal(err)
			}
			n = int(w)
		}
		b.ReportMetric(float64(n), "bytes/file")
	})
	b.Run("restore", func(b *testing.B) {
		st, err := s.Snapshot()
		require.NoError(b, err)
		var buf bytes.Buffer
		require.NoError(b, st.WriteJSON(&buf))
		data := buf.Bytes()
		b.ReportAllocs()
		for b.Loop() {
			var st sim.CoreState
			if err := json.Unmarshal(data, &st); err != nil {
				b.Fatal(err)
			}
			fresh := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithScenarios(set, nil))
			if err := fresh.Restore(&st); err != nil {
				b.Fatal(err)
			}
		}
	})
}

type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

// A payment announced before the copy has its notification in the copy, even when the
// provider is still building it while the copy is taken.
func TestSnapshotWaitsForAnnouncementsUnderWay(t *testing.T) {
	s, _ := stateSim(t)
	started, release := make(chan struct{}), make(chan struct{})
	s.OnFinal("huifu", func(ev sim.Event) {
		close(started)
		<-release // the provider signs its notification meanwhile
		s.Notify(delivery("http://127.0.0.1:1/"))
	})
	_, err := s.CreatePayment(payReq("huifu", "P1", 100))
	require.NoError(t, err)
	go queryPayment(t, s, "huifu", "P1", true) // paid: announced
	<-started
	copied := make(chan *sim.CoreState)
	go func() {
		st, err := s.Snapshot()
		assert.NoError(t, err)
		copied <- st
	}()
	time.Sleep(50 * time.Millisecond) // without the wait, the copy would be taken by now
	close(release)
	st := <-copied
	require.Len(t, st.Payments, 1)
	require.True(t, st.Payments[0].Announced)
	assert.Len(t, st.Outbox.Notifications, 1, "the notification of the announced payment is in the copy")
}

// A delayed payment keeps its confirms and confirm refunds, and their totals.
func TestStateKeepsConfirms(t *testing.T) {
	a, _ := stateSim(t)
	_, err := a.SeedPayment(sim.PaymentRequest{Key: key("huifu", "D1"), Amount: 1000, Delayed: true})
	require.NoError(t, err)
	c, err := a.CreateConfirm(sim.ConfirmRequest{Key: key("huifu", "C1"), Payment: sim.ByID("D1"), Amount: 600, Fingerprint: "c1",
		Aliases: map[string]string{"hf_seq_id": "hf-c1"}})
	require.NoError(t, err)
	c.Answer.Keep([]byte("confirm answer"))
	_, err = a.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", "CR1"), Confirm: sim.ByID("C1"), Amount: 200, Fingerprint: "cr1"})
	require.NoError(t, err)
	data := saveJSON(t, a)
	assert.Contains(t, string(data), `"operation":"confirm_refund"`)

	b, _ := stateSim(t)
	restoreJSON(t, b, data)
	assert.Equal(t, string(data), string(saveJSON(t, b)))
	v, err := b.QueryConfirm(sim.OpConfirm, "huifu", merchant, sim.ByAlias("hf_seq_id", "hf-c1"))
	require.NoError(t, err, "a confirm is found by its alias after the restore")
	assert.Equal(t, sim.Amount(200), v.TakenBack)
	assert.Equal(t, sim.Amount(400), v.Remaining())
	assert.Equal(t, sim.Amount(600), v.Payment.Confirmed)
	retry, err := b.CreateConfirm(sim.ConfirmRequest{Key: key("huifu", "C1"), Payment: sim.ByID("D1"), Amount: 600, Fingerprint: "c1"})
	require.NoError(t, err)
	assert.Equal(t, "confirm answer", string(retry.Answer.Stored()))
	_, err = b.CreateConfirmRefund(sim.ConfirmRefundRequest{Key: key("huifu", "CR2"), Confirm: sim.ByID("C1"), Amount: 401, Fingerprint: "cr2"})
	requireKind(t, err, sim.ErrInsufficientBalance)
}

// failSender accepts every target and fails every attempt the same way.
type failSender struct{}

func (failSender) Check(string) error { return nil }
func (failSender) Send(context.Context, sim.Delivery) (int, []byte, error) {
	return 0, nil, fmt.Errorf("receiver down")
}

// The format of version 1 is pinned: a change of what a state file holds shows as a diff
// of testdata/state-v1.json (run with -update only if it is intended, and give the format
// a new version if an older paysim could not read it), and the file keeps loading.
func TestStateFormatV1(t *testing.T) {
	a, _ := stateSim(t, sim.WithSender(failSender{}))
	populate(t, a, "http://127.0.0.1:9/notify")
	_, err := a.SeedPayment(sim.PaymentRequest{Key: key("huifu", "D1"), Amount: 1000, Delayed: true})
	require.NoError(t, err)
	_, err = a.CreateConfirm(sim.ConfirmRequest{Key: key("huifu", "C1"), Payment: sim.ByID("D1"), Amount: 600, Fingerprint: "c1"})
	require.NoError(t, err)
	st, err := a.Snapshot()
	require.NoError(t, err)
	for i := range st.Outbox.Notifications {
		for j := range st.Outbox.Notifications[i].Attempts {
			st.Outbox.Notifications[i].Attempts[j].Duration = 0 // real time, the one thing that varies
		}
	}
	var buf bytes.Buffer
	require.NoError(t, st.WriteJSON(&buf))
	path := filepath.Join("testdata", "state-v1.json")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run the test with -update to create it")
	require.Equal(t, string(want), buf.String(), "the state format changed (run with -update only if that is intended)")

	b, _ := stateSim(t, sim.WithSender(failSender{}))
	restoreJSON(t, b, want)
	assert.Equal(t, string(want), string(saveJSON(t, b)), "a version 1 file loads, and is written back the same")
}
