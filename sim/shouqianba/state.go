package shouqianba

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// savedState is Shouqianba's part of a state file: every terminal with its keys (an
// activated terminal exists nowhere else, and a checkin rotates the test terminal's key
// too) and, per order, the operation a query counts for (inflight).
type savedState struct {
	Terminals []savedTerminal `json:"terminals"`
	Refunds   []savedRefund   `json:"latest_refunds,omitempty"`
	Closing   []sim.Key       `json:"closing,omitempty"`
}

type savedTerminal struct {
	SN           string `json:"terminal_sn"`
	Key          string `json:"terminal_key"`
	PreviousKey  string `json:"previous_key,omitempty"`
	DeviceID     string `json:"device_id,omitempty"`
	ClientSN     string `json:"client_sn,omitempty"`
	Name         string `json:"name,omitempty"`
	MerchantSN   string `json:"merchant_sn"`
	MerchantName string `json:"merchant_name,omitempty"`
	StoreSN      string `json:"store_sn"`
	StoreName    string `json:"store_name,omitempty"`
}

type savedRefund struct {
	Order sim.Key `json:"order"`
	Alias string  `json:"refund"`
}

var _ gateway.Stateful = (*Provider)(nil)

// SaveState saves the terminals and the orders' operations in flight.
func (p *Provider) SaveState() (gateway.Saved, error) {
	var st savedState
	r := p.terminals
	r.mu.Lock()
	for _, sn := range slices.Sorted(maps.Keys(r.terminals)) {
		st.Terminals = append(st.Terminals, savedTerminal(r.terminals[sn]))
	}
	r.mu.Unlock()
	f := p.inflight
	f.mu.Lock()
	for k, alias := range f.refunds {
		st.Refunds = append(st.Refunds, savedRefund{Order: k, Alias: alias})
	}
	for k := range f.closes {
		st.Closing = append(st.Closing, k)
	}
	f.mu.Unlock()
	slices.SortFunc(st.Refunds, func(a, b savedRefund) int { return compareKeys(a.Order, b.Order) })
	slices.SortFunc(st.Closing, compareKeys)
	data, err := json.Marshal(st)
	if err != nil {
		return gateway.Saved{}, err
	}
	summary := []string{fmt.Sprintf("%d terminal(s) (keys not shown)", len(st.Terminals))}
	for _, t := range st.Terminals {
		line := fmt.Sprintf("%s merchant %s store %s", t.SN, t.MerchantSN, t.StoreSN)
		if t.Name != "" {
			line += fmt.Sprintf(" %q", t.Name)
		}
		if t.DeviceID != "" {
			line += " device " + t.DeviceID
		}
		summary = append(summary, line)
	}
	if n := len(st.Refunds) + len(st.Closing); n > 0 {
		summary = append(summary, fmt.Sprintf("%d order(s) with a refund or cancel their query reports", n))
	}
	return gateway.Saved{Summary: summary, Data: data}, nil
}

func compareKeys(a, b sim.Key) int {
	for _, c := range [][2]string{{a.Provider, b.Provider}, {a.Merchant, b.Merchant}, {a.ID, b.ID}} {
		if c[0] != c[1] {
			if c[0] < c[1] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// RestoreState puts the saved terminals back over those paysim.yaml and the test
// identity give (a saved terminal carries the key its last checkin gave it), and the
// orders' operations in flight.
func (p *Provider) RestoreState(data json.RawMessage) error {
	var st savedState
	if err := gateway.DecodeState(data, &st); err != nil {
		return fmt.Errorf("shouqianba: %v", err)
	}
	terminals := map[string]Terminal{}
	for i, t := range st.Terminals {
		switch {
		case t.SN == "" || t.Key == "":
			return fmt.Errorf("shouqianba: terminal %d: terminal_sn and terminal_key are required", i)
		case terminals[t.SN].SN != "":
			return fmt.Errorf("shouqianba: terminal %s is listed twice", t.SN)
		}
		terminals[t.SN] = Terminal(t)
	}
	refunds := map[sim.Key]string{}
	for _, x := range st.Refunds {
		refunds[x.Order] = x.Alias
	}
	closes := map[sim.Key]bool{}
	for _, k := range st.Closing {
		closes[k] = true
	}
	r := p.terminals
	r.mu.Lock()
	maps.Copy(r.terminals, terminals)
	r.mu.Unlock()
	f := p.inflight
	f.mu.Lock()
	f.refunds, f.closes = refunds, closes
	f.mu.Unlock()
	return nil
}

// changed tells the core the terminals changed, so that the state file is written again.
func (r *registry) changed() {
	if r.touch != nil {
		r.touch()
	}
}

func (f *inflight) changed() {
	if f.touch != nil {
		f.touch()
	}
}
