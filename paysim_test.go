package paysim_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// keyFile copies a shipped key next to a test's paysim.yaml, so that the file's relative
// paths are what is tested.
func keyFile(t *testing.T, dir, name, shipped string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("keys", shipped))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
}

const fullConfig = `huifu:
  - sys_id: "6666000100009999"
    public_key: hf.pem
    huifu_ids: ["6666000100009998"]
huishouqian:
  - merchant_no: "864000000099"
    certificate: hsq.pem
    sign_key: my-secret
shouqianba:
  terminals:
    - {terminal_sn: "100000330000000099", terminal_key: my-terminal-key}
  vendors:
    - {vendor_sn: "91800000099", vendor_key: my-vendor-key}
umpay:
  - acq_sp_id: Y000000099
    public_key: um.pem
    merchants: ["42516699"]
`

// Every provider reads its own section; a merchant registered there is served, beside
// the test identity, and one named nowhere has no key.
func TestConfigSections(t *testing.T) {
	dir := t.TempDir()
	keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
	keyFile(t, dir, "hsq.pem", "huishouqian/merchant_cert.pem")
	keyFile(t, dir, "um.pem", "umpay/merchant_public.pem")
	ps := paysimtest.New(t, paysim.WithConfig([]byte(fullConfig), dir))

	c := ps.Huifu()
	query := map[string]any{"huifu_id": "6666000100009998", "org_req_date": "20260101", "org_req_seq_id": "x"}
	c.SysID = "6666000100009999"
	resp, err := c.Post("/v3/trade/payment/scanpay/query", query)
	require.NoError(t, err)
	assert.Equal(t, "23000001", resp.Code(), "verified, and the order is simply not there")
	c.SysID = "6666000100008888"
	resp, err = c.Post("/v3/trade/payment/scanpay/query", query)
	require.NoError(t, err)
	assert.Equal(t, "验签不通过", resp.Data["resp_desc"], "a sys_id in no configuration has no key")
}

