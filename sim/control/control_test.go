package control_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/outbound"
)

var providerNames = []string{"huifu", "huishouqian", "shouqianba", "umpay"}

const merchant = huifu.TestHuifuID // "6666000100000002"

// shipped are the scenarios in scenarios/, by name, with the file each comes from.
var shipped = map[string]string{
	"close-loses-race-to-payer":              "close-loses-race-to-payer.yaml:1",
	"close-processing-then-success":          "close-processing-then-success.yaml:1",
	"confirm-processing-then-success":        "confirm-processing-then-success.yaml:1",
	"confirm-refund-processing-then-success": "confirm-refund-processing-then-success.yaml:1",
	"pay-hosted-waits-for-payer":             "pay-hosted-waits-for-payer.yaml:1",
	"pay-waits-for-payer":                    "pay-waits-for-payer.yaml:1",
	"pay-qrcode-paid-on-first-query":         "pay-qrcode-paid-on-first-query.yaml:1",
	"pay-unknown-result":                     "pay-unknown-result.yaml:1",
	"refund-insufficient-balance":            "refund-insufficient-balance.yaml:1",
	"refund-processing-then-success":         "refund-processing-then-success.yaml:1",
}

func embeddedSet(t *testing.T) *sim.ScenarioSet {
	t.Helper()
	set, err := sim.LoadScenarios(paysim.DefaultScenarios(), ".", providerNames)
	require.NoError(t, err)
	return set
}

type env struct {
	h     http.Handler
	core  *sim.Simulator
	clock *sim.VirtualClock
}

// newEnv serves the control plane of a simulator on a virtual clock standing at
// sim.DefaultVirtualStart, with the embedded scenarios and reload as its reload func.
func newEnv(t *testing.T, reload func() (*sim.ScenarioSet, error)) *env {
	t.Helper()
	clock := sim.NewVirtualClock(sim.DefaultVirtualStart)
	core := sim.New(sim.WithClock(clock), sim.WithScenarios(embeddedSet(t), reload), sim.WithSender(outbound.New()))
	return &env{h: newHandler(t, core), core: core, clock: clock}
}

func newHandler(t *testing.T, core *sim.Simulator) http.Handler {
	t.Helper()
	return newHandlerVerify(t, core, gateway.VerifyStrict)
}

func newHandlerVerify(t *testing.T, core *sim.Simulator, mode gateway.VerifyMode) http.Handler {
	t.Helper()
	hf, err := huifu.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	h, err := server.New(gateway.New(core, mode), []gateway.Provider{hf}, "test")
	require.NoError(t, err)
	return asOwner(h)
}

// asOwner makes a test request look like the owner's (guard_test.go tests the guard
// itself): httptest's Host example.com becomes loopback, and a state change without a
// content type gets the JSON one the control plane takes.
func asOwner(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "example.com" {
			r.Host = "127.0.0.1:8700"
		}
		if r.Method != http.MethodGet && r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json")
		}
		h.ServeHTTP(w, r)
	})
}

// call sends a request with an optional JSON body and decodes the JSON answer.
func call(t *testing.T, h http.Handler, method, target, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Contains(t, rec.Header().Get("Content-Type"), "application/json", "%s %s answers JSON", method, target)
	out := map[string]any{}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), "%s %s: body %q", method, target, rec.Body.String())
	return rec.Code, out
}

func (e *env) call(t *testing.T, method, target, body string) (int, map[string]any) {
	t.Helper()
	return call(t, e.h, method, target, body)
}

func errorOf(t *testing.T, out map[string]any) string {
	t.Helper()
	msg, ok := out["error"].(string)
	require.True(t, ok, "an error answer carries an error message: %v", out)
	require.NotEmpty(t, msg)
	return msg
}

