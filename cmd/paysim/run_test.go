package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
)

// fakeEnv is a getenv reading only vars: tests never see the real environment.
func fakeEnv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type result struct {
	code           int
	stdout, stderr string
}

// runWith runs the command to completion. ctx is cancelled before run starts, so that a
// command that unexpectedly starts serving stops at once instead of hanging the test.
func runWith(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, args, fakeEnv(env), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

const goodScenario = `version: 1
name: pay-slow
description: a test scenario
operation: payment
when: {amount: "7.77"}
states:
  - name: processing
    status: processing
    until: {queries: 1}
    next: paid
  - name: paid
    status: success
`

const otherScenario = `version: 1
name: refund-never
operation: refund
reject:
  error: insufficient_refundable_balance
`

// brokenScenario has problems on lines 3 and 6.
const brokenScenario = `version: 1
name: broken
operation: pay
states:
  - name: x
    status: sideways
`

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
}

func scenarioDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		r := runWith(t, nil, arg)
		assert.Equal(t, 0, r.code, arg)
		assert.Equal(t, "paysim "+buildVersion()+"\n", r.stdout, arg)
		assert.Regexp(t, `^paysim \S+\n$`, r.stdout, arg)
		assert.Empty(t, r.stderr, arg)
	}
}

var allFlags = []string{"-addr", "-scenarios", "-keys", "-clock", "-clock-start", "-seed", "-verify", "-log-level"}

var allVars = []string{"PAYSIM_ADDR", "PAYSIM_SCENARIOS", "PAYSIM_KEYS", "PAYSIM_CLOCK", "PAYSIM_CLOCK_START",
	"PAYSIM_SEED", "PAYSIM_VERIFY", "PAYSIM_LOG_LEVEL"}

func assertUsage(t *testing.T, out, msg string) {
	t.Helper()
	assert.Contains(t, out, "Usage:", msg)
	assert.Contains(t, out, "paysim scenarios validate [PATH]", msg)
	assert.Contains(t, out, "paysim version", msg)
	for _, f := range allFlags {
		assert.Regexp(t, `(?m)^\s+`+regexp.QuoteMeta(f)+`\b`, out, "%s: flag %s", msg, f)
	}
	for _, v := range allVars {
		assert.Contains(t, out, "("+v+")", "%s: variable %s", msg, v)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"help", "-h", "--help"} {
		r := runWith(t, nil, arg)
		assert.Equal(t, 0, r.code, arg)
		assertUsage(t, r.stdout, arg)
		assert.Contains(t, r.stdout, `(default "127.0.0.1:8700")`, arg)
		assert.Empty(t, r.stderr, arg)
	}

	// The defaults shown are what this environment would give.
	r := runWith(t, map[string]string{"PAYSIM_ADDR": "0.0.0.0:9999"}, "help")
	assert.Contains(t, r.stdout, `(default "0.0.0.0:9999")`)

	// -h after serve is the flag package's help: usage on stderr, success.
	r = runWith(t, nil, "serve", "-h")
	assert.Equal(t, 0, r.code)
	assertUsage(t, r.stderr, "serve -h")
	assert.NotContains(t, r.stdout, "listening")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--nope"}, "flag provided but not defined: -nope"},
		{"unknown flag after serve", []string{"serve", "--port", "1"}, "flag provided but not defined: -port"},
		{"stray argument", []string{"extra"}, `unexpected argument "extra"`},
		{"stray argument after flags", []string{"--addr", "127.0.0.1:0", "serve"}, `unexpected argument "serve"`},
		{"stray argument after serve", []string{"serve", "--clock", "virtual", "now"}, `unexpected argument "now"`},
		{"seed not a number", []string{"--seed", "lots"}, `invalid value "lots" for flag -seed`},
		{"flag without value", []string{"--addr"}, "flag needs an argument: -addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runWith(t, nil, tc.args...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assertUsage(t, r.stderr, tc.name)
			assert.NotContains(t, r.stdout, "listening")
		})
	}
}

func TestBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"clock", nil, []string{"--clock", "sundial"}, []string{`--clock "sundial" is not one of real, virtual`}},
		{"verify", nil, []string{"--verify", "maybe"}, []string{"verify", `"maybe"`, "strict, log, off"}},
		{"log level", nil, []string{"--log-level", "loud"}, []string{`--log-level "loud" is not one of debug, info, warn, error`}},
		{"clock start", nil, []string{"--clock", "virtual", "--clock-start", "yesterday"}, []string{`--clock-start "yesterday" is not an RFC 3339 time`}},
		{"clock start without zone", nil, []string{"--clock", "virtual", "--clock-start", "2026-11-22T10:00:00"}, []string{"--clock-start"}},
		{"clock from env", map[string]string{"PAYSIM_CLOCK": "sundial"}, nil, []string{`"sundial"`}},
		{"verify from env", map[string]string{"PAYSIM_VERIFY": "maybe"}, nil, []string{`"maybe"`}},
		{"log level from env", map[string]string{"PAYSIM_LOG_LEVEL": "loud"}, nil, []string{`"loud"`}},
		{"keys", nil, []string{"--keys", "/nonexistent/paysim-keys"}, []string{"loading Huifu keys"}},
		{"scenarios", nil, []string{"--scenarios", "/nonexistent/paysim-scenarios"}, []string{"loading scenarios", "/nonexistent/paysim-scenarios"}},
		{"journal size", nil, []string{"--journal-size", "0"}, []string{"--journal-size 0 must be at least 1"}},
		{"fault hold", nil, []string{"--fault-max-hold", "-1s"}, []string{"--fault-max-hold -1s must be positive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--addr", "127.0.0.1:0"}, tc.args...)
			r := runWith(t, tc.env, args...)
			assert.Equal(t, 1, r.code, r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "paysim: "), r.stderr)
			for _, w := range tc.want {
				assert.Contains(t, r.stderr, w)
			}
			assert.NotContains(t, r.stdout, "listening", "nothing is served on bad configuration")
		})
	}
}

var listening = regexp.MustCompile(`^paysim (\S+) listening on http://(\S+) \(providers huifu(?:, [a-z]+)*; clock (\S+) at (\S+); seed (-?\d+); verify (\S+); (\d+) scenarios\)\n`)

// startupLine runs the command with a cancelled context: it starts, prints how it is
// configured, and stops.
func startupLine(t *testing.T, env map[string]string, args ...string) []string {
	t.Helper()
	r := runWith(t, env, args...)
	require.Equal(t, 0, r.code, r.stderr)
	m := listening.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "stdout: %q", r.stdout)
	assert.True(t, strings.HasSuffix(r.stdout, "paysim stopped\n"), r.stdout)
	return m
}

