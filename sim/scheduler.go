package sim

import (
	"container/heap"
	"sync"
	"time"
)

// scheduler runs short tasks when the simulator's clock reaches their time: settling an
// entity whose deadline passed, making a notification attempt. Waiting tasks are entries
// in a heap, not goroutines. On the real clock one goroutine sleeps until the earliest
// task; on a virtual clock nothing runs by itself, and advancing the clock runs what became
// due before the advance returns.
type scheduler struct {
	clock Clock

	mu      sync.Mutex
	tasks   taskHeap
	seq     uint64
	running bool          // the real-clock loop has been started
	wake    chan struct{} // nudges the real-clock loop when an earlier task arrives
	stop    chan struct{}
	done    chan struct{}
	closed  bool
	// due serialises runs of due tasks, so a task runs exactly once even when the clock is
	// advanced from several goroutines at once.
	due sync.Mutex
}

type task struct {
	at  time.Time
	seq uint64 // ties broken by scheduling order, for determinism
	run func(now time.Time)
}

type taskHeap []*task

func (h taskHeap) Len() int { return len(h) }
func (h taskHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h taskHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)   { *h = append(*h, x.(*task)) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

func newScheduler(c Clock) *scheduler {
	return &scheduler{clock: c, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// schedule runs fn at (or as soon as possible after) at.
func (s *scheduler) schedule(at time.Time, fn func(now time.Time)) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.seq++
	heap.Push(&s.tasks, &task{at: at, seq: s.seq, run: fn})
	_, virtual := s.clock.(*VirtualClock)
	if !virtual && !s.running {
		s.running = true
		go s.loop()
	}
	s.mu.Unlock()
	if virtual {
		// A task that is already due when it is scheduled (a notification attempt that
		// ended after the clock was advanced past its retry time) runs now, not at the
		// next advance, which may never come. Not here: the caller may hold the locks the
		// task takes.
		if now := s.clock.Now(); !at.After(now) {
			go s.runDue(now)
		}
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pending is the number of tasks waiting.
func (s *scheduler) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

// runDue runs every task due at now, in time order, including tasks that running ones
// schedule for no later than now.
func (s *scheduler) runDue(now time.Time) {
	s.due.Lock()
	defer s.due.Unlock()
	for {
		s.mu.Lock()
		if len(s.tasks) == 0 || s.tasks[0].at.After(now) {
			s.mu.Unlock()
			return
		}
		t := heap.Pop(&s.tasks).(*task)
		s.mu.Unlock()
		t.run(now)
	}
}

// loop serves the real clock: sleep until the earliest task, run what is due, repeat.
func (s *scheduler) loop() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		wait := time.Hour
		if len(s.tasks) > 0 {
			wait = max(s.tasks[0].at.Sub(s.clock.Now()), 0)
		}
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-timer.C:
		}
		s.runDue(s.clock.Now())
	}
}

// close stops the loop; waiting tasks are dropped (their owners report them).
func (s *scheduler) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	running := s.running
	s.mu.Unlock()
	close(s.stop)
	if running {
		<-s.done
	}
}
