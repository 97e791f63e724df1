package shouqianba_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

func activateBody(deviceID string) map[string]any {
	return map[string]any{"app_id": "2025061300009239", "code": "42167943", "device_id": deviceID}
}

func TestActivateIssuesATerminalOfTheTestMerchant(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, pathActivate, activateBody("POS-0001"))
	require.Equal(t, "200", resp.ResultCode, resp.Header.Get("X-Paysim-Diagnostic"))
	creds := resp.Biz.Terminal
	assert.Regexp(t, `^10000033\d{10}$`, creds["terminal_sn"])
	assert.Regexp(t, `^[0-9a-f]{32}$`, creds["terminal_key"])
	assert.Equal(t, shouqianba.TestMerchantSN, creds["merchant_sn"])
	assert.Equal(t, shouqianba.TestMerchantName, creds["merchant_name"])
	assert.Equal(t, shouqianba.TestStoreSN, creds["store_sn"])
	assert.Equal(t, shouqianba.TestStoreName, creds["store_name"])
	second := e.post(t, pathActivate, activateBody("POS-0002"))
	assert.NotEqual(t, creds["terminal_sn"], second.Biz.Terminal["terminal_sn"], "every activation is a new terminal")

	pos := e.client.WithTerminal(creds["terminal_sn"], creds["terminal_key"])
	clientSN := id("act")
	paid := postAs(t, pos, pathPay, payBody(clientSN, "100"))
	require.Equal(t, "PAY_SUCCESS", paid.Code())
	assert.Equal(t, creds["terminal_sn"], paid.Data("terminal_sn"))
	q := e.post(t, pathQuery, queryByClientSN(clientSN))
	assert.Equal(t, "PAID", q.Data("order_status"), "terminals of one merchant see each other's orders")
	assert.Equal(t, "CLIENT_SN_CONFLICT", e.post(t, pathPay, payBody(clientSN, "100")).BizError(), "client_sn is unique per merchant")

	wrongTerminal := postAs(t, pos, pathQuery, map[string]any{"terminal_sn": shouqianbatest.TerminalSN, "client_sn": clientSN})
	assert.Equal(t, "INVALID_TERMINAL", wrongTerminal.ErrorCode, "SQ-A3")
}

// The legacy activation of the official Python demo: type instead of app_id.
func TestLegacyActivation(t *testing.T) {
	e := newEnv(t)
	resp := e.post(t, pathActivate, map[string]any{"code": "42167943", "device_id": "50a87771-ca8a-4952-a493-9504c39ab495",
		"sdk_version": "Python SDK v1.0", "os_info": "Android 5.0", "type": "2"})
	assert.Equal(t, "200", resp.ResultCode, resp.Header.Get("X-Paysim-Diagnostic"))
	neither := e.post(t, pathActivate, map[string]any{"code": "1", "device_id": "d"})
	assert.Equal(t, "app_id不可以为空", neither.ErrorMessage)
}