func TestEnvFallback(t *testing.T) {
	t.Parallel()
	keys := t.TempDir()
	require.NoError(t, os.CopyFS(keys, paysim.DefaultKeys()))
	scenarios := scenarioDir(t, map[string]string{"pay-slow.yaml": goodScenario, "refund-never.yaml": otherScenario})

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		m := startupLine(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0"})
		assert.Equal(t, buildVersion(), m[1])
		assert.Regexp(t, `^127\.0\.0\.1:\d+$`, m[2])
		assert.NotEqual(t, "127.0.0.1:0", m[2], "the real port is shown")
		assert.Equal(t, "real", m[3])
		assert.Equal(t, "1", m[5])
		assert.Equal(t, "strict", m[6])
		assert.Equal(t, "10", m[7])
	})
	t.Run("environment", func(t *testing.T) {
		t.Parallel()
		m := startupLine(t, map[string]string{
			"PAYSIM_ADDR":        "127.0.0.1:0",
			"PAYSIM_CLOCK":       "virtual",
			"PAYSIM_CLOCK_START": "2026-11-22T10:00:00+08:00",
			"PAYSIM_SEED":        "42",
			"PAYSIM_VERIFY":      "log",
			"PAYSIM_LOG_LEVEL":   "warn",
			"PAYSIM_SCENARIOS":   scenarios,
			"PAYSIM_KEYS":        keys,
		})
		assert.Regexp(t, `^127\.0\.0\.1:\d+$`, m[2])
		assert.Equal(t, "virtual", m[3])
		assert.Equal(t, "2026-11-22T10:00:00+08:00", m[4])
		assert.Equal(t, "42", m[5])
		assert.Equal(t, "log", m[6])
		assert.Equal(t, "2", m[7])
	})
	t.Run("keys from environment", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0", "PAYSIM_KEYS": t.TempDir()})
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "loading Huifu keys")
	})
	t.Run("scenarios from environment", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0", "PAYSIM_SCENARIOS": "/nonexistent/paysim-env-scenarios"})
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "/nonexistent/paysim-env-scenarios")
	})
	t.Run("flags override", func(t *testing.T) {
		t.Parallel()
		// Every variable is set to something that would fail; the flags win.
		env := map[string]string{
			"PAYSIM_ADDR":        "256.0.0.1:1",
			"PAYSIM_CLOCK":       "sundial",
			"PAYSIM_CLOCK_START": "yesterday",
			"PAYSIM_SEED":        "42",
			"PAYSIM_VERIFY":      "maybe",
			"PAYSIM_LOG_LEVEL":   "loud",
			"PAYSIM_SCENARIOS":   "/nonexistent/paysim-env-scenarios",
			"PAYSIM_KEYS":        "/nonexistent/paysim-env-keys",
		}
		m := startupLine(t, env, "serve", "--addr", "127.0.0.1:0", "--clock", "virtual", "--clock-start", "2027-02-03T04:05:06+08:00",
			"--seed", "7", "--verify", "off", "--log-level", "error", "--scenarios", scenarios, "--keys", keys)
		assert.Equal(t, "virtual", m[3])
		assert.Equal(t, "2027-02-03T04:05:06+08:00", m[4])
		assert.Equal(t, "7", m[5])
		assert.Equal(t, "off", m[6])
		assert.Equal(t, "2", m[7])

		// An empty --scenarios brings back the embedded set over PAYSIM_SCENARIOS.
		env["PAYSIM_SCENARIOS"] = scenarios
		m = startupLine(t, env, "--addr", "127.0.0.1:0", "--clock", "real", "--verify", "strict", "--log-level", "info",
			"--keys", keys, "--scenarios", "")
		assert.Equal(t, "10", m[7])
	})
}

func TestBadSeedFromEnv(t *testing.T) {
	t.Parallel()
	r := runWith(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0", "PAYSIM_SEED": "abc"})
	assert.NotEqual(t, 0, r.code, "stdout: %s", r.stdout)
	assert.Contains(t, r.stderr, "PAYSIM_SEED")
	assert.Contains(t, r.stderr, `"abc"`)
}

// A bad PAYSIM_JOURNAL_SIZE or PAYSIM_FAULT_MAX_HOLD stops the start, unless the flag
// that overrides it is given.
func TestBadJournalAndFaultEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ env, value, flag, flagValue string }{
		{"PAYSIM_JOURNAL_SIZE", "many", "--journal-size", "5"},
		{"PAYSIM_FAULT_MAX_HOLD", "forever", "--fault-max-hold", "1s"},
	} {
		r := runWith(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0", tc.env: tc.value})
		assert.Equal(t, 2, r.code, r.stdout)
		assert.Contains(t, r.stderr, tc.env)
		assert.Contains(t, r.stderr, `"`+tc.value+`"`)
		r = runWith(t, map[string]string{"PAYSIM_ADDR": "127.0.0.1:0", tc.env: tc.value}, tc.flag, tc.flagValue)
		assert.Equal(t, 0, r.code, "the flag wins: %s", r.stderr)
	}
}