func seedBody(id, amount string) string {
	b, _ := json.Marshal(map[string]any{"provider": "huifu", "merchant": merchant, "id": id, "amount": amount,
		"fields": map[string]string{"req_date": "20261122"}})
	return string(b)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code, out := e.call(t, http.MethodGet, "/__paysim/health", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ok", out["status"])
	assert.Equal(t, "test", out["version"])
	assert.Equal(t, map[string]any{"mode": "virtual", "now": "2026-01-01T10:00:00+08:00"}, out["clock"])
	assert.EqualValues(t, 1, out["seed"])
	assert.Equal(t, "strict", out["verify"])
	assert.Equal(t, []any{"huifu"}, out["providers"])
	assert.EqualValues(t, len(shipped), out["scenarios"])

	core := sim.New(sim.WithClock(sim.RealClock{}), sim.WithSeed(9))
	code, out = call(t, newHandlerVerify(t, core, gateway.VerifyOff), http.MethodGet, "/__paysim/health", "")
	require.Equal(t, http.StatusOK, code)
	clock := out["clock"].(map[string]any)
	assert.Equal(t, "real", clock["mode"])
	now, err := time.Parse(time.RFC3339, clock["now"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), now, time.Minute)
	assert.EqualValues(t, 9, out["seed"])
	assert.Equal(t, "off", out["verify"])
	assert.EqualValues(t, 0, out["scenarios"])
}

func TestReset(t *testing.T) {
	t.Parallel()
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		for _, id := range []string{"a1", "a2"} {
			code, out := e.call(t, http.MethodPost, "/__paysim/orders", seedBody(id, "1.00"))
			require.Equal(t, http.StatusCreated, code, out)
		}
		code, _ := e.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"pay-unknown-result"}`)
		require.Equal(t, http.StatusCreated, code)

		code, out := e.call(t, http.MethodPost, "/__paysim/reset", "")
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, true, out["reset"])
		assert.Equal(t, "", out["provider"])
		assert.EqualValues(t, 2, out["payments_forgotten"])

		code, _ = e.call(t, http.MethodGet, "/__paysim/orders?id=a1", "")
		assert.Equal(t, http.StatusNotFound, code)
		_, out = e.call(t, http.MethodGet, "/__paysim/scenarios", "")
		assert.Empty(t, out["armed"], "a full reset disarms too")

		// Ids can be reused after a reset.
		code, out = e.call(t, http.MethodPost, "/__paysim/orders", seedBody("a1", "1.00"))
		assert.Equal(t, http.StatusCreated, code, out)
	})
	t.Run("by provider", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodPost, "/__paysim/orders", seedBody("b1", "1.00"))
		require.Equal(t, http.StatusCreated, code, out)
		code, out = e.call(t, http.MethodPost, "/__paysim/reset", `{"provider":"huifu"}`)
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, "huifu", out["provider"])
		assert.EqualValues(t, 1, out["payments_forgotten"])
		code, _ = e.call(t, http.MethodGet, "/__paysim/orders?provider=huifu&id=b1", "")
		assert.Equal(t, http.StatusNotFound, code)
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodPost, "/__paysim/orders", seedBody("c1", "1.00"))
		require.Equal(t, http.StatusCreated, code, out)
		for _, tc := range []struct{ body, want string }{
			{`{"provider":"alipay"}`, `unknown provider "alipay" (serving huifu)`},
			{`{"providr":"huifu"}`, `unknown field "providr"`},
			{`{"provider":`, "not the JSON this call takes"},
			{`["huifu"]`, "not the JSON this call takes"},
		} {
			code, out := e.call(t, http.MethodPost, "/__paysim/reset", tc.body)
			assert.Equal(t, http.StatusBadRequest, code, tc.body)
			assert.Contains(t, errorOf(t, out), tc.want, tc.body)
		}
		code, _ = e.call(t, http.MethodGet, "/__paysim/orders?id=c1", "")
		assert.Equal(t, http.StatusOK, code, "a refused reset forgets nothing")
	})
}

func TestClock(t *testing.T) {
	t.Parallel()
	const start = "2026-01-01T10:00:00+08:00"
	t.Run("get", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodGet, "/__paysim/clock", "")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, map[string]any{"mode": "virtual", "now": start}, out)
	})
	t.Run("advance and set", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodPost, "/__paysim/clock", `{"advance":"90s"}`)
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, "2026-01-01T10:01:30+08:00", out["now"])
		assert.Equal(t, sim.DefaultVirtualStart.Add(90*time.Second), e.core.Now())

		code, out = e.call(t, http.MethodPost, "/__paysim/clock", `{"advance":"1.5ms"}`)
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, "2026-01-01T10:01:30.0015+08:00", out["now"], "GET/POST clock answer with sub-second precision")

		// Set takes any zone and answers in Beijing time.
		code, out = e.call(t, http.MethodPost, "/__paysim/clock", `{"set":"2026-11-22T02:00:00Z"}`)
		require.Equal(t, http.StatusOK, code, out)
		assert.Equal(t, "2026-11-22T10:00:00+08:00", out["now"])

		code, out = e.call(t, http.MethodGet, "/__paysim/health", "")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "2026-11-22T10:00:00+08:00", out["clock"].(map[string]any)["now"])

		// Setting to the current instant is not going backwards.
		code, out = e.call(t, http.MethodPost, "/__paysim/clock", `{"set":"2026-11-22T10:00:00+08:00"}`)
		assert.Equal(t, http.StatusOK, code, out)
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		_, err := e.clock.Set(time.Date(2026, 6, 1, 0, 0, 0, 0, sim.Beijing))
		require.NoError(t, err)
		before := e.core.Now()
		for _, tc := range []struct{ name, body, want string }{
			{"set backwards", `{"set":"2026-01-01T10:00:00+08:00"}`, "cannot set the clock back"},
			{"both", `{"advance":"1s","set":"2027-01-01T00:00:00+08:00"}`, "either advance or set, not both"},
			{"bad duration", `{"advance":"soon"}`, `advance "soon" is not a duration`},
			{"negative duration", `{"advance":"-5s"}`, "negative duration"},
			{"bad time", `{"set":"tomorrow"}`, `set "tomorrow" is not an RFC 3339 time`},
			{"nothing", `{}`, "say how to move the clock"},
			{"empty body", ``, "say how to move the clock"},
			{"unknown field", `{"forward":"1s"}`, `unknown field "forward"`},
		} {
			code, out := e.call(t, http.MethodPost, "/__paysim/clock", tc.body)
			assert.Equal(t, http.StatusBadRequest, code, tc.name)
			assert.Contains(t, errorOf(t, out), tc.want, tc.name)
		}
		assert.Equal(t, before, e.core.Now(), "a refused move leaves the clock where it was")
	})
	t.Run("real clock", func(t *testing.T) {
		t.Parallel()
		h := newHandler(t, sim.New(sim.WithClock(sim.RealClock{})))
		code, out := call(t, h, http.MethodGet, "/__paysim/clock", "")
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "real", out["mode"])
		for _, body := range []string{`{"advance":"30s"}`, `{"set":"2030-01-01T00:00:00+08:00"}`} {
			code, out = call(t, h, http.MethodPost, "/__paysim/clock", body)
			assert.Equal(t, http.StatusConflict, code, body)
			assert.Contains(t, errorOf(t, out), "the clock is real and cannot be moved", body)
		}
	})
}

type scenarioList struct {
	Scenarios []struct {
		Name      string `json:"name"`
		Operation string `json:"operation"`
		Default   bool   `json:"default"`
		When      string `json:"when"`
		Reject    string `json:"reject"`
		Source    string `json:"source"`
		States    []struct {
			Name, Status, Until, Next string
		} `json:"states"`
	} `json:"scenarios"`
	Armed []struct {
		ID        int       `json:"id"`
		Scenario  string    `json:"scenario"`
		Provider  string    `json:"provider"`
		Operation string    `json:"operation"`
		Remaining int       `json:"remaining"`
		Expires   time.Time `json:"expires"`
	} `json:"armed"`
	Reloadable bool `json:"reloadable"`
}

func listScenarios(t *testing.T, h http.Handler) scenarioList {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__paysim/scenarios", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var l scenarioList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &l))
	return l
}

func TestScenariosList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	l := listScenarios(t, e.h)
	got := map[string]string{}
	var names []string
	for _, sc := range l.Scenarios {
		got[sc.Name] = sc.Source
		names = append(names, sc.Name)
	}
	assert.Equal(t, shipped, got)
	assert.IsIncreasing(t, names, "listed in name order")
	assert.Empty(t, l.Armed)
	assert.NotNil(t, l.Armed, "armed is a list, not null")
	assert.False(t, l.Reloadable)

	for _, sc := range l.Scenarios {
		switch sc.Name {
		case "pay-unknown-result":
			assert.Equal(t, "payment", sc.Operation)
			assert.Equal(t, "amount 1.01", sc.When)
			require.Len(t, sc.States, 2)
			assert.Equal(t, "unknown", sc.States[0].Status)
			assert.Equal(t, "2 queries", sc.States[0].Until)
			assert.Equal(t, "paid", sc.States[0].Next)
		case "refund-processing-then-success":
			assert.True(t, sc.Default)
			require.NotEmpty(t, sc.States)
			assert.Equal(t, "2 queries or 30s", sc.States[0].Until)
		case "refund-insufficient-balance":
			assert.Equal(t, "insufficient_refundable_balance", sc.Reject)
			assert.Empty(t, sc.States)
		case "pay-qrcode-paid-on-first-query":
			assert.Equal(t, "flow qrcode", sc.When)
		}
	}
}

func TestArm(t *testing.T) {
	t.Parallel()
	t.Run("arm list disarm", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/arm",
			`{"scenario":"pay-unknown-result","provider":"huifu","operation":"payment","times":3}`)
		require.Equal(t, http.StatusCreated, code, out)
		assert.EqualValues(t, 1, out["id"])
		assert.Equal(t, "pay-unknown-result", out["scenario"])
		assert.Equal(t, "huifu", out["provider"])
		assert.Equal(t, "payment", out["operation"])
		assert.EqualValues(t, 3, out["remaining"])
		assert.NotContains(t, out, "expires", "no ttl, no expiry")

		code, out = e.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"refund-insufficient-balance","ttl":"10m"}`)
		require.Equal(t, http.StatusCreated, code, out)
		assert.EqualValues(t, 2, out["id"])
		assert.EqualValues(t, 1, out["remaining"], "times defaults to 1")
		assert.Equal(t, "refund", out["operation"], "the operation comes from the scenario")
		assert.Equal(t, "2026-01-01T10:10:00+08:00", out["expires"])

		l := listScenarios(t, e.h)
		require.Len(t, l.Armed, 2)
		assert.Equal(t, "pay-unknown-result", l.Armed[0].Scenario)
		assert.Equal(t, 3, l.Armed[0].Remaining)
		assert.Equal(t, "refund-insufficient-balance", l.Armed[1].Scenario)
		assert.True(t, l.Armed[1].Expires.Equal(sim.DefaultVirtualStart.Add(10*time.Minute)))

		// The ttl runs on the simulator's clock.
		_, err := e.clock.Advance(10 * time.Minute)
		require.NoError(t, err)
		l = listScenarios(t, e.h)
		require.Len(t, l.Armed, 1, "the armed scenario with a 10m ttl is gone 10m later")
		assert.Equal(t, "pay-unknown-result", l.Armed[0].Scenario)

		code, out = e.call(t, http.MethodDelete, "/__paysim/scenarios/arm", "")
		require.Equal(t, http.StatusOK, code)
		assert.EqualValues(t, 1, out["disarmed"])
		assert.Empty(t, listScenarios(t, e.h).Armed)
		code, out = e.call(t, http.MethodDelete, "/__paysim/scenarios/arm", "")
		require.Equal(t, http.StatusOK, code)
		assert.EqualValues(t, 0, out["disarmed"])
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		for _, tc := range []struct {
			name, body string
			want       []string
		}{
			{"unknown scenario", `{"scenario":"pay-nope"}`,
				[]string{`no scenario named "pay-nope"`, "close-loses-race-to-payer, close-processing-then-success, confirm-processing-then-success, confirm-refund-processing-then-success, pay-hosted-waits-for-payer, pay-qrcode-paid-on-first-query, pay-unknown-result, pay-waits-for-payer, refund-insufficient-balance, refund-processing-then-success"}},
			{"operation mismatch", `{"scenario":"pay-unknown-result","operation":"refund"}`,
				[]string{`scenario "pay-unknown-result" drives payment operations, not refund`}},
			{"times 0", `{"scenario":"pay-unknown-result","times":0}`, []string{"times must be from 1 to 100000, got 0"}},
			{"times negative", `{"scenario":"pay-unknown-result","times":-2}`, []string{"times must be from 1 to 100000, got -2"}},
			{"bad ttl", `{"scenario":"pay-unknown-result","ttl":"a while"}`, []string{`ttl "a while" is not a duration`}},
			{"negative ttl", `{"scenario":"pay-unknown-result","ttl":"-1m"}`, []string{"ttl must be from 0 (no limit) to 24h0m0s"}},
			{"unknown provider", `{"scenario":"pay-unknown-result","provider":"alipay"}`, []string{`unknown provider "alipay"`}},
			{"no scenario", `{"provider":"huifu"}`, []string{"scenario is required"}},
			{"empty body", ``, []string{"scenario is required"}},
			{"unknown field", `{"scenario":"pay-unknown-result","count":2}`, []string{`unknown field "count"`}},
			{"times not a number", `{"scenario":"pay-unknown-result","times":"2"}`, []string{"not the JSON this call takes"}},
		} {
			code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/arm", tc.body)
			assert.Equal(t, http.StatusBadRequest, code, tc.name)
			msg := errorOf(t, out)
			for _, w := range tc.want {
				assert.Contains(t, msg, w, tc.name)
			}
		}
		assert.Empty(t, listScenarios(t, e.h).Armed, "nothing refused was armed")
	})
	t.Run("provider-limited scenario", func(t *testing.T) {
		t.Parallel()
		set, err := sim.LoadScenarios(fstest.MapFS{"umpay-only.yaml": {Data: []byte(umpayOnly)}}, ".", providerNames)
		require.NoError(t, err)
		core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)), sim.WithScenarios(set, nil))
		h := newHandler(t, core)
		code, out := call(t, h, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"umpay-only","provider":"huifu"}`)
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Contains(t, errorOf(t, out), "limited to providers umpay")
	})
}

const umpayOnly = `version: 1
name: umpay-only
operation: payment
providers: [umpay]
states:
  - name: paid
    status: success
