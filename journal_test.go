package paysim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// secrets is every piece of key material paysim holds: the lines of the private keys,
// the Huishouqian merchant secret, the Shouqianba terminal and vendor keys.
func secrets(t *testing.T) []string {
	t.Helper()
	out := []string{shouqianba.TestTerminalKey, shouqianba.TestVendorKey}
	secret, err := os.ReadFile(filepath.Join("keys", "huishouqian", "sign_key.txt"))
	require.NoError(t, err)
	out = append(out, string(secret))
	files, err := filepath.Glob(filepath.Join("keys", "*", "*private*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); len(line) >= 24 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	return out
}

// Whatever flows run, and whatever is refused, the journal never holds key material: a
// terminal key handed out by activate and checkin is redacted, the merchant secret is
// not in any diagnostic.
func TestJournalHoldsNoSecret(t *testing.T) {
	ps := paysimtest.New(t)

	ps.Seed("huifu", huifutest.HuifuID, "hf-1", "1.00")
	_, err := ps.Huifu().Post("/v3/trade/payment/scanpay/refund", map[string]any{"req_date": "20260101", "req_seq_id": "hf-r1",
		"huifu_id": huifutest.HuifuID, "ord_amt": "0.10", "org_req_date": "20260101", "org_req_seq_id": "hf-1"})
	require.NoError(t, err)

	hsq := ps.Huishouqian()
	ps.Seed("huishouqian", huishouqiantest.MerchantNo, "hsq-1", "1.00")
	_, err = hsq.Post("POLYMERIZE_QUERY", map[string]any{"transNo": "hsq-1"})
	require.NoError(t, err)
	hsq.MerchantNo = "864000009999" // unknown: the diagnostic shows the expected signed text
	_, err = hsq.Post("POLYMERIZE_QUERY", map[string]any{"transNo": "hsq-1"})
	require.NoError(t, err)

	sqb := ps.Shouqianba()
	act, err := sqb.Post("/terminal/activate", map[string]any{"app_id": "2025061300009239", "code": "42167943", "device_id": "POS-J1"})
	require.NoError(t, err)
	activated := act.Biz.Terminal["terminal_key"]
	require.NotEmpty(t, activated)
	pos := sqb.WithTerminal(act.Biz.Terminal["terminal_sn"], activated)
	ck, err := pos.Post("/terminal/checkin", map[string]any{"device_id": "POS-J1"})
	require.NoError(t, err)
	rotated := ck.Biz.Terminal["terminal_key"]
	bad := sqb.WithTerminal(shouqianba.TestTerminalSN, "not-the-key")
	_, err = bad.Post("/upay/v2/query", map[string]any{"client_sn": "nothing"})
	require.NoError(t, err)

	ps.Seed("umpay", umpaytest.MerID, "um-1", "1.00")
	_, err = ps.Umpay().Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID, "orderNo": "um-1", "transactionId": ""})
	require.NoError(t, err)

	resp, err := http.Get(ps.URL + "/__paysim/requests?limit=1000")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out struct {
		Requests []map[string]any `json:"requests"`
	}
	require.NoError(t, json.Unmarshal(raw, &out))
	require.Len(t, out.Requests, 7, "every provider request is journaled")
	journal := string(raw)
	for _, s := range append(secrets(t), activated, rotated) {
		assert.NotContains(t, journal, s, "the journal must never hold key material")
	}
	assert.Contains(t, journal, `\"terminal_key\":\"[redacted]\"`, "the handed-out key is replaced, not dropped")
}
