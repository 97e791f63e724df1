package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

var updateDocs = flag.Bool("docs", false, "write the Orders page's screenshot to docs/console-orders.png")

// browser is one headless Chromium tab, with every JavaScript error it reports.
type browser struct {
	t   *testing.T
	ctx context.Context
	dir string // where screenshots go

	mu     sync.Mutex
	errors []string
}

// newBrowser starts Debian's chromium, headless, in a zone far from Beijing (the console
// must show Beijing time whatever the browser's zone). Without chromium the test fails
// in CI and is skipped elsewhere.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed, and CI is set: the console's browser test must run (make browser installs it: apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed: skipping the console's browser test (make browser, or apt-get install -y chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to sandbox as root
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	dir := t.TempDir()
	if keep := os.Getenv("PAYSIM_SCREENSHOTS"); keep != "" { // to look at them after the test
		dir = keep
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := &browser{t: t, ctx: ctx, dir: dir}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	start, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Starts the browser and the tab.
	if err := chromedp.Listen(ctx, b.collect); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(start, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatalf("setting the browser's zone: %v", err)
	}
	return b
}

// collect keeps every console error, uncaught exception and browser-log error (a CSP
// violation, an asset that failed to load). It runs in chromedp's event loop: no
// command, just a note under the lock.
func (b *browser) collect(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			if a.Value != nil {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		msg = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "uncaught exception: " + d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		msg += fmt.Sprintf(" at %s:%d:%d", d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("browser log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	default:
		return
	}
	b.mu.Lock()
	b.errors = append(b.errors, msg)
	b.mu.Unlock()
}

// noErrors fails the test on any JavaScript error seen so far.
func (b *browser) noErrors(when string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		b.t.Errorf("%s: the page reported an error: %s", when, e)
	}
	b.errors = nil
}

// do runs the actions of one step, bounded in time.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	defer func() { b.t.Logf("%s: %s", step, time.Since(start).Round(time.Millisecond)) }()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) text(step, sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.shot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: reading %s: %v", step, sel, err)
	}
	return s
}

func (b *browser) eval(step, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %s: %v", step, js, err)
	}
	return s
}

// shot saves a full-page screenshot under the test's temp dir and returns its path.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	// From the top: the header is sticky, and a full-page capture of a scrolled page
	// draws it in the middle.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(b.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// TestConsoleInBrowser drives the console in a real Chromium: a refund shows as