`

const oneScenario = `version: 1
name: pay-always-unknown
description: reloaded
operation: payment
states:
  - name: unknown
    status: unknown
`

func TestReload(t *testing.T) {
	t.Parallel()
	t.Run("embedded set", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
		assert.Equal(t, http.StatusConflict, code)
		assert.Contains(t, errorOf(t, out), "not loaded from a folder")
		assert.Len(t, listScenarios(t, e.h).Scenarios, len(shipped))
	})
	t.Run("problems keep the old set", func(t *testing.T) {
		t.Parallel()
		calls := 0
		e := newEnv(t, func() (*sim.ScenarioSet, error) {
			calls++
			return nil, &sim.LoadError{Problems: []sim.Problem{
				{File: "dir/bad.yaml", Line: 3, Msg: "operation \"pay\" is not one of payment, refund, close, confirm, confirm_refund"},
				{File: "dir/worse.yaml", Msg: "file is empty"},
			}}
		})
		assert.True(t, listScenarios(t, e.h).Reloadable)
		code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
		assert.Equal(t, http.StatusUnprocessableEntity, code)
		assert.Equal(t, 1, calls)
		assert.Contains(t, errorOf(t, out), "unchanged")
		assert.Equal(t, []any{`dir/bad.yaml:3: operation "pay" is not one of payment, refund, close, confirm, confirm_refund`, "dir/worse.yaml: file is empty"}, out["problems"])

		l := listScenarios(t, e.h)
		assert.Len(t, l.Scenarios, len(shipped), "the old set is still in force")
		code, _ = e.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"pay-unknown-result"}`)
		assert.Equal(t, http.StatusCreated, code, "the old set can still be armed")
	})
	t.Run("other error", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func() (*sim.ScenarioSet, error) { return nil, errors.New("disk on fire") })
		code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
		assert.GreaterOrEqual(t, code, 400)
		assert.Contains(t, errorOf(t, out), "disk on fire")
		assert.Len(t, listScenarios(t, e.h).Scenarios, len(shipped))
	})
	t.Run("good reload swaps the set", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func() (*sim.ScenarioSet, error) {
			return sim.LoadScenarios(fstest.MapFS{"dir/pay-always-unknown.yaml": {Data: []byte(oneScenario)}}, "dir", providerNames)
		})
		code, out := e.call(t, http.MethodPost, "/__paysim/scenarios/reload", "")
		require.Equal(t, http.StatusOK, code, out)
		assert.EqualValues(t, 1, out["reloaded"])
		assert.Equal(t, []any{"pay-always-unknown"}, out["names"])

		l := listScenarios(t, e.h)
		require.Len(t, l.Scenarios, 1)
		assert.Equal(t, "pay-always-unknown", l.Scenarios[0].Name)
		assert.Equal(t, "dir/pay-always-unknown.yaml:1", l.Scenarios[0].Source)
		_, out = e.call(t, http.MethodGet, "/__paysim/health", "")
		assert.EqualValues(t, 1, out["scenarios"])

		code, out = e.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"pay-unknown-result"}`)
		assert.Equal(t, http.StatusBadRequest, code, "the old scenarios are gone")
		assert.Contains(t, errorOf(t, out), "loaded: pay-always-unknown")
		code, _ = e.call(t, http.MethodPost, "/__paysim/scenarios/arm", `{"scenario":"pay-always-unknown"}`)
		assert.Equal(t, http.StatusCreated, code)
	})
}

type report struct {
	Provider   string            `json:"provider"`
	Merchant   string            `json:"merchant"`
	ID         string            `json:"id"`
	Operation  string            `json:"operation"`
	ProviderID string            `json:"provider_id"`
	Aliases    map[string]string `json:"aliases"`
	Amount     string            `json:"amount"`
	Status     string            `json:"status"`
	State      string            `json:"state"`
	Scenario   string            `json:"scenario"`
	Source     string            `json:"scenario_source"`
	SelectedBy string            `json:"selected_by"`
	Queries    int               `json:"queries"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Fields     map[string]string `json:"fields"`
	Refunded   string            `json:"refunded"`
	Pending    string            `json:"pending_refunds"`
	Refundable string            `json:"refundable"`
	History    []sim.Transition  `json:"history"`
}

