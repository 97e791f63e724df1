package shouqianba_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/shouqianba"
)

func (e *env) control(t *testing.T, path, body string) int {
	t.Helper()
	resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// QA seeds a paid order through the control plane, with the sn a captured request names,
// and a client finds and refunds it; a provider reset forgets it and activated terminals.
func TestControlPlaneSeedAndReset(t *testing.T) {
	e := newEnv(t)
	require.Equal(t, http.StatusCreated, e.control(t, "/__paysim/orders",
		`{"provider":"shouqianba","merchant":"`+shouqianba.TestMerchantSN+`","id":"qa-1","amount":"12.34","fields":{"sn":"7892259488292938","payway":"1"}}`))
	q := e.post(t, pathQuery, queryBySN("7892259488292938"))
	assert.Equal(t, "PAID", q.Data("order_status"))
	assert.Equal(t, "qa-1", q.Data("client_sn"))
	assert.Equal(t, "1234", q.Data("total_amount"))
	assert.Equal(t, "支付宝", q.Data("payway_name"))
	assert.Regexp(t, `^2088\d{12}$`, q.Data("payer_uid"))
	assert.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody("qa-1", "1", "34")).Code())

	act := e.post(t, pathActivate, activateBody("POS-R"))
	require.Equal(t, http.StatusOK, e.control(t, "/__paysim/reset", `{"provider":"shouqianba"}`))
	assert.Equal(t, "UPAY_ORDER_NOT_EXISTS", e.post(t, pathQuery, queryBySN("7892259488292938")).BizError())
	gone := postAs(t, e.client.WithTerminal(act.Biz.Terminal["terminal_sn"], act.Biz.Terminal["terminal_key"]), pathQuery, queryBySN("7892259488292938"))
	assert.Equal(t, "INVALID_TERMINAL", gone.ErrorCode)
}