func TestScenariosValidate(t *testing.T) {
	t.Parallel()
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		r := runWith(t, nil, "scenarios", "validate")
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "ok: 10 scenarios in embedded scenarios (close-loses-race-to-payer, close-processing-then-success, "+
			"confirm-processing-then-success, confirm-refund-processing-then-success, pay-hosted-waits-for-payer, pay-qrcode-paid-on-first-query, "+
			"pay-unknown-result, pay-waits-for-payer, refund-insufficient-balance, refund-processing-then-success)\n", r.stdout)
		assert.Empty(t, r.stderr)
	})
	t.Run("broken folder", func(t *testing.T) {
		t.Parallel()
		dir := scenarioDir(t, map[string]string{
			"pay-slow.yaml": goodScenario,
			"broken.yaml":   brokenScenario,
			"notyaml.yml":   "version: 1\nname: [unclosed\n",
			"dup.yaml":      strings.Replace(otherScenario, "refund-never", "pay-slow", 1),
			"README.md":     "not a scenario: ignored",
		})
		r := runWith(t, nil, "scenarios", "validate", dir)
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stdout)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		require.NotEmpty(t, lines)
		problems, summary := lines[:len(lines)-1], lines[len(lines)-1]
		assert.Equal(t, fmt.Sprintf("%d problem(s) in %s", len(problems), dir), summary)
		for _, l := range problems {
			assert.Regexp(t, `^`+regexp.QuoteMeta(dir+string(filepath.Separator))+`[a-z-]+\.ya?ml:[1-9]\d*: \S`, l, "every problem is path:line: message")
		}
		broken := filepath.Join(dir, "broken.yaml")
		assert.Contains(t, problems, broken+`:3: operation "pay" is not one of payment, refund, close, confirm, confirm_refund`)
		assert.Contains(t, problems, broken+`:6: status "sideways" is not one of processing, success, failed, closed, unknown`)
		assert.Regexp(t, `(?m)^`+regexp.QuoteMeta(filepath.Join(dir, "notyaml.yml"))+`:\d+: not valid YAML: `, r.stderr)
		assert.Contains(t, r.stderr, `scenario name "pay-slow" is already used by`)
		assert.NotContains(t, r.stderr, "README")
	})
	t.Run("valid folder", func(t *testing.T) {
		t.Parallel()
		dir := scenarioDir(t, map[string]string{"pay-slow.yaml": goodScenario, "refund-never.yml": otherScenario})
		r := runWith(t, nil, "scenarios", "validate", dir)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "ok: 2 scenarios in "+dir+" (pay-slow, refund-never)\n", r.stdout)
	})
	t.Run("single valid file", func(t *testing.T) {
		t.Parallel()
		dir := scenarioDir(t, map[string]string{"pay-slow.yaml": goodScenario, "broken.yaml": brokenScenario})
		file := filepath.Join(dir, "pay-slow.yaml")
		r := runWith(t, nil, "scenarios", "validate", file)
		assert.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, "ok: 1 scenarios in "+file+" (pay-slow)\n", r.stdout)
		assert.Empty(t, r.stderr)
	})
	t.Run("single broken file", func(t *testing.T) {
		t.Parallel()
		dir := scenarioDir(t, map[string]string{"broken.yaml": brokenScenario})
		file := filepath.Join(dir, "broken.yaml")
		r := runWith(t, nil, "scenarios", "validate", file)
		assert.Equal(t, 1, r.code)
		assert.Equal(t, file+`:3: operation "pay" is not one of payment, refund, close, confirm, confirm_refund`+"\n"+
			file+`:6: status "sideways" is not one of processing, success, failed, closed, unknown`+"\n"+
			"2 problem(s) in "+file+"\n", r.stderr)
	})
	t.Run("missing path", func(t *testing.T) {
		t.Parallel()
		missing := filepath.Join(t.TempDir(), "nope")
		r := runWith(t, nil, "scenarios", "validate", missing)
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, missing)
		assert.Contains(t, r.stderr, "no such file or directory")
		assert.Empty(t, r.stdout)
	})
	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		for _, args := range [][]string{
			{"scenarios"},
			{"scenarios", "check"},
			{"scenarios", "validate", "a", "b"},
			{"scenarios", "list"},
		} {
			r := runWith(t, nil, args...)
			assert.Equal(t, 2, r.code, args)
			assert.Contains(t, r.stderr, "usage: paysim scenarios validate [PATH]", args)
			assert.Empty(t, r.stdout, args)
		}
	})
}

