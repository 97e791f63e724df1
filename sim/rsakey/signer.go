package rsakey

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// DefaultSignerCache bounds the signatures a Signer remembers: 4,096 of them cost about
// 2 MB with a 2048-bit key.
const DefaultSignerCache = 4096

// Signer signs with one key and reuses the signature of bytes it has signed before.
// PKCS#1 v1.5 is deterministic, so the same bytes always give the same signature, and
// polling clients ask for the same answer again and again: a repeat costs a hash instead
// of an RSA operation. It is safe for concurrent use.
type Signer struct {
	key  *rsa.PrivateKey
	size int

	mu    sync.Mutex
	cache map[[sha256.Size]byte][]byte
	ring  [][sha256.Size]byte // insertion order: the oldest is forgotten first
	next  int

	hits, misses atomic.Int64
}

// NewSigner signs with key, remembering at most size signatures (DefaultSignerCache when
// size < 1).
func NewSigner(key *rsa.PrivateKey, size int) *Signer {
	if size < 1 {
		size = DefaultSignerCache
	}
	return &Signer{key: key, size: size, cache: make(map[[sha256.Size]byte][]byte, size)}
}

// Key is the private key signed with.
func (s *Signer) Key() *rsa.PrivateKey { return s.key }

// Sign signs msg over hash, as Sign does, reusing a signature it made before.
func (s *Signer) Sign(hash crypto.Hash, msg []byte) ([]byte, error) {
	id := cacheKey(hash, msg)
	s.mu.Lock()
	sig, ok := s.cache[id]
	s.mu.Unlock()
	if ok {
		s.hits.Add(1)
		return sig, nil
	}
	s.misses.Add(1)
	sig, err := Sign(s.key, hash, msg)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cache[id]; ok { // signed twice at once: keep the first
		return sig, nil
	}
	if len(s.ring) < s.size {
		s.ring = append(s.ring, id)
	} else {
		delete(s.cache, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % s.size
	}
	s.cache[id] = sig
	return sig, nil
}

// Stats says how often a signature was reused and how often made.
func (s *Signer) Stats() (hits, misses int64) { return s.hits.Load(), s.misses.Load() }

// cacheKey identifies the signed bytes and the hash they are signed over.
func cacheKey(hash crypto.Hash, msg []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte{byte(hash)})
	h.Write(msg)
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}
