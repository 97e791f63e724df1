package sim_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/outbound"
	"github.com/paysim/paysim/sim/simtest"
)

// receiver is a test notification endpoint that answers with reply and counts calls.
type receiver struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	reply func(n int64, body []byte) (int, string)
}

func newReceiver(t *testing.T, reply func(n int64, body []byte) (int, string)) *receiver {
	r := &receiver{reply: reply}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		n := r.calls.Add(1)
		r.mu.Lock()
		status, text := r.reply(n, body)
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(r.Close)
	return r
}

func okAck(status int, body []byte) (bool, string) {
	if status == 200 && strings.TrimSpace(string(body)) == "OK" {
		return true, ""
	}
	return false, "answer was not 200 OK"
}

func delivery(url string, gaps ...time.Duration) sim.Delivery {
	return sim.Delivery{Provider: "huifu", Operation: sim.OpPayment, Entity: key("huifu", "P1"), Order: "P1",
		URL: url, Body: []byte("hello"), Header: http.Header{"Content-Type": {"text/plain"}},
		Policy: sim.DeliveryPolicy{Gaps: gaps, Timeout: 2 * time.Second, Ack: okAck}}
}

func waitState(t *testing.T, s *sim.Simulator, id, state string) sim.Notification {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, seen, ok := s.WaitNotification(ctx, sim.NotifyFilter{Order: "P1", State: state})
	require.True(t, ok, "no notification reached %s; seen %+v", state, seen)
	if id != "" {
		require.Equal(t, id, n.ID)
	}
	return n
}

func TestNotifyAckedAtOnce(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 200, "OK" })
	id := s.Notify(delivery(rcv.URL, time.Minute))
	n := waitState(t, s, id, sim.NotifyAcked)
	require.Len(t, n.Attempts, 1)
	assert.True(t, n.Attempts[0].Acked)
	assert.Equal(t, 200, n.Attempts[0].Status)
	assert.Equal(t, "OK", n.Attempts[0].Reply)
	assert.Equal(t, t0, n.Attempts[0].At, "attempts are timed on the simulator's clock")
}

// A failing receiver is retried on the schedule, on the virtual clock, and the journal
// keeps every attempt with why it failed.
func TestNotifyRetriesOnSchedule(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(n int64, _ []byte) (int, string) {
		if n < 3 {
			return 500, "busy"
		}
		return 200, "OK"
	})
	id := s.Notify(delivery(rcv.URL, 15*time.Second, time.Minute))
	n := waitAttempts(t, s, id, 1)
	assert.Equal(t, sim.NotifyPending, n.State)
	assert.Equal(t, t0.Add(15*time.Second), n.NextAt)
	assert.Equal(t, "answer was not 200 OK", n.Why)

	_, err := s.AdvanceClock(14 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, int64(1), rcv.calls.Load(), "not due yet")

	_, err = s.AdvanceClock(time.Second)
	require.NoError(t, err)
	waitAttempts(t, s, id, 2)
	_, err = s.AdvanceClock(time.Minute)
	require.NoError(t, err)
	n = waitState(t, s, id, sim.NotifyAcked)
	require.Len(t, n.Attempts, 3)
	assert.Equal(t, []time.Time{t0, t0.Add(15 * time.Second), t0.Add(75 * time.Second)},
		[]time.Time{n.Attempts[0].At, n.Attempts[1].At, n.Attempts[2].At})
	assert.Equal(t, 500, n.Attempts[0].Status)
	assert.Equal(t, "busy", n.Attempts[0].Reply)
}

func waitAttempts(t *testing.T, s *sim.Simulator, id string, want int) sim.Notification {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range s.Notifications(sim.NotifyFilter{}) {
			if n.ID == id && len(n.Attempts) >= want && n.State != sim.NotifyInFlight {
				return n
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("notification %s did not reach %d attempts: %+v", id, want, s.Notifications(sim.NotifyFilter{}))
	return sim.Notification{}
}

func TestNotifyGivesUpAfterLastAttempt(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 200, "nope" })
	id := s.Notify(delivery(rcv.URL, time.Second, time.Second))
	waitAttempts(t, s, id, 1)
	_, err := s.AdvanceClock(time.Second)
	require.NoError(t, err)
	waitAttempts(t, s, id, 2)
	_, err = s.AdvanceClock(time.Hour)
	require.NoError(t, err)
	n := waitState(t, s, id, sim.NotifyFailed)
	assert.Len(t, n.Attempts, 3)
	assert.Contains(t, n.Why, "all 3 attempts failed")
	_, err = s.AdvanceClock(time.Hour)
	require.NoError(t, err)
	assert.Equal(t, int64(3), rcv.calls.Load())
}