// Checkin rotates the key; the current and the previous key are valid (SQ-A4).
func TestCheckinRotatesTheKey(t *testing.T) {
	e := newEnv(t)
	keys := []string{shouqianbatest.TerminalKey}
	for i := range 2 {
		resp := postAs(t, e.client.WithTerminal(shouqianbatest.TerminalSN, keys[len(keys)-1]), pathCheckin, map[string]any{"device_id": "POS-0001"})
		require.Equal(t, "200", resp.ResultCode, "checkin %d: %s", i, resp.Header.Get("X-Paysim-Diagnostic"))
		assert.Equal(t, shouqianbatest.TerminalSN, resp.Biz.Terminal["terminal_sn"])
		require.NotContains(t, keys, resp.Biz.Terminal["terminal_key"])
		keys = append(keys, resp.Biz.Terminal["terminal_key"])
	}
	order := e.seedPaid(t, id("ck"), 100, nil)
	for i, key := range keys {
		resp := postAs(t, e.client.WithTerminal(shouqianbatest.TerminalSN, key), pathQuery, queryBySN(order.ProviderID))
		if i == 0 {
			assert.Equal(t, "ILLEGAL_SIGN", resp.ErrorCode, "the original key is two checkins old")
			assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "the key it had before the last checkin")
			continue
		}
		assert.Equal(t, "SUCCESS", resp.Code(), "key %d", i)
	}

	// A reset forgets rotations and activations.
	act := e.post(t, pathActivate, activateBody("POS-9"))
	e.core.Reset(shouqianba.Name)
	resp := e.post(t, pathQuery, queryBySN(order.ProviderID))
	assert.Equal(t, "UPAY_ORDER_NOT_EXISTS", resp.BizError(), "the original test key works again")
	gone := postAs(t, e.client.WithTerminal(act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"]), pathQuery, queryBySN(order.ProviderID))
	assert.Equal(t, "INVALID_TERMINAL", gone.ErrorCode)
}

func TestActivationRefusals(t *testing.T) {
	e := newEnv(t)
	vendor := e.client.WithTerminal(shouqianbatest.TerminalSN, shouqianbatest.TerminalKey)
	vendor.VendorKey = "not-the-vendor-key"
	before := e.snapshot(t)
	resp := postAs(t, vendor, pathActivate, activateBody("POS-1"))
	assert.Equal(t, "ILLEGAL_SIGN", resp.ErrorCode)
	assert.Contains(t, resp.Header.Get("X-Paysim-Diagnostic"), "vendor_key of 91800000001")
	vendor.VendorSN = "91899999999"
	assert.Equal(t, "INVALID_TERMINAL", postAs(t, vendor, pathActivate, activateBody("POS-1")).ErrorCode)
	assert.Equal(t, before, e.snapshot(t))
}

// Verify mode off serves an unknown terminal as one of the test merchant.
func TestVerifyOffServesUnknownTerminals(t *testing.T) {
	e := newEnvVerify(t, gateway.VerifyOff)
	stranger := e.client.WithTerminal("100000330000000777", "whatever")
	resp := postAs(t, stranger, pathPay, payBody(id("off"), "100"))
	assert.Equal(t, "PAY_SUCCESS", resp.Code())
	assert.Equal(t, "100000330000000777", resp.Data("terminal_sn"))
	ck := postAs(t, stranger, pathCheckin, map[string]any{"device_id": "d"})
	assert.Equal(t, "INVALID_TERMINAL", ck.ErrorCode, "there is no key to rotate")
	assert.Contains(t, ck.Header.Get("X-Paysim-Diagnostic"), "served unverified because the verify mode is not strict")
	assert.NotContains(t, ck.Header.Get("X-Paysim-Diagnostic"), "--verify", "the provider knows no flags")
}

// /terminal/uploadLog takes the terminal's compressed log as the raw body, signed like
// every terminal request, and answers the vendor's success; nothing else happens.
func TestUploadLog(t *testing.T) {
	e := newEnv(t)
	var log bytes.Buffer
	zw := gzip.NewWriter(&log)
	_, err := zw.Write([]byte("2026-01-01 10:00:00 checkin ok\n2026-01-01 10:00:05 pay c1 PAY_SUCCESS\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	before := e.snapshot(t)

	resp, err := e.client.PostRaw(pathUploadLog, log.Bytes())
	require.NoError(t, err, "the answer is well formed")
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, `{"result_code":"200","error_code":"SUCCESS","error_message":"ok"}`, string(resp.Body), "the vendor's answer")
	assert.Empty(t, resp.Header.Get("X-Paysim-Diagnostic"))
	assert.Empty(t, resp.Header.Get("X-Paysim-Scenario"))
	assert.Equal(t, before, e.snapshot(t), "nothing is kept")

	plain, err := e.client.PostRaw(pathUploadLog, []byte("not compressed, not JSON"))
	require.NoError(t, err)
	assert.Equal(t, "SUCCESS", plain.ErrorCode, "paysim does not look inside the log")

	for name, headers := range map[string]map[string]string{
		"unsigned":            {"Content-Type": "application/json"},
		"the wrong key":       {"Authorization": shouqianbatest.TerminalSN + " " + shouqianbatest.Sign(log.Bytes(), "wrong")},
		"vendor-signed":       {"Authorization": shouqianbatest.VendorSN + " " + shouqianbatest.Sign(log.Bytes(), shouqianbatest.VendorKey)},
		"an unknown terminal": {"Authorization": "100000330000000777 " + shouqianbatest.Sign(log.Bytes(), "k")},
	} {
		t.Run(name, func(t *testing.T) {
			r, err := e.client.Do(http.MethodPost, pathUploadLog, headers, log.Bytes())
			require.NoError(t, err)
			assert.Equal(t, "400", r.ResultCode)
			assert.Contains(t, []string{"ILLEGAL_SIGN", "INVALID_TERMINAL"}, r.ErrorCode)
			assert.NotEmpty(t, r.Header.Get("X-Paysim-Diagnostic"))
		})
	}
	get, err := e.client.Do(http.MethodGet, pathUploadLog, map[string]string{}, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusMethodNotAllowed, get.Status)
}
