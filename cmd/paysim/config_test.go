package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim/huifu/huifutest"
)

// keyFile copies a shipped key next to a test's paysim.yaml, so the file's relative
// paths are what is tested.
func keyFile(t *testing.T, dir, name, shipped string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "keys", shipped))
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

func TestLoadMerchants(t *testing.T) {
	dir := t.TempDir()
	keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
	keyFile(t, dir, "hsq.pem", "huishouqian/merchant_cert.pem")
	keyFile(t, dir, "um.pem", "umpay/merchant_public.pem")
	writeFiles(t, dir, map[string]string{"paysim.yaml": fullConfig})

	m, err := loadMerchants(filepath.Join(dir, "paysim.yaml"))
	require.NoError(t, err)
	require.Len(t, m.huifu, 1)
	assert.Equal(t, []string{"6666000100009999", "6666000100009998"}, m.huifu[0].HuifuIDs, "a sys_id acts for itself too")
	require.Len(t, m.huishouqian, 1)
	assert.Equal(t, "my-secret", m.huishouqian[0].SignKey)
	require.Len(t, m.terminals, 1)
	assert.Equal(t, "1680000330001", m.terminals[0].MerchantSN, "the test merchant unless given")
	require.Len(t, m.vendors, 1)
	require.Len(t, m.umpay, 1)
	assert.Equal(t, []string{"42516699"}, m.umpay[0].Merchants)

	none, err := loadMerchants("")
	require.NoError(t, err, "no paysim.yaml in the working directory is fine")
	assert.Empty(t, none.source)
}

func TestLoadMerchantsProblems(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, want string
	}{
		{"unknown key", "huifu:\n  - sys_id: x\n    pubkey: a.pem\n", "line 3: field pubkey not found"},
		{"missing key file", "huifu:\n  - sys_id: x\n    public_key: nope.pem\n", "huifu[0]: open"},
		{"no sys_id", "huifu:\n  - public_key: hf.pem\n", "huifu[0]: sys_id missing"},
		{"no secret", "huishouqian:\n  - merchant_no: \"1\"\n    certificate: hf.pem\n", "huishouqian[0]: sign_key or sign_key_file missing"},
		{"terminal without key", "shouqianba:\n  terminals:\n    - terminal_sn: \"1\"\n", "shouqianba.terminals[0]: terminal_sn and terminal_key are required"},
		{"umpay without merchants", "umpay:\n  - acq_sp_id: Y1\n    public_key: hf.pem\n", "umpay[0]: acq_sp_id and merchants are required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
			writeFiles(t, dir, map[string]string{"paysim.yaml": tt.yaml})
			_, err := loadMerchants(filepath.Join(dir, "paysim.yaml"))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := loadMerchants(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorContains(t, err, "--config")
}

// A merchant from paysim.yaml is served: its requests verify with its own key.
func TestServeWithConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
	keyFile(t, dir, "hsq.pem", "huishouqian/merchant_cert.pem")
	keyFile(t, dir, "um.pem", "umpay/merchant_public.pem")
	writeFiles(t, dir, map[string]string{"paysim.yaml": fullConfig})
	s := startServer(t, map[string]string{"PAYSIM_CONFIG": filepath.Join(dir, "paysim.yaml")}, "--addr", "127.0.0.1:0", "--clock", "virtual")

	c, err := huifutest.NewClient(s.base, paysim.DefaultKeys())
	require.NoError(t, err)
	c.SysID = "6666000100009999"
	resp, err := c.Post("/v3/trade/payment/scanpay/query", map[string]any{"huifu_id": "6666000100009998", "org_req_date": "20260101", "org_req_seq_id": "x"})
	require.NoError(t, err)
	assert.Equal(t, "23000001", resp.Code(), "verified, and the order is simply not there")

	c.SysID = "6666000100008888"
	resp, err = c.Post("/v3/trade/payment/scanpay/query", map[string]any{"huifu_id": "6666000100009998", "org_req_date": "20260101", "org_req_seq_id": "x"})
	require.NoError(t, err)
	assert.Equal(t, "验签不通过", resp.Data["resp_desc"], "a sys_id in no configuration has no key")
}

func TestServeRefusesBrokenConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"paysim.yaml": "huifu:\n  - sys_id: x\n    public_key: nope.pem\n"})
	r := runWith(t, nil, "--addr", "127.0.0.1:0", "--config", filepath.Join(dir, "paysim.yaml"))
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "huifu[0]: open")
	assert.NotContains(t, r.stdout, "listening")
}
