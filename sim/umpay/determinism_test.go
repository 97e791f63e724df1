package umpay_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
)

// script is a fixed request sequence touching every endpoint and generated value.
func script(t *testing.T, e *env) []string {
	t.Helper()
	var bodies []string
	post := func(path string, data map[string]any) {
		bodies = append(bodies, string(e.post(t, path, data).Body))
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
	_, err := e.clock.Advance(31 * time.Second)
	require.NoError(t, err)
	post(pathRefundQuery, refundQueryData("D-RF1"))
	post(pathRefund, refundData("D-RF2", "D-JS1", "300", "500"))
	post(pathClose, closeData("D-QR1"))
	post(pathCancel, closeData("D-MP2"))
	post(pathQuery, queryData("D-MP2"))
	return bodies
}

// The same seed, virtual clock and request sequence give byte-identical responses; a
// different seed gives different generated values.
func TestDeterministicResponses(t *testing.T) {
	simtest.Deterministic(t, func(seed int64) []string { return script(t, newEnv(t, sim.WithSeed(seed))) })

	// A full reset replays the same ids as a fresh start.
	e := newEnv(t, sim.WithSeed(42))
	script(t, e)
	e.core.Reset("")
	first := e.post(t, pathUnified, unifiedData("D-JS1", "300", "wechatJs"))
	fresh := newEnv(t, sim.WithSeed(42))
	_, err := fresh.clock.Advance(31 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, string(fresh.post(t, pathUnified, unifiedData("D-JS1", "300", "wechatJs")).Body), string(first.Body))
}
