package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// process is the paysim binary running in a process of its own, so that a test can kill
// it as an operator's host would.
type process struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan error
}

// buildBinary builds the command into the test's folder (the build cache makes a second
// build a link).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "paysim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}, done: make(chan error, 1)}
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		p.done <- nil
	})
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("paysim exited before listening; stderr:\n%s", p.stderr.String())
			}
			if m := listenAddr.FindStringSubmatch(line); m != nil {
				p.base = "http://" + m[1]
				go func() {
					for range lines { // keep the pipe drained
					}
				}()
				return p
			}
		case <-deadline:
			t.Fatalf("paysim did not say where it listens; stderr:\n%s", p.stderr.String())
		}
	}
}

// kill ends the process with SIGKILL: no shutdown, no last write.
func (p *process) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	err := <-p.done
	p.done <- err
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())
}

func (p *process) control(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, p.base+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, data)
	out := map[string]any{}
	require.NoError(t, json.Unmarshal(data, &out))
	return out
}

// receiver is a notification endpoint that refuses the first delivery of each order and
// acknowledges the rest the way Huifu wants.
type receiver struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int // by req_seq_id
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{calls: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_ = req.ParseForm()
		var data map[string]string
		_ = json.Unmarshal([]byte(req.PostForm.Get("resp_data")), &data)
		id := data["req_seq_id"]
		r.mu.Lock()
		r.calls[id]++
		n := r.calls[id]
		r.mu.Unlock()
		if n == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "RECV_ORD_ID_"+id)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// The test: paysim is killed (SIGKILL) after a snapshot and started again on the
