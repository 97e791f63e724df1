package rsakey

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	return key
}

// A reused signature is the very bytes a fresh signing gives, so reuse cannot change
// what a client verifies.
func TestSignerReuseIsExact(t *testing.T) {
	key := testKey(t)
	s := NewSigner(key, 8)
	for _, hash := range []crypto.Hash{crypto.SHA256, crypto.SHA1} {
		msg := []byte(`{"resp_code":"00000000","trans_stat":"S"}`)
		first, err := s.Sign(hash, msg)
		require.NoError(t, err)
		again, err := s.Sign(hash, msg)
		require.NoError(t, err)
		fresh, err := Sign(key, hash, msg)
		require.NoError(t, err)
		assert.Equal(t, fresh, first)
		assert.Equal(t, fresh, again)
		require.NoError(t, Verify(&key.PublicKey, hash, msg, again))
	}
	hits, misses := s.Stats()
	assert.Equal(t, int64(2), hits)
	assert.Equal(t, int64(2), misses, "the same bytes over another hash are another signature")
}

func TestSignerIsBounded(t *testing.T) {
	key := testKey(t)
	s := NewSigner(key, 3)
	for i := range 10 {
		_, err := s.Sign(crypto.SHA256, fmt.Appendf(nil, "answer %d", i))
		require.NoError(t, err)
	}
	assert.Equal(t, 3, s.cache.len())
	_, err := s.Sign(crypto.SHA256, []byte("answer 9"))
	require.NoError(t, err)
	_, err = s.Sign(crypto.SHA256, []byte("answer 0"))
	require.NoError(t, err)
	hits, misses := s.Stats()
	assert.Equal(t, int64(1), hits, "the newest is kept")
	assert.Equal(t, int64(11), misses, "the oldest was forgotten")
}

func TestSignerConcurrent(t *testing.T) {
	key := testKey(t)
	s := NewSigner(key, 4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				msg := fmt.Appendf(nil, "m%d", (g+i)%6)
				sig, err := s.Sign(crypto.SHA256, msg)
				if assert.NoError(t, err) {
					assert.NoError(t, Verify(&key.PublicKey, crypto.SHA256, msg, sig))
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, s.cache.len(), 4)
}

// BenchmarkSignRepeated is a poll answered again: the reuse against a fresh RSA signature.
func BenchmarkSignRepeated(b *testing.B) {
	key := testKey(b)
	msg := []byte(`{"data":{"resp_code":"00000000","trans_stat":"P"}}`)
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			if _, err := Sign(key, crypto.SHA256, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reused", func(b *testing.B) {
		s := NewSigner(key, 0)
		for b.Loop() {
			if _, err := s.Sign(crypto.SHA256, msg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