func TestNotifyTimeoutAndRedirect(t *testing.T) {
	s, _ := newSim(t)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); slow.Close() })
	d := delivery(slow.URL)
	d.Policy.Timeout = 50 * time.Millisecond
	id := s.Notify(d)
	n := waitState(t, s, id, sim.NotifyFailed)
	assert.Contains(t, n.Attempts[0].Why, "no answer within 50ms")

	target := newReceiver(t, func(int64, []byte) (int, string) { return 200, "OK" })
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	d = delivery(redirect.URL)
	d.Order = "P2"
	id = s.Notify(d)
	n = waitAttempts(t, s, id, 1)
	assert.Equal(t, http.StatusFound, n.Attempts[0].Status)
	assert.False(t, n.Attempts[0].Acked)
	assert.Equal(t, int64(0), target.calls.Load(), "redirects are not followed")
}

func TestNotifyRefusesNonLoopbackTargets(t *testing.T) {
	tests := []struct {
		url   string
		allow []string
		ok    bool
	}{
		{"http://127.0.0.1:9/cb", nil, true},
		{"http://localhost:9/cb", nil, true},
		{"http://[::1]:9/cb", nil, true},
		{"http://10.1.2.3/cb", nil, false},
		{"https://example.invalid/cb?a=1", nil, false},
		{"ftp://127.0.0.1/cb", nil, false},
		{"/relative", nil, false},
		{"https://example.invalid/cb", []string{"example.invalid"}, true},
		{"https://example.invalid:8443/cb", []string{"example.invalid:8443"}, true},
		{"https://example.invalid/cb", []string{"example.invalid:8443"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			var sent atomic.Int64
			// A transport that only counts: nothing leaves the machine in this test.
			rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
				sent.Add(1)
				return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("OK"))}, nil
			})
			s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithSender(outbound.New(outbound.WithTransport(rt), outbound.WithAllow(tt.allow...))))
			id := s.Notify(delivery(tt.url))
			if tt.ok {
				waitState(t, s, id, sim.NotifyAcked)
				assert.Equal(t, int64(1), sent.Load())
				return
			}
			n := waitState(t, s, id, sim.NotifyRefused)
			assert.NotEmpty(t, n.Why)
			assert.Empty(t, n.Attempts)
			assert.Equal(t, int64(0), sent.Load())
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Many goroutines advancing the clock at once fire each due attempt exactly once.
func TestNotifyConcurrentAdvanceFiresOnce(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 500, "no" })
	const n = 50
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.Notify(delivery(rcv.URL, time.Minute))
	}
	for _, id := range ids {
		waitAttempts(t, s, id, 1)
	}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.AdvanceClock(5 * time.Second) // 16 x 5 s: past the 1 min retry, once
		}()
	}
	wg.Wait()
	for _, id := range ids {
		waitAttempts(t, s, id, 2)
	}
	assert.Equal(t, int64(2*n), rcv.calls.Load())
}

// Pending deliveries wait as heap entries: a thousand of them add no goroutines.
func TestThousandPendingDeliveriesCostNoGoroutines(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 503, "later" })
	ids := make([]string, 1000)
	for i := range ids {
		d := delivery(rcv.URL, time.Hour)
		d.Order = "bulk"
		ids[i] = s.Notify(d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && len(s.Notifications(sim.NotifyFilter{Order: "bulk", State: sim.NotifyPending})) < len(ids) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Len(t, s.Notifications(sim.NotifyFilter{Order: "bulk", State: sim.NotifyPending}), len(ids))
	before := runtime.NumGoroutine()
	time.Sleep(50 * time.Millisecond) // let finished workers exit
	runtime.GC()
	waiting := runtime.NumGoroutine()
	assert.Equal(t, len(ids), s.PendingTasks(), "each pending retry is one heap entry")
	assert.LessOrEqual(t, waiting, before, "no goroutine per pending delivery (before %d, waiting %d)", before, waiting)
	t.Logf("1000 pending deliveries: %d goroutines in the test process", waiting)
}

func TestNotifyRedeliver(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 200, "OK" })
	id := s.Notify(delivery(rcv.URL))
	waitState(t, s, id, sim.NotifyAcked)
	_, err := s.Redeliver(id)
	require.NoError(t, err)
	n := waitAttempts(t, s, id, 2)
	assert.True(t, n.Attempts[1].Manual)
	assert.Equal(t, sim.NotifyAcked, n.State)
	_, err = s.Redeliver("n999")
	assert.ErrorContains(t, err, "no notification")
}