// liveServer is run() serving in the background.
type liveServer struct {
	base   string
	cancel context.CancelFunc
	done   chan int
	stdout *syncBuffer
	stderr *syncBuffer
}

var listenAddr = regexp.MustCompile(`listening on http://(\S+) `)

// startServer runs the command until the test ends (or stop is called) and waits for it
// to say where it listens.
func startServer(t *testing.T, env map[string]string, args ...string) *liveServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveServer{cancel: cancel, done: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	go func() { s.done <- run(ctx, args, fakeEnv(env), s.stdout, s.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context was cancelled")
		}
	})
	deadline := time.After(10 * time.Second)
	for {
		if m := listenAddr.FindStringSubmatch(s.stdout.String()); m != nil {
			s.base = "http://" + m[1]
			return s
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("run exited with %d before listening; stderr:\n%s", code, s.stderr.String())
		case <-deadline:
			t.Fatalf("run did not say where it listens; stdout: %q stderr: %q", s.stdout.String(), s.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop cancels the context, as SIGINT does, and returns the exit code.
func (s *liveServer) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s of its context being cancelled")
		return -1
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

func (s *liveServer) call(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	require.NoError(t, err)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
	out := map[string]any{}
	require.NoError(t, json.Unmarshal(data, &out), "%s %s: %s", method, path, data)
	return resp.StatusCode, out
}

func TestServe(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual")
	assert.Regexp(t, listening, s.stdout.String())

	code, out := s.call(t, http.MethodGet, "/__paysim/health", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", out["status"])
	assert.Equal(t, buildVersion(), out["version"])
	assert.Equal(t, "virtual", out["clock"].(map[string]any)["mode"])
	assert.Equal(t, sim0, out["clock"].(map[string]any)["now"])
	served := out["providers"].([]any)
	assert.Len(t, served, len(paysim.Providers()), "every registered provider is served")
	for _, name := range served {
		assert.Contains(t, paysim.Providers(), name)
	}
	assert.EqualValues(t, 10, out["scenarios"])

	code, out = s.call(t, http.MethodGet, "/nope", "")
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, out["error"], "is not a path paysim serves")

	require.Equal(t, 0, s.stop(t), s.stderr.String())
	assert.True(t, strings.HasSuffix(s.stdout.String(), "paysim stopped\n"), s.stdout.String())
	_, err := client.Get(s.base + "/__paysim/health")
	assert.Error(t, err, "nothing listens after the shutdown")
}

// sim0 is where --clock virtual starts by default.
const sim0 = "2026-01-01T10:00:00+08:00"

func TestServeWholeFlow(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual")

	code, out := s.call(t, http.MethodPost, "/__paysim/orders",
		`{"provider":"huifu","merchant":"6666000100000002","id":"pay1","amount":"1.00","fields":{"req_date":"20261122"}}`)
	require.Equal(t, http.StatusCreated, code, out)
	assert.Equal(t, "success", out["status"])
	assert.Equal(t, "1.00", out["amount"])

	code, again := s.call(t, http.MethodPost, "/__paysim/orders",
		`{"provider":"huifu","merchant":"6666000100000002","id":"pay1","amount":"1.00"}`)
	assert.Equal(t, http.StatusConflict, code, again)

	code, got := s.call(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=pay1", "")
	require.Equal(t, http.StatusOK, code, got)
	assert.Equal(t, out, got, "the order reads as it was seeded")
	assert.Equal(t, "huifu", got["provider"])
	assert.Equal(t, "6666000100000002", got["merchant"])
	assert.Equal(t, "pay1", got["id"])
	assert.Equal(t, "payment", got["operation"])
	assert.Equal(t, sim0, got["created_at"])
	assert.Equal(t, "20261122", got["fields"].(map[string]any)["req_date"])
	assert.Equal(t, "1.00", got["refundable"])

	// The virtual clock moves only when told; the order is still there afterwards.
	code, clk := s.call(t, http.MethodPost, "/__paysim/clock", `{"advance":"1h"}`)
	require.Equal(t, http.StatusOK, code, clk)
	assert.Equal(t, "2026-01-01T11:00:00+08:00", clk["now"])
	code, _ = s.call(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=pay1", "")
	assert.Equal(t, http.StatusOK, code)

	code, out = s.call(t, http.MethodPost, "/__paysim/reset", `{"provider":"huifu"}`)
	require.Equal(t, http.StatusOK, code, out)
	assert.EqualValues(t, 1, out["payments_forgotten"])
	code, _ = s.call(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=pay1", "")
	assert.Equal(t, http.StatusNotFound, code)

	assert.Equal(t, 0, s.stop(t))
}

func TestServeReloadsScenarioFolder(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"pay-slow.yaml": goodScenario})
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--scenarios", dir)
	assert.Contains(t, s.stdout.String(), "; 1 scenarios)")

	writeFiles(t, dir, map[string]string{"refund-never.yaml": otherScenario})
	code, out := s.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
	require.Equal(t, http.StatusOK, code, out)
	assert.Equal(t, []any{"pay-slow", "refund-never"}, out["names"])

	writeFiles(t, dir, map[string]string{"broken.yaml": brokenScenario})
	code, out = s.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	assert.Contains(t, out["problems"], filepath.Join(dir, "broken.yaml")+`:3: operation "pay" is not one of payment, refund, close, confirm, confirm_refund`)
	code, out = s.call(t, http.MethodGet, "/__paysim/health", "")
	require.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 2, out["scenarios"], "the last good set stays in force")
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	addr := ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"--addr", addr}, fakeEnv(nil), &stdout, &stderr)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "paysim: cannot listen on "+addr+": ")
	assert.Contains(t, stderr.String(), "address already in use")
	assert.Empty(t, stdout.String())
}

