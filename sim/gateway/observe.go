package gateway

import (
	"time"

	"github.com/paysim/paysim/sim"
)

// Outcome is how a request ended, for the metrics. It refines the journal's outcome: the
// journal's refused is split by why (invalid, declined, error), the others are the same.
type Outcome uint8

const (
	// OutcomeServed is a business answer (the journal's served).
	OutcomeServed Outcome = iota
	// OutcomeBadSignature is an unknown caller or a signature that does not verify, refused in
	// strict mode (the journal's bad_signature).
	OutcomeBadSignature
	// OutcomeInvalid is a request the caller got wrong: a malformed envelope, a missing or bad
	// parameter, a merchant that is not the signer's, a method, path or X-Paysim header
	// paysim does not serve.
	OutcomeInvalid
	// OutcomeDeclined is a business refusal of a well-formed request: a wrong state, a short
	// balance, an id that matches nothing, a duplicate, or a scenario that refuses.
	OutcomeDeclined
	// OutcomeError is paysim failing to serve: its entity bound is full of unfinished payments,
	// or a bug (the log has the stack).
	OutcomeError
	// OutcomeFaulted is a request a network fault was applied to (the journal's fault).
	OutcomeFaulted
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"served", "bad_signature", "invalid", "declined", "error", "fault"}

// String is the outcome's name: its label in the metrics.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// Outcomes lists every outcome, in order.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Observation is one request once answered (or withheld by a fault).
type Observation struct {
	Provider string
	// Operation is the neutral operation of the request's Description: one of Operations,
	// or "" when the request was not decoded.
	Operation string
	Outcome   Outcome
	// Took is the real time from the request's arrival to its journal entry, a fault's
	// hold included.
	Took time.Duration
}

// Observer is told of every request the pipeline answers. Observe runs on the request's
// goroutine, after the answer is out: it must be cheap and safe for concurrent use.
type Observer interface {
	Observe(Observation)
}

// WithObserver tells o of every request (the metrics).
func WithObserver(o Observer) Option { return func(g *Gateway) { g.observer = o } }

// observe tells the gateway's observer how the request ended.
func (x *exchange[Q, A]) observe() {
	if obs := x.p.g.observer; obs != nil {
		obs.Observe(Observation{Provider: x.e.Provider, Operation: x.e.Operation, Outcome: x.outcome(), Took: x.e.Took})
	}
}

// outcome sorts a request once its journal entry is written, in the journal's order (a
// fault, then the signature, then any refusal): the pipeline's own facts first (its
// refusals, a request Decode or Admit refused), then the neutral kind of the endpoint's
// refusal (Meta.Kind).
func (x *exchange[Q, A]) outcome() Outcome {
	e := &x.e
	switch {
	case e.Fault != "":
		return OutcomeFaulted
	case x.refusedBy == RefuseUnknownCaller || x.refusedBy == RefuseBadSignature:
		return OutcomeBadSignature
	case x.refusedBy == RefuseInternal:
		return OutcomeError
	case x.refusedBy != 0, !x.decoded, x.inadmissible:
		// The method, body, path or an X-Paysim header; an envelope Decode refused; the
		// caller's fields Admit refused (the signer's merchant, the envelope's own).
		return OutcomeInvalid
	case e.Diagnostic == "":
		return OutcomeServed
	case e.Scenario != "":
		// The answer is about an entity's scenario: a refusal the scenario scripted (its
		// reject, a failed state) is a business answer, whatever its kind.
		return OutcomeDeclined
	}
	switch x.kind {
	case sim.ErrInvalidParams, sim.ErrUnknownMerchant, sim.ErrBadSignature:
		return OutcomeInvalid
	case sim.ErrSystem:
		return OutcomeError
	}
	return OutcomeDeclined
}
