// Package fault names the network faults paysim can put between a client and its answer:
// late answers, no answer, a reset connection, a reverse proxy's error page, a cut or
// badly signed answer, and the worst one, a request that is booked and whose answer is
// then lost. It is only the grammar (the pipeline in sim/gateway applies them), so that
// scenario files, headers and the control plane all accept exactly the same names.
package fault

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is what the client sees.
type Kind string

const (
	Delay             Kind = "delay"               // the normal answer, late
	Timeout           Kind = "timeout"             // no answer until the client gives up; nothing booked
	Reset             Kind = "reset"               // TCP reset before any answer; nothing booked
	Empty             Kind = "empty"               // connection closed with no HTTP answer; nothing booked
	HTTP              Kind = "http"                // a reverse proxy's error status; nothing booked
	Truncate          Kind = "truncate"            // the signed answer cut in the middle
	BadSignature      Kind = "bad-signature"       // a well-formed answer whose signature does not verify
	CommitThenReset   Kind = "commit-then-reset"   // booked, then a TCP reset
	CommitThenTimeout Kind = "commit-then-timeout" // booked, then no answer
	CommitThenEmpty   Kind = "commit-then-empty"   // booked, then the connection closed
)

// Names lists every fault's name as it is written, for messages and documentation.
var Names = []string{"delay:<duration>", "timeout", "reset", "empty", "http:<status>", "truncate", "bad-signature",
	"commit-then-reset", "commit-then-timeout", "commit-then-empty"}

// MaxDelay bounds delay:<duration>: a longer one is a timeout, which has its own name.
const MaxDelay = 10 * time.Minute

// Fault is one parsed fault.
type Fault struct {
	Kind Kind
	// Delay is the wait of a delay fault.
	Delay time.Duration
	// Status is the HTTP status of an http fault (400–599).
	Status int
}

// Parse reads a fault's name: "delay:2s", "http:502", "commit-then-reset", ...
func Parse(s string) (Fault, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(s), ":")
	switch k := Kind(name); k {
	case Delay:
		d, err := time.ParseDuration(arg)
		switch {
		case !hasArg || err != nil:
			return Fault{}, fmt.Errorf("fault %q: delay takes a duration, e.g. delay:2s", s)
		case d <= 0 || d > MaxDelay:
			return Fault{}, fmt.Errorf("fault %q: the delay must be more than 0 and at most %s (use timeout for no answer)", s, MaxDelay)
		}
		return Fault{Kind: k, Delay: d}, nil
	case HTTP:
		n, err := strconv.Atoi(arg)
		if !hasArg || err != nil || n < 400 || n > 599 {
			return Fault{}, fmt.Errorf("fault %q: http takes an error status from 400 to 599, e.g. http:502", s)
		}
		return Fault{Kind: k, Status: n}, nil
	case Timeout, Reset, Empty, Truncate, BadSignature, CommitThenReset, CommitThenTimeout, CommitThenEmpty:
		if hasArg {
			return Fault{}, fmt.Errorf("fault %q: %s takes no argument", s, k)
		}
		return Fault{Kind: k}, nil
	}
	return Fault{}, fmt.Errorf("fault %q is not one of %s", s, strings.Join(Names, ", "))
}

// String is the fault's name as Parse reads it.
func (f Fault) String() string {
	switch f.Kind {
	case Delay:
		return string(f.Kind) + ":" + f.Delay.String()
	case HTTP:
		return string(f.Kind) + ":" + strconv.Itoa(f.Status)
	}
	return string(f.Kind)
}

// Serves reports whether the request is served (booked) before the fault: the delay,
// the cut and badly signed answers, and every commit-then fault. The others refuse to
// serve, so nothing changes.
func (f Fault) Serves() bool {
	switch f.Kind {
	case Timeout, Reset, Empty, HTTP:
		return false
	}
	return true
}

// Holds reports whether the fault keeps the connection open with no answer.
func (f Fault) Holds() bool { return f.Kind == Timeout || f.Kind == CommitThenTimeout }