func TestServeBrokenScenarioFolder(t *testing.T) {
	t.Parallel()
	dir := scenarioDir(t, map[string]string{"pay-slow.yaml": goodScenario, "broken.yaml": brokenScenario})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	code := run(ctx, []string{"--addr", "127.0.0.1:0", "--scenarios", dir}, fakeEnv(nil), &stdout, &stderr)
	assert.Equal(t, 1, code)
	broken := filepath.Join(dir, "broken.yaml")
	assert.Equal(t, "paysim: loading scenarios:\n"+
		broken+`:3: operation "pay" is not one of payment, refund, close, confirm, confirm_refund`+"\n"+
		broken+`:6: status "sideways" is not one of processing, success, failed, closed, unknown`+"\n", stderr.String())
	assert.Empty(t, stdout.String(), "nothing was served")
}

// The Huishouqian switch reaches the provider: success comes as a string a C# client
// can verify, and the signature covers "success=true" as that client rebuilds it.
func TestHuishouqianSuccessAsString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		env  map[string]string
	}{
		{args: []string{"--huishouqian-success-as-string"}},
		{env: map[string]string{"PAYSIM_HUISHOUQIAN_SUCCESS_AS_STRING": "true"}},
	} {
		s := startServer(t, tt.env, append([]string{"--addr", "127.0.0.1:0", "--clock", "virtual"}, tt.args...)...)
		c, err := huishouqiantest.NewClient(s.base, paysim.DefaultKeys())
		require.NoError(t, err)
		form, err := c.NewForm(huishouqian.MethodQuery, `{"transNo":"none"}`)
		require.NoError(t, err)
		resp, err := http.Post(s.base+huishouqiantest.Path, "application/x-www-form-urlencoded", bytes.NewReader(form.Encode()))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Contains(t, string(body), `"success":"true"`)
		_, err = huishouqiantest.VerifyStringSuccess(c.Platform(), "hsq-sign-key-for-tests", body)
		assert.NoError(t, err)
	}
}

