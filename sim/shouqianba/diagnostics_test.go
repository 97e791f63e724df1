package shouqianba_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// logBuffer collects paysim's log lines; the server writes them on its own goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// refusals returns the "request refused" lines logged since the last call.
func (b *logBuffer) refusals() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(line, "request refused") {
			out = append(out, line)
		}
	}
	b.buf.Reset()
	return out
}

const closeFails = `version: 1
name: sqb-close-fails
description: The wallet refuses the cancel.
operation: close
providers: [shouqianba]
states:
  - name: failed
    status: failed
`

// Every refusal says why in X-Paysim-Diagnostic and one log line naming its error code,
// including the business failures a scenario makes (PAY_FAIL, PRECREATE_FAIL,
// REFUND_FAIL, a failed cancel); an answer that refuses nothing (REFUND_IN_PROGRESS
// reporting a refund in flight, a query that succeeds) carries none and is not logged
// as refused.
func TestDiagnosticsOnRefusalsOnly(t *testing.T) {
	logs := &logBuffer{}
	e := newEnvScenarios(t, map[string]string{"sqb-close-fails.yaml": closeFails},
		sim.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	refused := func(what string, r *shouqianbatest.Response, code string) {
		t.Helper()
		assert.NotEmpty(t, r.Header.Get("X-Paysim-Diagnostic"), "%s: a refusal explains itself", what)
		lines := logs.refusals()
		if assert.Len(t, lines, 1, "%s: one log line", what) {
			assert.Contains(t, lines[0], "code="+code, what)
		}
	}
	served := func(what string, r *shouqianbatest.Response) {
		t.Helper()
		assert.Empty(t, r.Header.Get("X-Paysim-Diagnostic"), "%s is no refusal", what)
		assert.Empty(t, logs.refusals(), "%s is not logged as refused", what)
	}

	fund := e.withScenario("sqb-pay-insufficient-fund")
	pay := postAs(t, fund, pathPay, payBody(id("dg"), "100"))
	require.Equal(t, "PAY_FAIL", pay.Code())
	refused("PAY_FAIL + INSUFFICIENT_FUND", pay, "INSUFFICIENT_FUND")
	assert.Contains(t, pay.Header.Get("X-Paysim-Diagnostic"), "sqb-pay-insufficient-fund", "names the scenario")
	assert.Contains(t, pay.Header.Get("X-Paysim-Diagnostic"), "INSUFFICIENT_FUND", "names the code after the scenario's overrides")

	pc := postAs(t, fund, pathPrecreate, precreateBody(id("dg"), "100", "3"))
	require.Equal(t, "PRECREATE_FAIL", pc.Code())
	refused("PRECREATE_FAIL", pc, "INSUFFICIENT_FUND")

	order := e.seedPaid(t, id("dg"), 100, nil)
	logs.refusals()
	rf := postAs(t, e.withScenario("sqb-refund-fails"), pathRefund, refundBody(order.ID, "9", "10"))
	require.Equal(t, "REFUND_FAIL", rf.Code())
	refused("REFUND_FAIL", rf, "TRADE_FAILED")
	served("a query of the failed refund", e.post(t, pathQuery, map[string]any{"client_sn": order.ID, "refund_request_no": "9"}))

	first := e.post(t, pathRefund, refundBody(order.ID, "7", "40"))
	require.Equal(t, "REFUND_IN_PROGRESS", first.Code())
	served("REFUND_IN_PROGRESS", first)
	again := e.post(t, pathRefund, refundBody(order.ID, "7", "41"))
	require.Equal(t, "REFUND_IN_PROGRESS", again.Code())
	assert.Equal(t, "40", again.Data("settlement_amount"), "it reports the refund in flight (SQ-A5)")
	served("REFUND_IN_PROGRESS for the same serial and another amount", again)
	served("a query", e.post(t, pathQuery, queryByClientSN(order.ID)))

	paid := id("dg")
	require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, payBody(paid, "100")).Code())
	logs.refusals()
	cancel := postAs(t, e.withScenario("sqb-close-fails"), pathCancel, queryByClientSN(paid))
	require.Equal(t, "CANCEL_ERROR", cancel.Code())
	refused("a failed cancel", cancel, "CANCEL_ERROR")

	refused("a bare FAIL", e.post(t, pathQuery, queryByClientSN("nope")), "UPAY_ORDER_NOT_EXISTS")
	refused("a gateway error", e.post(t, pathQuery, map[string]any{}), "INVALID_PARAMS")
}
