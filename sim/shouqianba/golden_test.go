package shouqianba_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// TestGolden runs one fixed script on one simulator (virtual clock, seed 1) and compares
// every answer, byte for byte, with testdata/golden/shouqianba.txt: the proof that a
// refactoring of the request pipeline changes nothing a client sees. Run it with -update
// to rewrite the file, and only when a change of answers is intended.
func TestGolden(t *testing.T) {
	e := newEnv(t, sim.WithSeed(1))
	var tr simtest.Transcript
	record := func(step string, resp *shouqianbatest.Response, err error) *shouqianbatest.Response {
		t.Helper()
		require.NoError(t, err, "%s: the answer must be a well-formed Shouqianba response", step)
		tr.Add(step, resp.Status, resp.Header, resp.Body)
		return resp
	}
	post := func(step string, c *shouqianbatest.Client, path string, fields map[string]any) *shouqianbatest.Response {
		t.Helper()
		resp, err := c.Post(path, fields)
		return record(step, resp, err)
	}
	do := func(step, method, path string, headers map[string]string, body []byte) *shouqianbatest.Response {
		t.Helper()
		resp, err := e.client.Do(method, path, headers, body)
		return record(step, resp, err)
	}
	signed := func(path string, body []byte) map[string]string {
		return map[string]string{"Content-Type": "application/json", "Authorization": e.client.Authorization(path, body)}
	}
	sortedVectors := func(dir string) ([]string, map[string]vector) {
		vs := loadVectors(t, dir)
		names := make([]string, 0, len(vs))
		for n := range vs {
			names = append(names, n)
		}
		sort.Strings(names)
		return names, vs
	}
	c := e.client

	// Terminal: activate with the vendor's credentials, check the new terminal in (its key
	// rotates) and do business with it.
	act := post("activate (vendor-signed)", c, pathActivate, activateBody("POS-G1"))
	require.NotNil(t, act.Biz, "activation must succeed")
	require.NotNil(t, act.Biz.Terminal, "activation must succeed")
	pos := c.WithTerminal(act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"])
	ck := post("checkin of the activated terminal", pos, pathCheckin, map[string]any{"device_id": "POS-G1"})
	require.NotNil(t, ck.Biz, "checkin must succeed")
	require.NotNil(t, ck.Biz.Terminal, "checkin must succeed")
	pos = c.WithTerminal(ck.Biz.Terminal["terminal_sn"], ck.Biz.Terminal["terminal_key"])
	var log bytes.Buffer
	zw := gzip.NewWriter(&log)
	_, err := zw.Write([]byte("checkin ok\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	up, err := pos.PostRaw(pathUploadLog, log.Bytes())
	record("uploadLog of the activated terminal (its gzip log)", up, err)
	post("pay by the activated terminal with its rotated key", pos, pathPay, payBody("g-pay1", "300"))
	post("query by client_sn from the test terminal", c, pathQuery, queryByClientSN("g-pay1"))

	// Processing → success, driven by queries.
	pc := post("precreate (awaiting the payer)", c, pathPrecreate, precreateBody("g-pc1", "100", "3"))
	post("query by sn: paid on the first query", c, pathQuery, queryBySN(pc.Data("sn")))
	post("pay 1.01 yuan: pay-unknown-result", c, pathPay, payBody("g-unk", "101"))
	post("query of the unknown pay: 1st, still unknown", c, pathQuery, queryByClientSN("g-unk"))
	post("query of the unknown pay: 2nd, paid", c, pathQuery, queryByClientSN("g-unk"))

	// A scenario chosen by header; the pay then expires on the virtual clock.
	post("pay with X-Paysim-Scenario pay-qrcode-paid-on-first-query", e.withScenario("pay-qrcode-paid-on-first-query"),
		pathPay, payBody("g-exp", "100"))
	e.advance(t, 40*time.Second)
	post("query of the pay in progress after 40 s: timed out", c, pathQuery, queryByClientSN("g-exp"))

	// Refunds: processing → success on the clock, over the balance, unknown order.
	post("refund 100 of 300", c, pathRefund, refundBody("g-pay1", "1", "100"))
	post("query of the refund by refund_request_no: 1st, in progress", c, pathQuery,
		map[string]any{"client_sn": "g-pay1", "refund_request_no": "1"})
	e.advance(t, 30*time.Second)
	post("query of the order 30 s after the refund: partially refunded", c, pathQuery, queryByClientSN("g-pay1"))
	post("refund 500 over the refundable balance of 200", c, pathRefund, refundBody("g-pay1", "2", "500"))
	post("refund of an unknown order", c, pathRefund, refundBody("g-nope", "1", "1"))

	// Retries of a create.
	post("pay g-dup", c, pathPay, payBody("g-dup", "200"))
	post("pay g-dup retried identically", c, pathPay, payBody("g-dup", "200"))
	post("pay g-dup with another amount", c, pathPay, payBody("g-dup", "250"))

	// Revoke, cancel and the /api/v2/ alias.
	post("revoke of g-dup the same day", c, pathRevoke, queryByClientSN("g-dup"))
	post("cancel of the paid g-unk", c, pathCancel, queryByClientSN("g-unk"))
	post("pay under the /api/v2/ alias", c, "/api/v2/pay", payBody("g-alias", "150"))

	// An unknown scenario.
	post("pay with X-Paysim-Scenario naming an unknown scenario", e.withScenario("no-such-scenario"),
		pathPay, payBody("g-nosc", "100"))

	// Bad input.
	query := func() []byte {
		b, err := c.Body(pathQuery, queryByClientSN("g-pay1"))
		require.NoError(t, err)
		return b
	}
	do("GET instead of POST", http.MethodGet, pathQuery, map[string]string{}, nil)
	do("empty body", http.MethodPost, pathQuery, signed(pathQuery, nil), nil)
	malformed := []byte(`{"terminal_sn":"100000330000000001","client_sn":`)
	do("malformed JSON", http.MethodPost, pathQuery, signed(pathQuery, malformed), malformed)
	do("unknown path", http.MethodPost, "/upay/v2/nope", signed("/upay/v2/nope", []byte(`{}`)), []byte(`{}`))
	do("missing Authorization", http.MethodPost, pathQuery, map[string]string{"Content-Type": "application/json"}, query())
	do("malformed Authorization (no signature)", http.MethodPost, pathQuery,
		map[string]string{"Content-Type": "application/json", "Authorization": shouqianbatest.TerminalSN}, query())
	do("wrong signature", http.MethodPost, pathQuery, map[string]string{"Content-Type": "application/json",
		"Authorization": shouqianbatest.TerminalSN + " " + shouqianbatest.Sign(query(), "wrong-key")}, query())
	do("unknown terminal", http.MethodPost, pathQuery, map[string]string{"Content-Type": "application/json",
		"Authorization": "100000330000000777 " + shouqianbatest.Sign(query(), "some-key")}, query())
	post("body terminal_sn differs from the signer", c, pathQuery,
		map[string]any{"terminal_sn": "100000330000000009", "client_sn": "g-pay1"})
	names, tampered := sortedVectors("tampered")
	for _, n := range names {
		v := tampered[n]
		do("tampered vector "+n, v.Method, v.Path, v.Headers, []byte(v.Body))
	}

	// Every real-client vector, after seeding what TestRealClientVectors seeds.
	e.seedJavaDemoOrder(t)
	names, captured := sortedVectors("requests")
	for _, n := range names {
		v := captured[n]
		do("real-client vector "+n, v.Method, v.Path, v.Headers, []byte(v.Body))
	}

	tr.Check(t, "shouqianba.txt")
}