func TestNotifyDuplicate(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 200, "OK" })
	d := delivery(rcv.URL)
	d.Duplicate = true
	s.Notify(d)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && len(s.Notifications(sim.NotifyFilter{State: sim.NotifyAcked})) < 2 {
		time.Sleep(2 * time.Millisecond)
	}
	assert.Len(t, s.Notifications(sim.NotifyFilter{State: sim.NotifyAcked}), 2)
	assert.Equal(t, int64(2), rcv.calls.Load())
}

// Shutdown lets an attempt under way finish and reports what was still waiting.
func TestNotifyShutdown(t *testing.T) {
	s, _ := newSim(t)
	failing := newReceiver(t, func(int64, []byte) (int, string) { return 500, "no" })
	waitingID := s.Notify(delivery(failing.URL, time.Hour))
	waitAttempts(t, s, waitingID, 1)

	entered, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "OK")
	}))
	t.Cleanup(slow.Close)
	d := delivery(slow.URL)
	d.Order = "P2"
	flightID := s.Notify(d)
	<-entered
	done := make(chan []sim.Notification)
	go func() { done <- s.Close(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	left := <-done
	require.Len(t, left, 1)
	assert.Equal(t, waitingID, left[0].ID)
	assert.Equal(t, sim.NotifyAbandoned, left[0].State)
	for _, n := range s.Notifications(sim.NotifyFilter{}) {
		if n.ID == flightID {
			assert.Equal(t, sim.NotifyAcked, n.State, "the attempt under way finished")
		}
	}
}

func TestNotifyWaitTimesOutWithWhatItSaw(t *testing.T) {
	s, _ := newSim(t)
	rcv := newReceiver(t, func(int64, []byte) (int, string) { return 500, "no" })
	id := s.Notify(delivery(rcv.URL, time.Hour))
	waitAttempts(t, s, id, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, seen, ok := s.WaitNotification(ctx, sim.NotifyFilter{Order: "P1", State: sim.NotifyAcked})
	assert.False(t, ok)
	require.Len(t, seen, 1)
	assert.Equal(t, sim.NotifyPending, seen[0].State)
}

// Entities reaching a final state are reported to their provider once, including when
// only time passes: a refund that succeeds after 30 s is announced by the clock.
func TestFinalEventsAreAnnouncedOnce(t *testing.T) {
	s, clock := newSim(t, sc("refund-slow", sim.OpRefund, "default: true",
		"states: [{name: p, status: processing, until: {elapsed: 30s}, next: s}, {name: s, status: success, duplicate_notify: true}]"),
		sc("pay-quiet", sim.OpPayment, `when: {amount: "0.07"}`, "states: [{name: s, status: success, notify: false}]"))
	var mu sync.Mutex
	var got []sim.Event
	s.OnFinal("huifu", func(ev sim.Event) { mu.Lock(); got = append(got, ev); mu.Unlock() })
	events := func() []sim.Event { mu.Lock(); defer mu.Unlock(); return append([]sim.Event(nil), got...) }

	_, err := s.CreatePayment(payReq("huifu", "P", 100))
	require.NoError(t, err)
	require.Len(t, events(), 1)
	assert.Equal(t, sim.OpPayment, events()[0].Operation)
	assert.True(t, events()[0].Synchronous)
	assert.True(t, events()[0].Notify)

	_, err = s.CreatePayment(payReq("huifu", "Q", 7))
	require.NoError(t, err)
	require.Len(t, events(), 2)
	assert.False(t, events()[1].Notify, "notify: false")

	_, err = s.CreateRefund(refundReq("huifu", "P", "R", 10))
	require.NoError(t, err)
	queryPayment(t, s, "huifu", "P", true)
	require.Len(t, events(), 2, "the refund is still processing")
	_, err = s.AdvanceClock(30 * time.Second)
	require.NoError(t, err)
	require.Len(t, events(), 3, "the clock alone finished the refund")
	ev := events()[2]
	require.NotNil(t, ev.Refund)
	assert.Equal(t, "R", ev.Entity().ID)
	assert.Equal(t, sim.StatusSuccess, ev.Refund.Status)
	assert.Equal(t, t0.Add(30*time.Second), ev.Refund.FinishedAt)
	assert.False(t, ev.Synchronous)
	assert.True(t, ev.Duplicate)
	assert.Equal(t, sim.Amount(10), ev.Payment.Refunded, "the payment view is current")

	queryRefund(t, s, "huifu", "R")
	advance(t, clock, time.Hour)
	s.Inspect("", "", "")
	assert.Len(t, events(), 3, "announced once")
}

func TestSeededPaymentsAreNotAnnounced(t *testing.T) {
	s, _ := newSim(t)
	var n atomic.Int64
	s.OnFinal("huifu", func(sim.Event) { n.Add(1) })
	seed(t, s, "huifu", "P", 100)
	s.Inspect("", "", "")
	assert.Equal(t, int64(0), n.Load())
}

// On the real clock one scheduler goroutine wakes entities at their deadlines.
func TestRealClockWakesEntities(t *testing.T) {
	set := loadSet(t, sc("refund-quick", sim.OpRefund, "default: true",
		"states: [{name: p, status: processing, until: {elapsed: 50ms}, next: s}, {name: s, status: success}]"))
	s := sim.New(sim.WithScenarios(set, nil))
	t.Cleanup(func() { s.Close(context.Background()) })
	done := make(chan sim.Event, 1)
	s.OnFinal("huifu", func(ev sim.Event) {
		if ev.Refund != nil {
			done <- ev
		}
	})
	seed(t, s, "huifu", "P", 100)
	_, err := s.CreateRefund(refundReq("huifu", "P", "R", 10))
	require.NoError(t, err)
	select {
	case ev := <-done:
		assert.Equal(t, sim.StatusSuccess, ev.Refund.Status)
	case <-time.After(5 * time.Second):
		t.Fatal("the refund was not woken at its deadline")
	}
}

// The journal keeps the newest notifications: past its bound the oldest finished ones
// are forgotten, and pending ones never are.
func TestJournalIsBounded(t *testing.T) {
	rt := roundTripFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("OK"))}, nil
	})
	s := sim.New(sim.WithClock(sim.NewVirtualClock(t0)), sim.WithSender(outbound.New(outbound.WithTransport(rt))))
	first := s.Notify(delivery("http://127.0.0.1:9/first"))
	waitState(t, s, first, sim.NotifyAcked)
	const bound = 10000
	for i := 0; i < bound; i++ {
		d := delivery("http://127.0.0.1:9/n")
		d.Order = "bulk"
		s.Notify(d)
	}
	simtest.WaitFor(t, func() bool { return len(s.Notifications(sim.NotifyFilter{State: sim.NotifyAcked})) == bound })
	all := s.Notifications(sim.NotifyFilter{})
	assert.Len(t, all, bound)
	assert.NotEqual(t, first, all[0].ID, "the oldest finished notification was forgotten")
}

