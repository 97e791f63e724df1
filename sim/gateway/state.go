package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/fault"
)

// Stateful is implemented by a provider that holds state of its own besides the core's
// (Shouqianba's activated terminals and their keys), and by the gateway for its armed
// faults. A state file keeps each one's Saved under its name, and hands Data back to
// RestoreState when paysim starts again; RestoreState refuses data it cannot take,
// changing nothing. A change of that state must call the core's Touch, so that it is
// saved.
type Stateful interface {
	SaveState() (Saved, error)
	RestoreState(data json.RawMessage) error
}

// Saved is one part's state as a state file holds it.
type Saved struct {
	// Summary says what Data holds in a few lines, for `paysim state inspect`; it never
	// shows a secret (a key, a token).
	Summary []string `json:"summary,omitempty"`
	// Data is the part's own document, read back only by the part itself.
	Data json.RawMessage `json:"data"`
}

// DecodeState decodes data into v strictly: an unknown member or trailing data is an
// error, since the file was written by the same code that reads it.
func DecodeState(data json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the document")
	}
	return nil
}

// faultsState is the gateway's part of a state file: the armed faults and the position
// of the generator that draws a fault's probability.
type faultsState struct {
	Seq    int                `json:"seq"`
	PCG    []byte             `json:"pcg"`
	Faults []armedFaultRecord `json:"faults"`
}

type armedFaultRecord struct {
	ID          int       `json:"id"`
	Fault       string    `json:"fault"`
	Provider    string    `json:"provider,omitempty"`
	Operation   string    `json:"operation,omitempty"`
	Remaining   int       `json:"remaining"`
	Probability float64   `json:"probability,omitempty"`
	Expires     time.Time `json:"expires,omitzero"`
}

// SaveState saves the armed faults.
func (g *Gateway) SaveState() (Saved, error) {
	fs := g.faults
	fs.mu.Lock()
	fs.pruneLocked()
	st := faultsState{Seq: fs.seq, Faults: make([]armedFaultRecord, len(fs.list))}
	pcg, err := fs.src.MarshalBinary()
	st.PCG = pcg
	for i, a := range fs.list {
		st.Faults[i] = armedFaultRecord{ID: a.ID, Fault: a.Fault, Provider: a.Provider, Operation: a.Operation,
			Remaining: a.Remaining, Probability: a.Probability, Expires: a.Expires}
	}
	fs.mu.Unlock()
	if err != nil {
		return Saved{}, err
	}
	data, err := json.Marshal(st)
	if err != nil {
		return Saved{}, err
	}
	summary := []string{fmt.Sprintf("%d armed fault(s)", len(st.Faults))}
	for _, a := range st.Faults {
		summary = append(summary, describeArmed(a))
	}
	return Saved{Summary: summary, Data: data}, nil
}

func describeArmed(a armedFaultRecord) string {
	parts := []string{fmt.Sprintf("#%d %s", a.ID, a.Fault)}
	if a.Provider != "" {
		parts = append(parts, "provider "+a.Provider)
	}
	if a.Operation != "" {
		parts = append(parts, "operation "+a.Operation)
	}
	parts = append(parts, fmt.Sprintf("%d use(s) left", a.Remaining))
	if a.Probability > 0 && a.Probability < 1 {
		parts = append(parts, fmt.Sprintf("probability %v", a.Probability))
	}
	if !a.Expires.IsZero() {
		parts = append(parts, "until "+a.Expires.Format(time.RFC3339))
	}
	return strings.Join(parts, ", ")
}

// RestoreState arms the saved faults again; it refuses a gateway that has faults armed.
func (g *Gateway) RestoreState(data json.RawMessage) error {
	var st faultsState
	if err := DecodeState(data, &st); err != nil {
		return fmt.Errorf("armed faults: %v", err)
	}
	src := new(rand.PCG)
	if err := src.UnmarshalBinary(st.PCG); err != nil {
		return fmt.Errorf("armed faults: generator: %v", err)
	}
	list := make([]*ArmedFault, 0, len(st.Faults))
	for _, r := range st.Faults {
		f, err := fault.Parse(r.Fault)
		switch {
		case err != nil:
			return fmt.Errorf("armed fault #%d: %v", r.ID, err)
		case r.ID < 1 || r.ID > st.Seq:
			return fmt.Errorf("armed fault #%d: the id is beyond the last one armed, #%d", r.ID, st.Seq)
		case r.Remaining < 0 || r.Remaining > MaxFaultTimes:
			return fmt.Errorf("armed fault #%d: %d uses left is out of range", r.ID, r.Remaining)
		case r.Probability < 0 || r.Probability > 1:
			return fmt.Errorf("armed fault #%d: probability %v is out of range", r.ID, r.Probability)
		case r.Operation != "" && !slices.Contains(Operations, r.Operation):
			return fmt.Errorf("armed fault #%d: operation %q is not one of %s", r.ID, r.Operation, strings.Join(Operations, ", "))
		}
		exp := r.Expires
		if !exp.IsZero() {
			exp = exp.In(sim.Beijing)
		}
		list = append(list, &ArmedFault{ID: r.ID, Fault: f.String(), Provider: r.Provider, Operation: r.Operation,
			Remaining: r.Remaining, Probability: r.Probability, Expires: exp, fault: f})
	}
	fs := g.faults
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.list) > 0 {
		return fmt.Errorf("armed faults: this gateway has faults armed already; a state is restored into a new one")
	}
	fs.list, fs.seq = list, st.Seq
	*fs.src = *src
	return nil
}
