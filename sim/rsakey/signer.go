package rsakey

import (
	"crypto"
	"crypto/rsa"
)

// DefaultSignerCache bounds the signatures a Signer remembers: 4,096 of them cost about
// 2 MB with a 2048-bit key.
const DefaultSignerCache = 4096

// Signer signs with one key and reuses the signature of bytes it has signed before.
// PKCS#1 v1.5 is deterministic, so the same bytes always give the same signature, and
// polling clients ask for the same answer again and again: a repeat costs a hash instead
// of an RSA operation. It is safe for concurrent use.
type Signer struct {
	key   *rsa.PrivateKey
	cache *reuse[[]byte]
}

// NewSigner signs with key, remembering at most size signatures (DefaultSignerCache when
// size < 1).
func NewSigner(key *rsa.PrivateKey, size int) *Signer {
	if size < 1 {
		size = DefaultSignerCache
	}
	return &Signer{key: key, cache: newReuse[[]byte](size)}
}

// Key is the private key signed with.
func (s *Signer) Key() *rsa.PrivateKey { return s.key }

// Sign signs msg over hash, as Sign does, reusing a signature it made before.
func (s *Signer) Sign(hash crypto.Hash, msg []byte) ([]byte, error) {
	id := digestOf([]byte{byte(hash)}, msg)
	if sig, ok := s.cache.get(id); ok {
		return sig, nil
	}
	sig, err := Sign(s.key, hash, msg)
	if err != nil {
		return nil, err
	}
	s.cache.put(id, sig)
	return sig, nil
}

// Stats says how often a signature was reused and how often made.
func (s *Signer) Stats() (hits, misses int64) { return s.cache.stats() }