// processing, the page's clock control makes it succeed, a scenario armed from the page
// decides the next refund, and the Requests page explains a tampered request.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	ps := paysimtest.New(t)

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "RECV_ORD_ID_refund-1") // Huifu's acknowledgement
	}))
	defer receiver.Close()

	// "/" leads to the console, whose first page is Orders.
	b.do("open paysim's root", chromedp.Navigate(ps.URL+"/"), chromedp.WaitVisible(css(`body[data-page="orders"] #orders`)))
	if loc := b.eval("location", `location.pathname`); loc != "/__paysim/ui/orders" {
		t.Errorf("/ led to %s, want /__paysim/ui/orders", loc)
	}
	// The virtual clock starts at 10:00 Beijing time; the browser is in New York.
	b.do("clock shown", chromedp.Poll[chromedp.Void](`document.getElementById('clock-now').textContent === '2026-01-01 10:00:00'`, chromedp.WithPollingTimeout(5*time.Second)))
	if mode := b.text("clock mode", "#clock-mode"); mode != "virtual" {
		t.Errorf("clock mode shown %q, want virtual", mode)
	}

	// A signed refund of a seeded order, through the Huifu test client; two orders of other
	// providers beside it.
	ps.Seed("huishouqian", "864000000001", "HSQ-20260101-0001", "88.00")
	ps.Seed("umpay", "42516662", "UM202601010001", "0.50")
	ps.Seed("huifu", huifutest.HuifuID, "order-1", "10.00")
	refund, err := ps.Huifu().Post("/v3/trade/payment/scanpay/refund", map[string]any{
		"req_date": "20260101", "req_seq_id": "refund-1", "huifu_id": huifutest.HuifuID,
		"ord_amt": "2.50", "org_req_date": "20260101", "org_req_seq_id": "order-1", "notify_url": receiver.URL,
	})
	if err != nil || refund.Data["trans_stat"] != "P" {
		t.Fatalf("refund: %v %v", err, refund)
	}

	// Orders: the payment appears without a reload; opening it shows the refund processing,
	// with its scenario, why it got it, its state machine and what moves it next.
	row := `tr[data-order="huifu/6666000100000002/order-1"]`
	refundCard := `section[data-entity="refund-1"]`
	b.do("order listed live", chromedp.WaitVisible(css(row+` [data-child="refund-1"][data-status="processing"]`)), chromedp.Click(css(row)))
	b.do("refund processing", chromedp.WaitVisible(css(refundCard+`[data-status="processing"]`)),
		chromedp.WaitVisible(css(refundCard+` g.state[data-state="processing"][data-current="true"]`)))
	card := b.text("refund card", refundCard)
	for _, want := range []string{"refund-processing-then-success", "default for refund", "Next:", `moves to "succeeded" after 2 more status queries or at 2026-01-01 10:00:30`} {
		if !strings.Contains(card, want) {
			t.Errorf("the refund's card does not say %q:\n%s", want, card)
		}
	}
	if !strings.Contains(b.text("row", row), "processing") {
		t.Errorf("the order's row does not show its refund processing")
	}
	b.shot("orders-processing")
	b.noErrors("Orders")

	// The page's clock control: 30 s later the refund has succeeded.
	b.do("advance 30s", chromedp.Click(css(`button[data-advance="30s"]`)),
		chromedp.WaitVisible(css(refundCard+`[data-status="success"]`)),
		chromedp.WaitVisible(css(refundCard+` g.state[data-state="succeeded"][data-current="true"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('clock-now').textContent === '2026-01-01 10:00:30'`, chromedp.WithPollingTimeout(5*time.Second)))
	if got := ps.Order("huifu", "refund-1").Refunds[0].Status; got != "success" {
		t.Errorf("after the page advanced the clock the refund is %s, want success", got)
	}
	card = b.text("refund card", refundCard)
	for _, want := range []string{"processing → succeeded", "elapsed 30s", "2026-01-01 10:00:30", "Final: success"} {
		if !strings.Contains(card, want) {
			t.Errorf("the succeeded refund's card does not say %q:\n%s", want, card)
		}
	}
	orders := b.shot("orders")
	if *updateDocs && orders != "" {
		raw, err := os.ReadFile(orders)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "console-orders.png"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/console-orders.png")
	}
	b.noErrors("advancing the clock")

	// A shared link to a refund opens its payment.
	b.do("link to a refund", chromedp.Navigate(ps.URL+"/__paysim/ui/orders?provider=huifu&id=refund-1"),
		chromedp.WaitVisible(css(refundCard+`[data-status="success"]`)))
	if n := b.eval("rows", `String(document.querySelectorAll('#orders tr.row').length)`); n != "1" {
		t.Errorf("the link to refund-1 lists %s payments, want its one", n)
	}

	// An order that waits for its payer: the page plays the payer.
	ps.Arm("pay-waits-for-payer", paysimtest.Arm{Provider: "huifu"})
	qr, err := ps.Huifu().Post("/v3/trade/payment/jspay", map[string]any{
		"req_date": "20260101", "req_seq_id": "qr-1", "huifu_id": huifutest.HuifuID,
		"goods_desc": "测试商品", "trade_type": "A_NATIVE", "trans_amt": "3.00",
	})
	if err != nil || qr.Data["trans_stat"] != "P" {
		t.Fatalf("jspay: %v %v", err, qr)
	}
	qrCard := `section[data-entity="qr-1"]`
	b.do("open the waiting order", chromedp.Navigate(ps.URL+"/__paysim/ui/orders?provider=huifu&id=qr-1"),
		chromedp.WaitVisible(css(qrCard+`[data-status="processing"] button[data-payer="pay"]`)))
	b.do("payer pays now", chromedp.Click(css(qrCard+` button[data-payer="pay"]`)),
		chromedp.WaitVisible(css(qrCard+`[data-status="success"]`)))
	if got := ps.Order("huifu", "qr-1").Status; got != "success" {
		t.Errorf("after the page's payer paid, the order is %s, want success", got)
	}
	if n := b.eval("payer buttons", `String(document.querySelectorAll('button[data-payer]').length)`); n != "0" {
		t.Errorf("a paid order still offers %s payer buttons", n)
	}
	b.noErrors("playing the payer")

	// Notifications: the refund's, acknowledged; redeliver it from the page.
	ps.WaitNotification("refund-1", "acked", 5*time.Second)
	b.do("open Notifications", chromedp.Click(css(`#nav a[data-page="notifications"]`)),
		chromedp.WaitVisible(css(`tr[data-entity="refund-1"][data-state="acked"]`)),
		chromedp.Click(css(`tr[data-entity="refund-1"]`)),
		chromedp.WaitVisible(css(`tr.detail-row table.history`)))
	b.do("redeliver", chromedp.Click(css(`button[data-redeliver]`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('tr[data-entity="refund-1"] td')].some(td => td.textContent === '2 / 4')`, chromedp.WithPollingTimeout(5*time.Second)))
	if n := len(ps.WaitNotification("refund-1", "acked", 5*time.Second).Attempts); n != 2 {
		t.Errorf("after redeliver the notification has %d attempts, want 2", n)
	}
	if reply := b.text("reply", `tr.detail-row table.history tbody tr td:nth-child(5)`); reply != "RECV_ORD_ID_refund-1" {
		t.Errorf("the receiver's answer shown is %q", reply)
	}
	b.shot("notifications")
	b.noErrors("Notifications")

	// Scenarios: arm refund-insufficient-balance for Huifu from the page; the next refund
	// gets it.
	form := `form[data-arm-for="refund-insufficient-balance"]`
	b.do("open Scenarios", chromedp.Click(css(`#nav a[data-page="scenarios"]`)), chromedp.WaitVisible(css(form)),
		chromedp.WaitVisible(css(`section[data-scenario="refund-processing-then-success"] g.state[data-state="succeeded"]`)))
	if loc := b.eval("location", `location.pathname`); loc != "/__paysim/ui/scenarios" {
		t.Errorf("the Scenarios page is at %s", loc)
	}
	b.do("arm", chromedp.SetValue(css(form+` select[name="provider"]`), "huifu"),
		chromedp.Click(css(form+` button[data-arm]`)),
		chromedp.WaitVisible(css(`#armed tr[data-armed="refund-insufficient-balance"]`)))
	b.do("arm a fault", chromedp.SendKeys(css(`#fault-form input[name="fault"]`), "http:502"),
		chromedp.SetValue(css(`#fault-form select[name="operation"]`), "close"),
		chromedp.Click(css(`#fault-form button[type="submit"]`)),
		chromedp.WaitVisible(css(`#faults tr[data-fault="http:502"]`)))
	b.shot("scenarios")
	b.do("disarm the fault", chromedp.Click(css(`#disarm-faults`)), chromedp.WaitNotPresent(css(`#faults tr[data-fault]`)))
	next, err := ps.Huifu().Post("/v3/trade/payment/scanpay/refund", map[string]any{
		"req_date": "20260101", "req_seq_id": "refund-2", "huifu_id": huifutest.HuifuID,
		"ord_amt": "1.00", "org_req_date": "20260101", "org_req_seq_id": "order-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if next.Code() != "23000003" || next.Header.Get("X-Paysim-Scenario") != "refund-insufficient-balance" {
		t.Errorf("the refund after arming from the page got %s (scenario %q), want 23000003 from refund-insufficient-balance",
			next.Code(), next.Header.Get("X-Paysim-Scenario"))
	}
	b.do("armed scenario used", chromedp.WaitNotPresent(css(`#armed tr[data-armed]`)))
	b.noErrors("Scenarios")

	// Requests: a tampered request, shown with the text paysim expected to be signed; and
	// a body full of markup, shown as text.
	tampered := replayTampered(t, ps.URL, "huifu--huifu-official-go-sdk-1.0.31--v3-trade-payment-scanpay-refund.json")
	markup := `{"data":{"note":"<img src=x onerror=window.__pwned=1>&amp; 中文"}}`
	resp, err := http.Post(ps.URL+"/v3/trade/payment/scanpay/refund", "application/json", strings.NewReader(markup))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bad := ps.Requests(paysimtest.RequestFilter{Outcome: "bad_signature"})
	if len(bad) != 1 || bad[0].Diagnostic == "" {
		t.Fatalf("the journal has %d badly signed requests, want the tampered one with a diagnostic: %+v", len(bad), bad)
	}
	badRow := fmt.Sprintf(`tr[data-seq="%d"]`, bad[0].Seq)
	b.do("open Requests", chromedp.Click(css(`#nav a[data-page="requests"]`)),
		chromedp.WaitVisible(css(badRow+`[data-outcome="bad_signature"]`)),
		chromedp.Click(css(badRow)),
		chromedp.WaitVisible(css(`tr[data-detail-of="`+fmt.Sprint(bad[0].Seq)+`"] pre.diagnostic`)))
	if got := b.text("diagnostic", `tr[data-detail-of="`+fmt.Sprint(bad[0].Seq)+`"] pre.diagnostic`); got != bad[0].Diagnostic {
		t.Errorf("the Requests page shows the diagnostic\n%s\nwant\n%s", got, bad[0].Diagnostic)
	}
	if !strings.Contains(bad[0].Diagnostic, "expected") && !strings.Contains(bad[0].Diagnostic, tampered) {
		t.Logf("diagnostic: %s", bad[0].Diagnostic)
	}
	// Newest first: the markup request is the first row, and its body is text.
	first := b.eval("first row", `document.querySelector('#requests tbody tr.row').dataset.seq`)
	all := ps.Requests(paysimtest.RequestFilter{})
	if first != fmt.Sprint(all[0].Seq) {
		t.Errorf("the first row is request %s, want the newest, %d", first, all[0].Seq)
	}
	b.do("open the markup request", chromedp.Click(css(`#requests tbody tr.row`)), chromedp.WaitVisible(css(`tr[data-detail-of="`+first+`"] .body-block pre`)))
	if got := b.eval("markup", `[...document.querySelectorAll('tr[data-detail-of="`+first+`"] .body-block pre')].map(p => p.textContent).join('\n')`); !strings.Contains(got, markup) {
		t.Errorf("the request body is not shown as sent:\n%s", got)
	}
	if n := b.eval("no img", `String(document.querySelectorAll('#requests img').length) + String(window.__pwned)`); n != "0undefined" {
		t.Errorf("a request body was rendered as HTML (%s)", n)
	}
	b.shot("requests")
	b.noErrors("Requests")

	// Live: a new request appears on the Requests page without a reload. This one came
	// through proxy mode, addressed to Huifu's production host, and the row says so.
	viaProxy := ps.Huifu()
	viaProxy.BaseURL, viaProxy.HTTP = "https://api.huifu.com", ps.ProxyClient()
	if _, err := viaProxy.Post("/v3/trade/payment/scanpay/refundquery", map[string]any{
		"req_date": "20260101", "req_seq_id": "rq-1", "huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "refund-1",
	}); err != nil {
		t.Fatal(err)
	}
	latest := ps.Requests(paysimtest.RequestFilter{})[0]
	if latest.ProxyHost != "api.huifu.com" {
		t.Errorf("the journal says the request came through proxy mode for %q, want api.huifu.com", latest.ProxyHost)
	}
	liveRow := fmt.Sprintf(`#requests tbody tr.row[data-seq="%d"]`, latest.Seq)
	b.do("live request", chromedp.WaitVisible(css(liveRow)))
	if got := b.text("via proxy", liveRow+` .via`); got != "via proxy api.huifu.com" {
		t.Errorf("the proxied request's row shows %q, want via proxy api.huifu.com", got)
	}
	b.noErrors("live Requests")

	// Another web page cannot drive the console's calls: neither a JSON fetch (refused at
	// its preflight) nor a plain no-cors one (not JSON) moves the clock.
	before := clockNow(t, ps.URL)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, `<!doctype html><title>elsewhere</title><script>
const to = %q;
Promise.allSettled([
  fetch(to, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"advance":"1h"}'}),
  fetch(to, {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}, body: '{"advance":"1h"}'}),
]).then(() => { document.title = 'done'; });
</script>`, ps.URL+"/__paysim/clock")
	}))
	defer evil.Close()
	b.do("another page", chromedp.Navigate(evil.URL), chromedp.Poll[chromedp.Void](`document.title === 'done'`, chromedp.WithPollingTimeout(5*time.Second)))
	if after := clockNow(t, ps.URL); after != before {
		t.Errorf("a page of another origin moved paysim's clock from %s to %s", before, after)
	}
	b.mu.Lock()
	b.errors = nil // the refused calls are logged by the browser, as they should be
	b.mu.Unlock()
}

func clockNow(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/__paysim/clock")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		Now string `json:"now"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.Now
}

// replayTampered sends a tampered vector as its client sent it and returns its body.
func replayTampered(t *testing.T, base, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "vectors", "tampered", name))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	req, err := http.NewRequest(v.Method, base+v.Path, bytes.NewReader([]byte(v.Body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range v.Headers {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(answer), "10000000") {
		t.Fatalf("the tampered %s was answered %d %s, want Huifu's signature error", name, resp.StatusCode, answer)
	}
	return v.Body
}
