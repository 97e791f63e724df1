package huifu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/rsakey"
)

// A poll repeats the same signed request and gets the same signed answer: the second
// costs no RSA operation, and the client still verifies it with the platform key.
func TestRepeatedPollReusesSignatures(t *testing.T) {
	e := newEnv(t)
	order := id("reuse")
	e.seedPaid(t, order, "1.00")
	before := e.hf.Signatures()
	first := e.post(t, pathQuery, queryData(order))
	again := e.post(t, pathQuery, queryData(order))
	require.Equal(t, "S", first.Data["trans_stat"])
	assert.Equal(t, first.Body, again.Body, "the same state gives the same bytes")
	got := e.hf.Signatures()
	assert.Equal(t, rsakey.Counts{
		SignReused: before.SignReused + 1, SignMade: before.SignMade + 1,
		VerifyReused: before.VerifyReused + 1, VerifyMade: before.VerifyMade + 1,
	}, got)
}