// same file; the payment, its processing refund and its pending notification are back
// and carry on.
func TestStateSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "paysim-state.json")
	args := []string{"--addr", "127.0.0.1:0", "--clock", "virtual", "--state", path, "--state-interval", "20ms"}
	rcv := newReceiver(t)
	bin := buildBinary(t)
	first := startProcess(t, bin, args...)
	hf, err := huifutest.NewClient(first.base, paysim.DefaultKeys())
	require.NoError(t, err)
	pay, err := hf.Post("/v3/trade/payment/micropay", map[string]any{"req_date": "20260101", "req_seq_id": "pay-1",
		"huifu_id": huifutest.HuifuID, "goods_desc": "goods", "trans_amt": "10.00", "auth_code": "134567890123456789",
		"risk_check_data": `{"ip_addr":"127.0.0.1"}`, "notify_url": rcv.URL})
	require.NoError(t, err)
	require.Equal(t, "S", pay.Data["trans_stat"], pay.Header.Get("X-Paysim-Diagnostic"))
	refundReq := map[string]any{"req_date": "20260101", "req_seq_id": "refund-1", "huifu_id": huifutest.HuifuID,
		"ord_amt": "2.50", "org_req_date": "20260101", "org_req_seq_id": "pay-1", "notify_url": rcv.URL}
	refund, err := hf.Post("/v3/trade/payment/scanpay/refund", refundReq)
	require.NoError(t, err)
	require.Equal(t, "P", refund.Data["trans_stat"], refund.Header.Get("X-Paysim-Diagnostic"))

	// Wait for the snapshot holding all three: the refund with its stored answer, and the
	// pay notification refused once and waiting for its retry.
	require.Eventually(t, func() bool {
		doc, err := paysim.ReadStateFile(path)
		if err != nil || len(doc.Core.Payments) != 1 || len(doc.Core.Payments[0].Refunds) != 1 ||
			len(doc.Core.Payments[0].Refunds[0].Answer) == 0 {
			return false
		}
		for _, n := range doc.Core.Outbox.Notifications {
			if n.Entity.ID == "pay-1" && n.State == sim.NotifyPending && len(n.Attempts) == 1 {
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "the snapshot reaches the disk")
	require.Equal(t, 1, rcv.count("pay-1"))
	first.kill(t)

	second := startProcess(t, bin, args...)
	order := second.control(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=pay-1", "")
	assert.Equal(t, "success", order["status"])
	refunds := order["refunds"].([]any)
	require.Len(t, refunds, 1)
	assert.Equal(t, "processing", refunds[0].(map[string]any)["status"])
	pending := second.control(t, http.MethodGet, "/__paysim/notifications?order=pay-1&state=pending", "")["notifications"].([]any)
	require.Len(t, pending, 1, "the pending notification is back")

	hf2, err := huifutest.NewClient(second.base, paysim.DefaultKeys())
	require.NoError(t, err)
	retry, err := hf2.Post("/v3/trade/payment/scanpay/refund", refundReq)
	require.NoError(t, err)
	assert.Equal(t, string(refund.Body), string(retry.Body), "an identical retry gets the stored answer, byte for byte")

	// 30 s on: the notification's retry (15 s) and the refund's deadline (30 s) are due.
	second.control(t, http.MethodPost, "/__paysim/clock", `{"advance":"30s"}`)
	acked := second.control(t, http.MethodGet, "/__paysim/notifications/wait?order=pay-1&state=acked&timeout=10s", "")
	assert.Equal(t, "pay-1", acked["entity"].(map[string]any)["id"])
	assert.Len(t, acked["attempts"], 2, "one attempt before the kill, one after")
	assert.Equal(t, 2, rcv.count("pay-1"))
	order = second.control(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=refund-1", "")
	assert.Equal(t, "success", order["refunds"].([]any)[0].(map[string]any)["status"], "the refund finished on its schedule")
	second.control(t, http.MethodGet, "/__paysim/notifications/wait?order=refund-1&timeout=10s", "")
	require.Eventually(t, func() bool { return rcv.count("refund-1") == 1 }, 10*time.Second, 10*time.Millisecond,
		"the refund's notification is sent after the restart")
}

func TestStateFileRefusedAtStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildBinary(t)
	cases := []struct {
		name    string
		content string
		want    []string
	}{
		{name: "corrupt", content: `{"format":"paysim-state","version":1,"core":{"payments":[}`,
			want: []string{"is damaged", "move it away (or delete it) to start empty"}},
		{name: "truncated", content: `{"format":"paysim-state","version":1,"core":{"clock":{"mode":"virt`,
			want: []string{"ends early", "truncated"}},
		{name: "future", content: `{"format":"paysim-state","version":99,"core":{}}`,
			want: []string{"newer paysim (state format version 99", "move the file away"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--addr", "127.0.0.1:0", "--state", path)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "paysim must stop; stdout: %s", stdout.String())
			assert.Equal(t, 1, exit.ExitCode())
			assert.NotContains(t, stdout.String(), "listening", "never a silent empty start")
			assert.Contains(t, stderr.String(), "paysim: state file "+path)
			for _, w := range tc.want {
				assert.Contains(t, stderr.String(), w)
			}
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, tc.content, string(data), "the file is left as it was")
		})
	}
}

func TestStateInspect(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual", "--state", path)
	code, out := s.call(t, http.MethodPost, "/__paysim/orders", `{"provider":"huifu","merchant":"6666000100000002","id":"pay1","amount":"1.00"}`)
	require.Equal(t, http.StatusCreated, code, out)
	code, out = s.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"pay-unknown-result","provider":"umpay","times":2}`)
	require.Equal(t, http.StatusCreated, code, out)
	code, out = s.call(t, http.MethodPost, "/__paysim/faults", `{"fault":"reset","provider":"huifu"}`)
	require.Equal(t, http.StatusCreated, code, out)
	sqb := shouqianbatest.NewClient(s.base)
	act, err := sqb.Post("/terminal/activate", map[string]any{"app_id": "2025061300009239", "code": "1", "device_id": "POS-7"})
	require.NoError(t, err)
	sn, key := act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"]
	require.NotEmpty(t, key)
	require.Equal(t, 0, s.stop(t), s.stderr.String())

	r := runWith(t, nil, "state", "inspect", path)
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"state file " + path,
		"format:   paysim-state version 1",
		"clock:    virtual, at 2026-01-01T10:00:00+08:00; seed 1",
		"entities: 1 (1 payments)",
		"huifu        payment  success     1",
		"armed scenarios: 1",
		"#1 pay-unknown-result (payment, provider umpay, 2 use(s) left)",
		"gateway: 1 armed fault(s)",
		"#1 reset, provider huifu, 1 use(s) left",
		"shouqianba: 2 terminal(s) (keys not shown)",
		sn + " merchant",
		"device POS-7",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, key, "a summary shows no key")
	assert.NotContains(t, r.stdout, shouqianbatest.TerminalKey)

	for _, args := range [][]string{{"state"}, {"state", "inspect"}, {"state", "show", path}} {
		r := runWith(t, nil, args...)
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "usage: paysim state inspect FILE")
	}
	r = runWith(t, nil, "state", "inspect", filepath.Join(t.TempDir(), "none.json"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "none.json does not exist")
}

// A last state write that fails at shutdown is a failed exit: a supervisor or CI must see
// that the state the next start will read is not the state paysim ended with.
func TestStateWriteFailureAtShutdownFailsTheExit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	require.NoError(t, os.Mkdir(dir, 0o700))
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual", "--state", filepath.Join(dir, "paysim.json"), "--state-interval", "1h")
	code, out := s.call(t, http.MethodPost, "/__paysim/orders", `{"provider":"huifu","merchant":"6666000100000002","id":"pay-1","amount":"1.00"}`)
	require.Equal(t, http.StatusCreated, code, "%v", out)
	require.NoError(t, os.RemoveAll(dir)) // the folder the last write needs is gone
	assert.Equal(t, 1, s.stop(t), "exit code; stderr:\n%s", s.stderr.String())
	assert.Contains(t, s.stderr.String(), "shutting down")
	assert.Contains(t, s.stderr.String(), dir)
}
