package rsakey

import (
	"crypto"
	"crypto/rsa"
	"math/big"
)

// DefaultVerifierCache bounds the verified requests a Verifier remembers: an entry is a
// 32-byte digest, so 4,096 of them cost about 200 KB.
const DefaultVerifierCache = 4096

// Verifier checks PKCS#1 v1.5 signatures and remembers the ones that verified: a client
// that retries or polls sends the same signed text with the same signature, and the
// answer cannot differ. Only successes are kept, by a digest of the key, the hash, the
// text and the signature, so a cached "yes" is exactly the question that was answered,
// and a failure is always checked afresh (and explained). It is safe for concurrent use.
type Verifier struct {
	cache *reuse[struct{}]
}

// NewVerifier remembers at most size verified signatures (DefaultVerifierCache when
// size < 1).
func NewVerifier(size int) *Verifier {
	if size < 1 {
		size = DefaultVerifierCache
	}
	return &Verifier{cache: newReuse[struct{}](size)}
}

// Verify checks sig over msg with key, as Verify does.
func (v *Verifier) Verify(key *rsa.PublicKey, hash crypto.Hash, msg, sig []byte) error {
	id := digestOf(key.N.Bytes(), big.NewInt(int64(key.E)).Bytes(), []byte{byte(hash)}, msg, sig)
	if _, ok := v.cache.get(id); ok {
		return nil
	}
	if err := Verify(key, hash, msg, sig); err != nil {
		return err
	}
	v.cache.put(id, struct{}{})
	return nil
}

// Stats says how often a verification was reused and how often made.
func (v *Verifier) Stats() (hits, misses int64) { return v.cache.stats() }
