package rsakey

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
)

// digest identifies what a cache entry is about: a hash of everything that decides the
// result, so the cache never holds the (possibly large) inputs themselves.
type digest = [sha256.Size]byte

// reuse is a bounded memory of results by digest, shared by the signer and the verifier:
// the oldest entry is forgotten first, so its memory is size × the value's size at most,
// and a burst of new entries cannot grow it. It is safe for concurrent use.
type reuse[V any] struct {
	size int

	mu   sync.Mutex
	m    map[digest]V
	ring []digest // insertion order
	next int

	hits, misses atomic.Int64
}

func newReuse[V any](size int) *reuse[V] {
	// The map grows as signatures are made: most runs sign far fewer than size.
	return &reuse[V]{size: size, m: map[digest]V{}}
}

// get returns the value kept for id, counting a hit or a miss.
func (r *reuse[V]) get(id digest) (V, bool) {
	r.mu.Lock()
	v, ok := r.m[id]
	r.mu.Unlock()
	if ok {
		r.hits.Add(1)
	} else {
		r.misses.Add(1)
	}
	return v, ok
}

// put keeps v for id; when two goroutines made the same value at once the first is kept.
func (r *reuse[V]) put(id digest, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[id]; ok {
		return
	}
	if len(r.ring) < r.size {
		r.ring = append(r.ring, id)
	} else {
		delete(r.m, r.ring[r.next])
		r.ring[r.next] = id
		r.next = (r.next + 1) % r.size
	}
	r.m[id] = v
}

func (r *reuse[V]) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// stats says how often a result was reused and how often made.
func (r *reuse[V]) stats() (hits, misses int64) { return r.hits.Load(), r.misses.Load() }

// digestOf hashes parts, each prefixed with its length so that no two different lists of
// parts give the same input.
func digestOf(parts ...[]byte) digest {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		l := uint64(len(p))
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	var id digest
	h.Sum(id[:0])
	return id
}

// Counts is how often a provider's signatures were made and reused, for its metrics:
// made ones cost an RSA operation each, reused ones a hash.
type Counts struct {
	SignReused, SignMade     int64
	VerifyReused, VerifyMade int64
}

// CountsOf reads the counts of a signer and a verifier; either may be nil.
func CountsOf(s *Signer, v *Verifier) Counts {
	var c Counts
	if s != nil {
		c.SignReused, c.SignMade = s.Stats()
	}
	if v != nil {
		c.VerifyReused, c.VerifyMade = v.Stats()
	}
	return c
}
