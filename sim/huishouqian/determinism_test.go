package huishouqian_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

// script is a fixed request sequence touching every method and generated value: post
// sends one signed request and returns the answer's body, advance moves the virtual
// clock. The conformance suite runs it for the same-seed-same-bytes invariant.
func script(t testing.TB, post func(method string, biz map[string]any) []byte, advance func(time.Duration)) []string {
	t.Helper()
	var bodies []string
	send := func(method string, biz map[string]any) { bodies = append(bodies, string(post(method, biz))) }
	send(mainSwept, mainSweptBiz("D-MS1", "300", "WECHAT_JSAPI"))
	send(mainSwept, mainSweptBiz("D-MS2", "100", "ALI_JSAPI"))
	send(mainSwept, mainSweptBiz("D-MS3", "100", "DYNAMIC_WECHAT"))
	send(query, queryBiz("D-MS1"))
	send(beSwept, barcodeBiz("D-BS1", "101", "ALI_BARCODEPAY", "284567890123456789"))
	send(query, queryBiz("D-BS1"))
	send(query, queryBiz("D-BS1"))
	send(refund, refundBiz("D-RF1", "D-MS1", "100"))
	send(refundQuery, refundQueryBiz("D-RF1"))
	advance(31 * time.Second)
	send(refundQuery, refundQueryBiz("D-RF1"))
	send(refund, refundBiz("D-RF2", "D-MS1", "500"))
	send(refund, refundBiz("D-RF3", "D-MS2", "10"))
	advance(15 * time.Minute)
	send(query, queryBiz("D-MS2"))
	return bodies
}

// A full reset replays the same ids as a fresh start. (That the same seed gives the same
// bytes is the conformance suite's.)
func TestResetReplaysFreshIDs(t *testing.T) {
	e := newEnv(t, sim.WithSeed(42))
	script(t, func(method string, biz map[string]any) []byte { return e.post(t, method, biz).Body }, func(d time.Duration) {
		_, err := e.clock.Advance(d)
		require.NoError(t, err)
	})
	e.core.Reset("")
	first := e.post(t, mainSwept, mainSweptBiz("D-MS1", "300", "WECHAT_JSAPI"))
	fresh := newEnv(t, sim.WithSeed(42))
	_, err := fresh.clock.Advance(31*time.Second + 15*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, string(fresh.post(t, mainSwept, mainSweptBiz("D-MS1", "300", "WECHAT_JSAPI")).Body), string(first.Body))
}