// A connection held by a timeout fault does not hold up the shutdown: it is drained, the
// client sees its connection close, and the command exits cleanly at once.
func TestShutdownDrainsHeldAnswers(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual", "--fault-max-hold", "1h")
	code, out := s.call(t, http.MethodPost, "/__paysim/faults", `{"fault":"timeout","provider":"huifu"}`)
	require.Equal(t, http.StatusCreated, code, "%v", out)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.base+"/v3/trade/payment/scanpay/query", "application/json", strings.NewReader(`{"sys_id":"x","data":{}}`))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool {
		_, out := s.call(t, http.MethodGet, "/__paysim/faults", "")
		return len(out["armed"].([]any)) == 0 // taken: the request is being held
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, 0, s.stop(t), s.stderr.String())
	assert.Error(t, <-errc, "the held request ends with no answer")
	assert.Contains(t, s.stderr.String(), "fault applied", "faults are logged")
}

// Binding beyond loopback opens everything to that network: refused unless asked for with
// --allow-remote, and then only with an admin token.
func TestRemoteBindNeedsFlagAndToken(t *testing.T) {
	t.Parallel()
	r := runWith(t, nil, "--addr", "0.0.0.0:0")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "is not a loopback address")
	assert.Contains(t, r.stderr, "--allow-remote")
	r = runWith(t, nil, "--addr", ":0", "--allow-remote")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "needs an admin token")
	r = runWith(t, map[string]string{"PAYSIM_ADMIN_TOKEN": "t0ken"}, "--addr", "0.0.0.0:0", "--allow-remote")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "listening beyond loopback", "paysim says so at start")
}

func TestAdminTokenEnforced(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"PAYSIM_ADMIN_TOKEN": "t0ken"}, "--addr", "127.0.0.1:0")
	resp, err := http.Get(s.base + "/__paysim/health")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodGet, s.base+"/__paysim/health", nil)
	req.Header.Set("Authorization", "Bearer t0ken")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// readUntilClosed reads c until the server closes it, failing after limit.
func readUntilClosed(t *testing.T, c net.Conn, limit time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(limit)))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", limit)
	}
}

// A client that trickles its body, or keeps an idle connection, is cut off; connections
// over the cap wait until one is free.
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--read-timeout", "200ms", "--idle-timeout", "200ms", "--max-conns", "2")
	addr := strings.TrimPrefix(s.base, "http://")

	trickle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer trickle.Close()
	_, err = io.WriteString(trickle, "POST /v3/trade/payment/scanpay/query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"sys_id\"")
	require.NoError(t, err)
	readUntilClosed(t, trickle, 5*time.Second)

	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	_, err = io.WriteString(idle, "GET /__paysim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	require.NoError(t, err)
	readUntilClosed(t, idle, 5*time.Second) // the answer, then the idle keep-alive is closed

	// Two connections that say nothing hold both slots; a third waits, and is served as
	// soon as one of them is cut off by the read timeout.
	var holders []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		_, err = io.WriteString(c, "POST /__paysim/reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n")
		require.NoError(t, err)
		holders = append(holders, c)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.base + "/__paysim/health")
	require.NoError(t, err, "served once a slot frees")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	for _, c := range holders {
		readUntilClosed(t, c, 5*time.Second)
	}
}

func TestJSONLogs(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--log-format", "json")
	resp, err := http.Post(s.base+"/v3/trade/payment/scanpay/query", "application/json", strings.NewReader(`{"sys_id":"nobody","data":{}}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 0, s.stop(t))
	lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "every log line is JSON: %s", l)
	}
	assert.Contains(t, s.stderr.String(), `"msg":"Huifu request refused"`)
	r := runWith(t, nil, "--addr", "127.0.0.1:0", "--log-format", "xml")
	assert.Contains(t, r.stderr, `--log-format "xml" is not one of text, json`)
}
