package shouqianba_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// operator is the operator of the order's last action (the query page: 执行上次业务动作的
// 操作员): a refund's operator once the order has been refunded, in the refund's answer,
// in every query after it and in its notification. A cancel names no operator, so the
// one before it stays.
func TestOperatorIsTheLastActionsOperator(t *testing.T) {
	e := newEnv(t)
	clientSN := id("op")
	body := payBody(clientSN, "100")
	body["operator"] = "pay-operator-A"
	require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, body).Code())

	rf := refundBody(clientSN, "1", "30")
	rf["operator"] = "refund-operator-B"
	refund := e.post(t, pathRefund, rf)
	require.Equal(t, "REFUND_IN_PROGRESS", refund.Code())
	assert.Equal(t, "refund-operator-B", refund.Data("operator"), "the refund's answer")
	assert.Equal(t, "refund-operator-B", e.post(t, pathQuery, queryByClientSN(clientSN)).Data("operator"), "the order while the refund is in flight")
	e.advance(t, 30*time.Second)
	assert.Equal(t, "refund-operator-B", e.post(t, pathQuery, queryByClientSN(clientSN)).Data("operator"), "the refunded order")

	rf = refundBody(clientSN, "2", "10")
	rf["operator"] = "refund-operator-C"
	require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, rf).Code())
	assert.Equal(t, "refund-operator-C", e.post(t, pathQuery, queryByClientSN(clientSN)).Data("operator"), "the latest refund is the last action")
	assert.Equal(t, "refund-operator-B", e.post(t, pathQuery, map[string]any{"client_sn": clientSN, "refund_request_no": "1"}).Data("operator"),
		"a query by refund_request_no reports that refund")

	cancelled := id("op")
	body = payBody(cancelled, "100")
	body["operator"] = "pay-operator-A"
	require.Equal(t, "PAY_SUCCESS", e.post(t, pathPay, body).Code())
	cancel := e.post(t, pathCancel, queryByClientSN(cancelled))
	require.Equal(t, "CANCEL_SUCCESS", cancel.Code())
	assert.Equal(t, "pay-operator-A", cancel.Data("operator"), "a cancel has no operator of its own")
}

// ctime <= channel_finish_time <= finish_time in every answer: the wallet finishes 23 ms
// before paysim, but never before the order exists.
func TestTimesAreInOrder(t *testing.T) {
	e := newEnv(t)
	check := func(what string, r *shouqianbatest.Response) {
		t.Helper()
		d := r.Biz.Data
		require.NotNil(t, d, what)
		require.NotEmpty(t, d.Fields["finish_time"], what)
		assert.False(t, d.ChannelFinishTime.Before(d.CTime), "%s: channel_finish_time %s before ctime %s", what, d.Fields["channel_finish_time"], d.Fields["ctime"])
		assert.False(t, d.FinishTime.Before(d.ChannelFinishTime), "%s: finish_time %s before channel_finish_time %s", what, d.Fields["finish_time"], d.Fields["channel_finish_time"])
	}
	clientSN := id("tm")
	pay := e.post(t, pathPay, payBody(clientSN, "100"))
	check("an instant pay", pay)
	assert.Equal(t, pay.Data("ctime"), pay.Data("channel_finish_time"), "paid at the instant it was made: the wallet cannot be earlier")

	bad := payBody(id("tm"), "100")
	bad["dynamic_id"] = "999999"
	check("an invalid barcode", e.post(t, pathPay, bad))

	require.Equal(t, "REFUND_IN_PROGRESS", e.post(t, pathRefund, refundBody(clientSN, "1", "10")).Code())
	e.advance(t, 30*time.Second)
	q := e.post(t, pathQuery, queryByClientSN(clientSN))
	check("a refund 30 s later", q)
	assert.Equal(t, q.Biz.Data.FinishTime.Add(-23*time.Millisecond), q.Biz.Data.ChannelFinishTime, "the wallet's 23 ms lag, when there is room for it")
}

// settlement_amount is what the last operation settled: the payment's amount once paid,
// the refund's amount after a refund, nothing on an order that was never paid.
func TestSettlementAmountOnlyOncePaid(t *testing.T) {
	e := newEnv(t)
	never := map[string]*shouqianbatest.Response{}
	never["precreate, CREATED"] = e.post(t, pathPrecreate, precreateBody(id("st"), "100", "3"))
	unknown := id("st")
	never["pay-unknown-result, PAY_ERROR"] = e.post(t, pathPay, payBody(unknown, "101"))
	never["query of the unknown pay, PAY_ERROR"] = e.post(t, pathQuery, queryByClientSN(unknown))
	never["PAY_FAIL by scenario"] = postAs(t, e.withScenario("sqb-pay-insufficient-fund"), pathPay, payBody(id("st"), "100"))
	bad := payBody(id("st"), "100")
	bad["dynamic_id"] = "999999"
	never["invalid barcode"] = e.post(t, pathPay, bad)
	pending := id("st")
	never["pay in progress, CREATED"] = postAs(t, e.withScenario("pay-qrcode-paid-on-first-query"), pathPay, payBody(pending, "100"))
	never["cancel of the pay in progress"] = e.post(t, pathCancel, queryByClientSN(pending))
	expired := id("st")
	require.Equal(t, "PRECREATE_SUCCESS", e.post(t, pathPrecreate, precreateBody(expired, "100", "3")).Code())
	e.advance(t, 4*time.Minute)
	never["timed out, PAY_CANCELED"] = e.post(t, pathQuery, queryByClientSN(expired))
	for what, r := range never {
		require.True(t, r.HasData(), what)
		_, has := r.Biz.Data.Fields["settlement_amount"]
		assert.False(t, has, "%s (order_status %s) carries settlement_amount", what, r.Data("order_status"))
	}

	paid := id("st")
	assert.Equal(t, "250", e.post(t, pathPay, payBody(paid, "250")).Data("settlement_amount"), "paid: the payment's amount")
	assert.Equal(t, "40", e.post(t, pathRefund, refundBody(paid, "1", "40")).Data("settlement_amount"), "refunded: the refund's amount")
	assert.Equal(t, "40", e.post(t, pathQuery, queryByClientSN(paid)).Data("settlement_amount"), "the order's last operation is the refund")
}
