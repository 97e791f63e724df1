package rsakey

import (
	"crypto"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A remembered "verified" answers exactly the question it was: the same text, signature,
// hash and key. Anything else is checked afresh, and failures are never remembered.
func TestVerifierReusesOnlyTheSameQuestion(t *testing.T) {
	key, other := testKey(t), testKey(t)
	msg := []byte(`{"req_seq_id":"202612011","sys_id":"6666000108840829"}`)
	sig, err := Sign(key, crypto.SHA256, msg)
	require.NoError(t, err)
	v := NewVerifier(8)

	tampered := append([]byte(nil), sig...)
	tampered[10] ^= 1
	cases := []struct {
		name   string
		verify func() error
		ok     bool
	}{
		{"first time", func() error { return v.Verify(&key.PublicKey, crypto.SHA256, msg, sig) }, true},
		{"again", func() error { return v.Verify(&key.PublicKey, crypto.SHA256, msg, sig) }, true},
		{"another key", func() error { return v.Verify(&other.PublicKey, crypto.SHA256, msg, sig) }, false},
		{"another hash", func() error { return v.Verify(&key.PublicKey, crypto.SHA1, msg, sig) }, false},
		{"another text", func() error { return v.Verify(&key.PublicKey, crypto.SHA256, append(msg, ' '), sig) }, false},
		{"a tampered signature", func() error { return v.Verify(&key.PublicKey, crypto.SHA256, msg, tampered) }, false},
		{"a tampered signature again", func() error { return v.Verify(&key.PublicKey, crypto.SHA256, msg, tampered) }, false},
	}
	for _, c := range cases {
		err := c.verify()
		if c.ok {
			assert.NoError(t, err, c.name)
		} else {
			assert.Error(t, err, c.name)
		}
	}
	hits, misses := v.Stats()
	assert.Equal(t, int64(1), hits, "only the repeat of the verified question is reused")
	assert.Equal(t, int64(6), misses)
	assert.Equal(t, 1, v.cache.len(), "failures are not remembered")
}

func TestVerifierIsBoundedAndConcurrent(t *testing.T) {
	key := testKey(t)
	msgs, sigs := make([][]byte, 6), make([][]byte, 6)
	for i := range msgs {
		msgs[i] = fmt.Appendf(nil, "request %d", i)
		sig, err := Sign(key, crypto.SHA256, msgs[i])
		require.NoError(t, err)
		sigs[i] = sig
	}
	v := NewVerifier(4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				j := (g + i) % len(msgs)
				assert.NoError(t, v.Verify(&key.PublicKey, crypto.SHA256, msgs[j], sigs[j]))
				bad := append([]byte(nil), sigs[j]...)
				bad[0] ^= 0x80
				assert.Error(t, v.Verify(&key.PublicKey, crypto.SHA256, msgs[j], bad))
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, v.cache.len(), 4)
}

func TestDigestSeparatesParts(t *testing.T) {
	assert.NotEqual(t, digestOf([]byte("ab"), []byte("c")), digestOf([]byte("a"), []byte("bc")))
	assert.Equal(t, digestOf([]byte("a"), nil), digestOf([]byte("a"), []byte{}))
}
