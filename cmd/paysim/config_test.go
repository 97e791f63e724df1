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

// config registers one merchant of the user's: the file's other sections are tested
// with the package that reads them (paysim_test.go).
const userConfig = `huifu:
  - sys_id: "6666000100009999"
    public_key: hf.pem
    huifu_ids: ["6666000100009998"]
`

// A merchant from paysim.yaml is served: its requests verify with its own key.
func TestServeWithConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile(t, dir, "hf.pem", "huifu/merchant_public.pem")
	writeFiles(t, dir, map[string]string{"paysim.yaml": userConfig})
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