func TestConfigProblems(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"unknown provider", "hufu:\n  - sys_id: x\n", `"hufu" is not a provider`},
		{"unknown key", "huifu:\n  - sys_id: x\n    pubkey: a.pem\n", "section huifu (line 2): field pubkey not found"},
		{"missing key file", "huifu:\n  - sys_id: x\n    public_key: nope.pem\n", "huifu[0]: open"},
		{"no sys_id", "huifu:\n  - public_key: hf.pem\n", "huifu[0]: sys_id missing"},
		{"no secret", "huishouqian:\n  - merchant_no: \"1\"\n    certificate: hf.pem\n", "huishouqian[0]: sign_key or sign_key_file missing"},
		{"terminal without key", "shouqianba:\n  terminals:\n    - terminal_sn: \"1\"\n", "shouqianba.terminals[0]: terminal_sn and terminal_key are required"},
		{"umpay without merchants", "umpay:\n  - acq_sp_id: Y1\n    public_key: hf.pem\n", "umpay[0]: acq_sp_id and merchants are required"},
		{"not yaml", "huifu: [", "paysim.yaml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
			path := filepath.Join(dir, "paysim.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.yaml), 0o600))
			_, err := paysim.New(paysim.WithConfigFile(path))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := paysim.New(paysim.WithConfigFile(filepath.Join(t.TempDir(), "missing.yaml")))
	assert.ErrorContains(t, err, "missing.yaml")
	_, err = paysim.New(paysim.WithConfig([]byte(strings.Repeat("#", 2<<20)), "."))
	assert.ErrorContains(t, err, "holds at most")
}

func TestSettings(t *testing.T) {
	_, err := paysim.New(paysim.WithSetting("huishouqian", "success_as_string", "maybe"))
	assert.ErrorContains(t, err, `"maybe" is not true or false`)
	_, err = paysim.New(paysim.WithSetting("huishouqian", "colour", "blue"))
	assert.ErrorContains(t, err, "no such setting")
	_, err = paysim.New(paysim.WithSetting("nobody", "x", "y"))
	assert.ErrorContains(t, err, `"nobody": not a provider`)
	_, err = paysim.New(paysim.WithVerify("lenient"))
	assert.ErrorContains(t, err, "not one of strict, log, off")
}

// The defaults are the simulator `paysim` runs: every provider, real clock, strict.
func TestNewDefaults(t *testing.T) {
	ps, err := paysim.New()
	require.NoError(t, err)
	defer ps.Close(context.Background())
	assert.Equal(t, []string{"huifu", "huishouqian", "shouqianba", "umpay"}, ps.Providers())
	assert.Equal(t, paysim.VerifyStrict, ps.Verify())
	assert.Equal(t, "real", ps.Core().Clock().Mode())

	srv := httptest.NewServer(ps)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/__paysim/clock", "application/json", strings.NewReader(`{"advance":"1s"}`))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, string(body), "paysim.WithVirtualClock", "a Go user is told the option, not a flag")
}

// Example starts paysim on a virtual clock, as a test would, and asks it for its health.
func Example() {
	ps, err := paysim.New(paysim.WithVirtualClock(time.Time{}), paysim.WithSeed(42))
	if err != nil {
		panic(err)
	}
	defer ps.Close(context.Background())
	srv := httptest.NewServer(ps) // or http.ListenAndServe("127.0.0.1:8700", ps)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/__paysim/clock")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output: {"mode":"virtual","now":"2026-01-01T10:00:00+08:00"}
}

// With a small bound, an old order is forgotten, and the provider's own not-found answer
// says it was evicted and why.
func TestEvictedOrderExplainsItself(t *testing.T) {
	ps := paysimtest.New(t, paysim.WithMaxEntities(3))
	for _, id := range []string{"old-1", "new-2", "new-3", "new-4"} {
		ps.Seed("huifu", huifutest.HuifuID, id, "1.00")
	}
	resp, err := ps.Huifu().Post("/v3/trade/payment/scanpay/query", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "old-1"})
	require.NoError(t, err)
	assert.Equal(t, "23000001", resp.Code())
	diag := resp.Header.Get("X-Paysim-Diagnostic")
	assert.Contains(t, diag, "was evicted")
	assert.Contains(t, diag, "paysim.WithMaxEntities", "a Go user is told the option")
}

// An empty scenario folder is refused at start and on reload, where the set in force stays.
func TestEmptyScenarioFolderRefused(t *testing.T) {
	dir := t.TempDir()
	_, err := paysim.New(paysim.WithScenarioDir(dir))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "holds no scenario")

	data, err := os.ReadFile(filepath.Join("scenarios", "pay-unknown-result.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "one.yaml"), data, 0o600))
	ps, err := paysim.New(paysim.WithScenarioDir(dir))
	require.NoError(t, err)
	defer ps.Close(context.Background())
	require.NoError(t, os.Remove(filepath.Join(dir, "one.yaml")))
	_, err = ps.Core().ReloadScenarios()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "holds no scenario")
	assert.Len(t, ps.Core().Scenarios().Names(), 1, "the last good set stays")
}

// Seeding checks what it seeds: an sn another order holds is refused with 409, one
// Shouqianba could not have given with 400, each saying which.
func TestSeedingChecksWhatItSeeds(t *testing.T) {
	ps := paysimtest.New(t)
	seed := func(id, sn string) (int, string) {
		body := `{"provider":"shouqianba","merchant":"1680000330001","id":"` + id + `","amount":"1.00","fields":{"sn":"` + sn + `"}}`
		req, err := http.NewRequest(http.MethodPost, ps.URL+"/__paysim/orders", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	code, _ := seed("c-1", "7892260101000001")
	require.Equal(t, http.StatusCreated, code)
	code, msg := seed("c-2", "7892260101000001")
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, msg, "sn 7892260101000001 is already held by payment c-1")
	code, msg = seed("c-3", "12345")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, `sn \"12345\" is not an order number Shouqianba could have given`)
}
