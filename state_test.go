package paysim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

func refundBody(id, payID, amount string) map[string]any {
	return map[string]any{"req_date": "20260101", "req_seq_id": id, "huifu_id": huifutest.HuifuID,
		"ord_amt": amount, "org_req_date": "20260101", "org_req_seq_id": payID}
}

// stateful starts paysim on the state file at path, writing only when closed.
func stateful(t *testing.T, path string, opts ...paysim.Option) *paysimtest.Server {
	t.Helper()
	return paysimtest.New(t, append([]paysim.Option{paysim.WithStateFile(path), paysim.WithStateInterval(time.Hour)}, opts...)...)
}

func closeServer(t *testing.T, ps *paysimtest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ps.Paysim.Close(ctx))
}

func TestStateFileIsCreatedPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	stateful(t, path)
	st, err := os.Stat(path)
	require.NoError(t, err, "a first start writes the file, so that a folder paysim cannot write to is found at once")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "it holds terminal keys")
	doc, err := paysim.ReadStateFile(path)
	require.NoError(t, err)
	assert.Equal(t, paysim.StateFormat, doc.Format)
	assert.Equal(t, paysim.StateVersion, doc.Version)
	assert.Empty(t, doc.Core.Payments)

	_, err = paysim.New(paysim.WithStateFile(filepath.Join(t.TempDir(), "missing", "state.json")))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot be written")
}

// Everything paysim holds is back after a clean stop and start: entities, the identical
// retry's bytes, an activated terminal and its key, armed scenarios and faults, and the
// generator's position.
func TestStateSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a := stateful(t, path)
	a.Seed("huifu", huifutest.HuifuID, "pay-1", "10.00")
	refund, err := a.Huifu().Post("/v3/trade/payment/scanpay/refund", refundBody("refund-1", "pay-1", "2.50"))
	require.NoError(t, err)
	require.Equal(t, "P", refund.Data["trans_stat"])
	act, err := a.Shouqianba().Post("/terminal/activate", map[string]any{"app_id": "2025061300009239", "code": "1", "device_id": "POS-1"})
	require.NoError(t, err)
	sn, key := act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"]
	require.NotEmpty(t, key)
	a.Arm("pay-unknown-result", paysimtest.Arm{Provider: "umpay", Times: 2})
	a.ArmFault(paysimtest.Fault{Fault: "timeout", Provider: "umpay", Times: 3})
	closeServer(t, a)

	b := stateful(t, path)
	o := b.Order("huifu", "refund-1")
	require.Len(t, o.Refunds, 1)
	assert.Equal(t, sim.StatusProcessing, o.Refunds[0].Status)
	retry, err := b.Huifu().Post("/v3/trade/payment/scanpay/refund", refundBody("refund-1", "pay-1", "2.50"))
	require.NoError(t, err)
	assert.Equal(t, string(refund.Body), string(retry.Body), "an identical retry gets the stored answer, byte for byte")
	b.Advance(30 * time.Second)
	assert.Equal(t, sim.StatusSuccess, b.Order("huifu", "refund-1").Refunds[0].Status, "the refund finishes on its schedule")

	pos := b.Shouqianba().WithTerminal(sn, key)
	paid, err := pos.Post("/upay/v2/pay", map[string]any{"client_sn": "after-restart", "total_amount": "100",
		"dynamic_id": "134567890123456789", "subject": "t", "operator": "op01"})
	require.NoError(t, err)
	assert.Equal(t, "PAY_SUCCESS", paid.Code(), "the activated terminal and its key are back: %s", paid.Header.Get("X-Paysim-Diagnostic"))

	armed := b.Paysim.Core().ArmedScenarios()
	require.Len(t, armed, 1)
	assert.Equal(t, "pay-unknown-result", armed[0].Scenario)
	assert.Equal(t, 2, armed[0].Remaining)
	faults := getJSON(t, b.URL+"/__paysim/faults")
	assert.Contains(t, faults, `"fault":"timeout"`)
	assert.Contains(t, faults, `"remaining":3`)
}

// The next generated id after a restart is the one the same run would have generated.
func TestStateKeepsTheGeneratorsPosition(t *testing.T) {
	activate := func(t *testing.T, ps *paysimtest.Server, device string) string {
		r, err := ps.Shouqianba().Post("/terminal/activate", map[string]any{"app_id": "2025061300009239", "code": "1", "device_id": device})
		require.NoError(t, err)
		return r.Biz.Terminal["terminal_sn"] + "/" + r.Biz.Terminal["terminal_key"]
	}
	straight := paysimtest.New(t)
	activate(t, straight, "POS-1")
	want := activate(t, straight, "POS-2")

	path := filepath.Join(t.TempDir(), "state.json")
	a := stateful(t, path)
	activate(t, a, "POS-1")
	closeServer(t, a)
	b := stateful(t, path)
	assert.Equal(t, want, activate(t, b, "POS-2"))
}

func getJSON(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
	return string(body)
}

// The background writer saves a change within a few intervals, atomically.
func TestStateWriterSavesChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	a := paysimtest.New(t, paysim.WithStateFile(path), paysim.WithStateInterval(10*time.Millisecond))
	a.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	require.Eventually(t, func() bool {
		doc, err := paysim.ReadStateFile(path)
		return err == nil && len(doc.Core.Payments) == 1
	}, 10*time.Second, 10*time.Millisecond, "the change reaches the file")
	closeServer(t, a)
	leftovers, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".state.json.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers, "no temporary file is left behind")
}

