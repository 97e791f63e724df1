package paysim

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

// An idle paysim writes nothing: the writer compares the core's change counter.
func TestStateWriterWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	srv, err := New(WithVirtualClock(time.Time{}), WithStateFile(path), WithStateInterval(time.Hour))
	require.NoError(t, err)
	defer srv.Close(context.Background())
	stat := func() os.FileInfo {
		st, err := os.Stat(path)
		require.NoError(t, err)
		return st
	}
	first := stat()
	srv.state.writeIfChanged()
	require.True(t, os.SameFile(first, stat()), "nothing changed, nothing written")

	_, err = srv.core.SeedPayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "m", ID: "p"}, Amount: 100})
	require.NoError(t, err)
	srv.state.writeIfChanged()
	second := stat()
	require.False(t, os.SameFile(first, second), "a change is written (a new file renamed over the old one)")
	srv.state.writeIfChanged()
	require.True(t, os.SameFile(second, stat()))

	// An answer still being sent when the copy was taken makes the next tick write again.
	v, err := srv.core.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "m", ID: "q"}, Amount: 100, Fingerprint: "f"})
	require.NoError(t, err)
	srv.state.writeIfChanged()
	third := stat()
	v.Answer.Keep([]byte("the answer"))
	srv.state.writeIfChanged()
	require.False(t, os.SameFile(third, stat()), "the kept answer is written")
	doc, err := ReadStateFile(path)
	require.NoError(t, err)
	require.Equal(t, "the answer", string(doc.Core.Payments[1].Answer))
}