func decodeReport(t *testing.T, rec *httptest.ResponseRecorder) report {
	t.Helper()
	var r report
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &r), rec.Body.String())
	return r
}

func TestOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, err := e.clock.Set(time.Date(2026, 11, 22, 9, 30, 0, 0, sim.Beijing))
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/__paysim/orders", strings.NewReader(seedBody("pay1", "1.00")))
	e.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	seeded := decodeReport(t, rec)
	assert.Equal(t, "huifu", seeded.Provider)
	assert.Equal(t, merchant, seeded.Merchant)
	assert.Equal(t, "pay1", seeded.ID)
	assert.Equal(t, "payment", seeded.Operation)
	assert.Equal(t, "1.00", seeded.Amount)
	assert.Equal(t, "success", seeded.Status)
	assert.Equal(t, "paid", seeded.State)
	assert.Equal(t, "builtin:seeded-paid", seeded.Scenario)
	assert.Equal(t, "builtin", seeded.Source)
	assert.Contains(t, seeded.SelectedBy, "seeded")
	assert.Equal(t, "1.00", seeded.Refundable)
	assert.Equal(t, "0.00", seeded.Refunded)
	assert.Zero(t, seeded.Queries)
	assert.True(t, seeded.CreatedAt.Equal(e.core.Now()), "created on the simulator's clock")
	assert.True(t, seeded.FinishedAt.Equal(seeded.CreatedAt), "paid as it is created")
	assert.Equal(t, "0.00", seeded.Pending)
	assert.Equal(t, "20261122", seeded.Fields["req_date"], "given fields are kept")
	assert.NotEmpty(t, seeded.ProviderID, "the provider mints its own id")
	assert.NotEmpty(t, seeded.History)

	t.Run("get by id", func(t *testing.T) {
		for _, q := range []string{"provider=huifu&id=pay1", "id=pay1", "provider=huifu&merchant=" + merchant + "&id=pay1", "id=" + seeded.ProviderID} {
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__paysim/orders?"+q, nil))
			require.Equal(t, http.StatusOK, rec.Code, q)
			got := decodeReport(t, rec)
			assert.Equal(t, seeded, got, q)
		}
	})
	t.Run("get refused", func(t *testing.T) {
		for _, tc := range []struct {
			q    string
			code int
			want string
		}{
			{"provider=huifu&id=nope", http.StatusNotFound, `no payment, refund or close with id "nope" (provider huifu)`},
			{"merchant=6666000100000001&id=pay1", http.StatusNotFound, "(merchant 6666000100000001)"},
			{"provider=alipay&id=pay1", http.StatusBadRequest, `unknown provider "alipay"`},
		} {
			code, out := e.call(t, http.MethodGet, "/__paysim/orders?"+tc.q, "")
			assert.Equal(t, tc.code, code, tc.q)
			assert.Contains(t, errorOf(t, out), tc.want, tc.q)
		}
	})
	t.Run("seed refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, body string
			code       int
			want       string
		}{
			{"duplicate", seedBody("pay1", "2.00"), http.StatusConflict, "pay1"},
			{"missing id", `{"provider":"huifu","merchant":"` + merchant + `","amount":"1.00"}`, http.StatusBadRequest, "merchant, id and amount are required"},
			{"missing merchant", `{"provider":"huifu","id":"x","amount":"1.00"}`, http.StatusBadRequest, "merchant, id and amount are required"},
			{"missing amount", `{"provider":"huifu","merchant":"` + merchant + `","id":"x"}`, http.StatusBadRequest, "merchant, id and amount are required"},
			{"empty body", ``, http.StatusBadRequest, "provider is required"},
			{"missing provider", `{"merchant":"` + merchant + `","id":"x","amount":"1.00"}`, http.StatusBadRequest, "provider is required (one of huifu)"},
			{"unknown provider", `{"provider":"alipay","merchant":"` + merchant + `","id":"x","amount":"1.00"}`, http.StatusBadRequest, `unknown provider "alipay"`},
			{"bad amount", seedBody("x", "one yuan"), http.StatusBadRequest, `amount: amount "one yuan"`},
			{"three decimals", seedBody("x", "1.001"), http.StatusBadRequest, "more than two decimals"},
			{"negative amount", seedBody("x", "-1.00"), http.StatusBadRequest, "amount"},
			{"zero amount", seedBody("x", "0.00"), http.StatusBadRequest, "must be positive"},
			{"numeric amount", `{"provider":"huifu","merchant":"` + merchant + `","id":"x","amount":1}`, http.StatusBadRequest, "not the JSON this call takes"},
			{"unknown field", `{"provider":"huifu","merchant":"` + merchant + `","id":"x","amount":"1.00","status":"success"}`, http.StatusBadRequest, `unknown field "status"`},
		} {
			code, out := e.call(t, http.MethodPost, "/__paysim/orders", tc.body)
			assert.Equal(t, tc.code, code, tc.name)
			assert.Contains(t, errorOf(t, out), tc.want, tc.name)
		}
		code, _ := e.call(t, http.MethodGet, "/__paysim/orders?id=x", "")
		assert.Equal(t, http.StatusNotFound, code, "nothing refused was seeded")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__paysim/orders?id=pay1", nil))
		assert.Equal(t, "1.00", decodeReport(t, rec).Amount, "the duplicate did not overwrite the order")
	})
	t.Run("list and ambiguous id", func(t *testing.T) {
		code, out := e.call(t, http.MethodPost, "/__paysim/orders",
			`{"provider":"huifu","merchant":"6666000100000001","id":"pay1","amount":"3.00"}`)
		require.Equal(t, http.StatusCreated, code, out)

		code, out = e.call(t, http.MethodGet, "/__paysim/orders", "")
		require.Equal(t, http.StatusOK, code)
		assert.Len(t, out["orders"], 2)
		code, out = e.call(t, http.MethodGet, "/__paysim/orders?provider=huifu&merchant=6666000100000001", "")
		require.Equal(t, http.StatusOK, code)
		require.Len(t, out["orders"], 1)
		assert.Equal(t, "3.00", out["orders"].([]any)[0].(map[string]any)["amount"])

		code, out = e.call(t, http.MethodGet, "/__paysim/orders?id=pay1", "")
		assert.Equal(t, http.StatusConflict, code)
		assert.Contains(t, errorOf(t, out), "matches 2 orders")
		assert.Len(t, out["orders"], 2)
		code, out = e.call(t, http.MethodGet, "/__paysim/orders?merchant=6666000100000001&id=pay1", "")
		assert.Equal(t, http.StatusOK, code)
		assert.Equal(t, "3.00", out["amount"])
	})
}

func TestOrdersListEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code, out := e.call(t, http.MethodGet, "/__paysim/orders?provider=huifu", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, []any{}, out["orders"], "an empty ledger lists [], not null")
}

func TestUnknownPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct {
		method, path string
		want         []string
	}{
		{http.MethodGet, "/__paysim/whatever", []string{"GET /__paysim/whatever is not a control-plane call",
			"GET /__paysim/health", "POST /__paysim/reset", "GET|POST /__paysim/clock", "GET /__paysim/scenarios",
			"POST|DELETE /__paysim/scenarios/arm", "POST /__paysim/scenarios/reload", "GET|POST /__paysim/orders"}},
		{http.MethodPost, "/__paysim/scenarios/nope", []string{"POST /__paysim/scenarios/nope is not a control-plane call"}},
		{http.MethodGet, "/__paysim/", []string{"is not a control-plane call"}},
		{http.MethodGet, "/nope", []string{"GET /nope is not a path paysim serves", "providers: huifu", "/__paysim/"}},
		{http.MethodDelete, "/", []string{"DELETE / is not a path paysim serves"}},
	} {
		code, out := e.call(t, tc.method, tc.path, "")
		assert.Equal(t, http.StatusNotFound, code, tc.path)
		msg := errorOf(t, out)
		for _, w := range tc.want {
			assert.Contains(t, msg, w, tc.path)
		}
	}
}

// A known control path with the wrong method is answered like an unknown call, listing
// the calls with their methods.
func TestWrongMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/__paysim/reset"},
		{http.MethodPut, "/__paysim/clock"},
		{http.MethodGet, "/__paysim/scenarios/arm"},
		{http.MethodDelete, "/__paysim/orders"},
		{http.MethodPost, "/__paysim/health"},
	} {
		code, out := e.call(t, tc.method, tc.path, "")
		assert.Equal(t, http.StatusNotFound, code, "%s %s", tc.method, tc.path)
		assert.Contains(t, errorOf(t, out), tc.method+" "+tc.path+" is not a control-plane call; see GET /__paysim/health")
	}
}

// bind is strict about unknown fields so that typos are reported; data after the JSON
// object is the same kind of mistake and must not be silently dropped.
func TestTrailingDataRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code, out := e.call(t, http.MethodPost, "/__paysim/clock", `{"advance":"30s"} {"set":"2030-01-01T00:00:00+08:00"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, errorOf(t, out), "not the JSON this call takes")
	assert.Equal(t, sim.DefaultVirtualStart, e.core.Now(), "a refused move leaves the clock where it was")
}
