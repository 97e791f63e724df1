package shouqianba

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func newStateProvider(t *testing.T) (*Provider, *sim.Simulator) {
	t.Helper()
	core := sim.New()
	p, err := New(core, os.DirFS("../../keys"))
	require.NoError(t, err)
	return p, core
}

// Activated terminals with their keys, a checkin's rotated key and the orders' operations
// in flight come back from a state file; its summary shows no key.
func TestProviderStateRoundTrip(t *testing.T) {
	a, core := newStateProvider(t)
	before := core.Changes()
	require.True(t, a.terminals.add(Terminal{SN: "100000330000000099", Key: "k-99", DeviceID: "POS-9", Name: "till",
		MerchantSN: TestMerchantSN, StoreSN: TestStoreSN}))
	_, ok := a.terminals.rotate(TestTerminalSN, "rotated-key", "POS-1")
	require.True(t, ok)
	order := sim.Key{Provider: Name, Merchant: TestMerchantSN, ID: "o1"}
	a.inflight.refundStarted(order, "r-1")
	a.inflight.closeStarted(sim.Key{Provider: Name, Merchant: TestMerchantSN, ID: "o2"})
	assert.Greater(t, core.Changes(), before, "every change is recorded for the state writer")
	saved, err := a.SaveState()
	require.NoError(t, err)
	summary := strings.Join(saved.Summary, "\n")
	assert.Contains(t, summary, "2 terminal(s) (keys not shown)")
	assert.Contains(t, summary, `100000330000000099 merchant 1680000330001 store 1580000330001 "till" device POS-9`)
	for _, secret := range []string{"k-99", "rotated-key", TestTerminalKey} {
		assert.NotContains(t, summary, secret)
	}

	b, _ := newStateProvider(t)
	require.NoError(t, b.RestoreState(saved.Data))
	got, ok := b.terminals.terminal("100000330000000099")
	require.True(t, ok)
	assert.Equal(t, "k-99", got.Key)
	test, _ := b.terminals.terminal(TestTerminalSN)
	assert.Equal(t, []string{"rotated-key", TestTerminalKey}, test.keys(), "the checkin's key, and the one before it")
	alias, ok := b.inflight.latestRefund(order)
	assert.True(t, ok)
	assert.Equal(t, "r-1", alias)
	assert.True(t, b.inflight.closing(sim.Key{Provider: Name, Merchant: TestMerchantSN, ID: "o2"}))
	again, err := b.SaveState()
	require.NoError(t, err)
	assert.JSONEq(t, string(saved.Data), string(again.Data))

	for name, data := range map[string]string{
		"no key":         `{"terminals":[{"terminal_sn":"1","terminal_key":"","merchant_sn":"m","store_sn":"s"}]}`,
		"twice":          `{"terminals":[{"terminal_sn":"1","terminal_key":"k","merchant_sn":"m","store_sn":"s"},{"terminal_sn":"1","terminal_key":"k","merchant_sn":"m","store_sn":"s"}]}`,
		"unknown member": `{"terminals":[],"vendors":[]}`,
		"not json":       `[`,
	} {
		c, _ := newStateProvider(t)
		assert.Error(t, c.RestoreState(json.RawMessage(data)), name)
	}
}