// Shutdown tells the truth: an attempt still under way when the grace period ends is
// listed with that attempt counted, and one whose attempt failed during the grace
// period is listed too.
func TestNotifyShutdownReportsEveryUnacknowledged(t *testing.T) {
	s, _ := newSim(t)
	entered, release := make(chan struct{}, 2), make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs first: the handler returns, then the server closes
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		time.Sleep(50 * time.Millisecond) // answered during the grace period
		w.WriteHeader(500)
	}))
	t.Cleanup(failing.Close)

	hung := delivery(hang.URL, time.Hour)
	hung.Order = "HUNG"
	hungID := s.Notify(hung)
	failed := delivery(failing.URL, time.Hour)
	failed.Order = "FAILED"
	failedID := s.Notify(failed)
	<-entered
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	left := s.Close(ctx)
	byID := map[string]sim.Notification{}
	for _, n := range left {
		byID[n.ID] = n
	}
	require.Len(t, byID, 2, "both unacknowledged notifications are listed: %+v", left)
	h := byID[hungID]
	require.Len(t, h.Attempts, 1, "the attempt under way counts: the receiver got the request")
	assert.True(t, h.Attempts[0].Unfinished)
	assert.Equal(t, sim.NotifyAbandoned, h.State)
	f := byID[failedID]
	require.Len(t, f.Attempts, 1)
	assert.Equal(t, 500, f.Attempts[0].Status)
	assert.Contains(t, f.Why, "shut down after this attempt")
}