// writeState writes a state file whose core part is changed by edit.
func writeState(t *testing.T, path string, edit func(doc map[string]any)) {
	t.Helper()
	src := filepath.Join(t.TempDir(), "good.json")
	a := stateful(t, src)
	a.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	closeServer(t, a)
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	edit(doc)
	data, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

func TestStateFileThatDoesNotLoadStopsPaysim(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.json")
	writeState(t, good, func(map[string]any) {})
	data, err := os.ReadFile(good)
	require.NoError(t, err)
	cases := []struct {
		name    string
		content []byte
		edit    func(map[string]any)
		want    []string
	}{
		{name: "truncated", content: data[:len(data)/2], want: []string{"ends early", "truncated", "move it away"}},
		{name: "corrupt", content: bytes.Replace(data, []byte(`"payments":[`), []byte(`"payments":[}`), 1), want: []string{"damaged", "not valid JSON", "move it away"}},
		{name: "empty", content: []byte{}, want: []string{"is empty", "move it away"}},
		{name: "not ours", content: []byte(`{"orders":[]}`), want: []string{"is not a paysim state file"}},
		{name: "future version", edit: func(d map[string]any) { d["version"] = paysim.StateVersion + 1 },
			want: []string{fmt.Sprintf("newer paysim (state format version %d; this paysim reads version %d)", paysim.StateVersion+1, paysim.StateVersion), "move the file away"}},
		{name: "unknown member", edit: func(d map[string]any) { d["core"].(map[string]any)["extra"] = 1 }, want: []string{`unknown field "extra"`}},
		{name: "scenario not loaded", edit: func(d map[string]any) {
			p := d["core"].(map[string]any)["payments"].([]any)[0].(map[string]any)
			p["machine"].(map[string]any)["scenario"] = "no-such-scenario"
		}, want: []string{"does not fit this paysim", `scenario "no-such-scenario" is not loaded`, "move the file away"}},
		{name: "other seed", edit: func(d map[string]any) { d["core"].(map[string]any)["seed"] = 99 }, want: []string{"saved with seed 99"}},
		{name: "unknown provider", edit: func(d map[string]any) {
			d["providers"].(map[string]any)["stripe"] = map[string]any{"data": map[string]any{}}
		},
			want: []string{`state of "stripe"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if tc.edit != nil {
				writeState(t, path, tc.edit)
			} else {
				require.NoError(t, os.WriteFile(path, tc.content, 0o600))
			}
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = paysim.New(paysim.WithVirtualClock(time.Time{}), paysim.WithStateFile(path))
			require.Error(t, err, "never a silent empty start")
			assert.Contains(t, err.Error(), path)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "a file that does not load is left as it is")
			_, err = paysim.ReadStateFile(path)
			if tc.edit == nil || strings.Contains(tc.name, "version") || strings.Contains(tc.name, "member") {
				assert.Error(t, err, "inspect refuses it too")
			}
		})
	}
}

// FuzzLoadState feeds the loader any bytes: it never panics, and either loads them into a
// fresh paysim or refuses them with an error.
func FuzzLoadState(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.json")
	ps, err := paysim.New(paysim.WithVirtualClock(time.Time{}), paysim.WithStateFile(good), paysim.WithStateInterval(time.Hour))
	require.NoError(f, err)
	_, err = ps.Core().SeedPayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: huifutest.HuifuID, ID: "p"}, Amount: 100})
	require.NoError(f, err)
	require.NoError(f, ps.Close(context.Background()))
	data, err := os.ReadFile(good)
	require.NoError(f, err)
	f.Add(data)
	f.Add(data[:len(data)/3])
	f.Add([]byte(`{"format":"paysim-state","version":1}`))
	f.Add([]byte(`{"format":"paysim-state","version":1,"core":{"payments":[{}]}}`))
	f.Add([]byte(`{"format":"paysim-state","version":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := paysim.DecodeStateDocument(bytes.NewReader(data)); err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "state.json")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		ps, err := paysim.New(paysim.WithVirtualClock(time.Time{}), paysim.WithStateFile(path), paysim.WithStateInterval(time.Hour),
			paysim.WithNotifyTransport(refuseTransport{}))
		if err != nil {
			return
		}
		_ = ps.Close(context.Background())
	})
}

// refuseTransport sends nothing: a fuzzed notification never leaves the test.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("the fuzz test sends no notification")
}

// Every provider registers its notification policy, so that its pending notifications
// can be restored.
func TestEveryProvidersNotificationsRestore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	var names []string
	writeState(t, path, func(d map[string]any) {
		outbox := d["core"].(map[string]any)["outbox"].(map[string]any)
		var list []any
		for i, p := range paysim.Providers() {
			names = append(names, p)
			list = append(list, map[string]any{"id": fmt.Sprintf("n%d", i+1), "provider": p, "operation": "payment",
				"entity": map[string]any{"provider": p, "merchant": "m", "id": "x"}, "order": "x", "url": "http://127.0.0.1:9/",
				"body": "b", "state": "pending", "created_at": "2026-01-01T10:00:00+08:00", "next_attempt_at": "2026-01-02T10:00:00+08:00",
				"max_attempts": 2, "attempts": []any{}})
		}
		outbox["seq"], outbox["notifications"] = len(list), list
	})
	b := stateful(t, path)
	pending := b.Paysim.Core().Notifications(sim.NotifyFilter{State: sim.NotifyPending})
	require.Len(t, pending, len(names))
	for i, n := range pending {
		assert.Equal(t, names[i], n.Provider)
		assert.Equal(t, "2026-01-02T10:00:00+08:00", n.NextAt.Format(time.RFC3339), "its retry keeps its time")
	}
}
