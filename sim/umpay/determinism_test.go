package umpay_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// script is a fixed request sequence touching every endpoint and generated value, sent
// to the server at baseURL; the virtual clock is moved through the control plane, as a
// CI job would. The conformance suite runs it for byte-identical determinism.
func script(t testing.TB, baseURL string) []string {
	t.Helper()
	client, err := umpaytest.NewClient(baseURL, paysim.DefaultKeys())
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	post := func(path string, data map[string]any) {
		t.Helper()
		resp, err := client.Post(path, data)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, string(resp.Body))
	}
	post(pathUnified, unifiedData("D-JS1", "300", "wechatJs"))
	post(pathQRPay, qrpayData("D-QR1", "100", "alipay"))
	post(pathQuery, queryData("D-JS1"))
	post(pathMicropay, micropayData("D-MP1", "101", "alipay"))
	post(pathQuery, queryData("D-MP1"))
	post(pathQuery, queryData("D-MP1"))
	post(pathMicropay, micropayData("D-MP2", "200", "wechat"))
	post(pathRefund, refundData("D-RF1", "D-JS1", "300", "100"))
	post(pathRefundQuery, refundQueryData("D-RF1"))
	advanceClock(t, baseURL, 31*time.Second)
	post(pathRefundQuery, refundQueryData("D-RF1"))
	post(pathRefund, refundData("D-RF2", "D-JS1", "300", "500"))
	post(pathClose, closeData("D-QR1"))
	post(pathCancel, closeData("D-MP2"))
	post(pathQuery, queryData("D-MP2"))
	return bodies
}

// advanceClock moves the virtual clock of the server at baseURL by d.
func advanceClock(t testing.TB, baseURL string, d time.Duration) {
	t.Helper()
	resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, baseURL+control.Prefix+"/clock",
		http.Header{"Content-Type": {"application/json"}}, nil, []byte(`{"advance":"`+d.String()+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(raw), `"now"`) {
		t.Fatalf("advancing the clock by %s: %d %s", d, resp.StatusCode, raw)
	}
}

// A full reset replays the same ids as a fresh start (the byte-identical determinism of
// the script itself is the conformance suite's).
func TestResetReplaysFreshStart(t *testing.T) {
	e := newEnv(t, sim.WithSeed(42))
	script(t, e.srv.URL)
	e.core.Reset("")
	first := e.post(t, pathUnified, unifiedData("D-JS1", "300", "wechatJs"))
	fresh := newEnv(t, sim.WithSeed(42))
	_, err := fresh.clock.Advance(31 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, string(fresh.post(t, pathUnified, unifiedData("D-JS1", "300", "wechatJs")).Body), string(first.Body))
}
