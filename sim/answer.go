package sim

import (
	"context"
	"sync"
)

// StoredAnswer is the answer sent to the request that created an entity, kept so that
// an identical retry gets the very same bytes. It is created with the entity, before the
// answer exists: a retry that arrives while the first request is still being answered
// waits for its bytes instead of rendering its own.
type StoredAnswer struct {
	once  sync.Once
	done  chan struct{}
	bytes []byte
}

func newStoredAnswer() *StoredAnswer { return &StoredAnswer{done: make(chan struct{})} }

// Keep stores the bytes sent to the creating request. Only the first call counts; nil
// says the answer could not be rendered, and retries then render their own.
func (a *StoredAnswer) Keep(b []byte) {
	a.once.Do(func() {
		a.bytes = b
		close(a.done)
	})
}

// Wait returns the stored bytes once the creating request has been answered, or nil if
// ctx ends first or no bytes were kept.
func (a *StoredAnswer) Wait(ctx context.Context) []byte {
	select {
	case <-a.done:
		return a.bytes
	case <-ctx.Done():
		return nil
	}
}

// Stored returns the bytes without waiting (nil while the first answer is not out).
func (a *StoredAnswer) Stored() []byte {
	select {
	case <-a.done:
		return a.bytes
	default:
		return nil
	}
}
