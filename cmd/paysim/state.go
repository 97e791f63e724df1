package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
)

// stateFlags are --state and --state-interval.
type stateFlags struct {
	path     string
	interval time.Duration
}

func (f *stateFlags) register(c *config, getenv func(string) string) {
	def := getenv("PAYSIM_STATE")
	c.fs.StringVar(&f.path, "state", def, "file paysim keeps its state in: restored at start, written when changed and at shutdown (PAYSIM_STATE; default: none, nothing survives a restart)")
	c.fs.DurationVar(&f.interval, "state-interval", envDuration(getenv, "PAYSIM_STATE_INTERVAL", paysim.DefaultStateInterval, c.envErrs, "state-interval"),
		"how often a changed state is written to --state (PAYSIM_STATE_INTERVAL)")
}

func (f *stateFlags) options() ([]paysim.Option, error) {
	if f.interval <= 0 {
		return nil, fmt.Errorf("--state-interval %s must be positive", f.interval)
	}
	if f.path == "" {
		return nil, nil
	}
	return []paysim.Option{paysim.WithStateFile(f.path), paysim.WithStateInterval(f.interval)}, nil
}

// stateCmd implements `paysim state inspect FILE`.
func stateCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "inspect" {
		fmt.Fprintln(stderr, "usage: paysim state inspect FILE   (FILE: a file written by paysim --state)")
		return 2
	}
	doc, err := paysim.ReadStateFile(args[1])
	if err != nil {
		fmt.Fprintln(stderr, "paysim:", err)
		return 1
	}
	printState(stdout, args[1], doc)
	return 0
}

// maxListed bounds the notifications listed one by one.
const maxListed = 20

// printState writes a human summary of a state file. It shows no key: terminal keys are
// in the file, and the summary is meant to be pasted into an issue.
func printState(w io.Writer, path string, doc *paysim.StateDocument) {
	c := doc.Core
	fmt.Fprintf(w, "state file %s\n", path)
	fmt.Fprintf(w, "  format:   %s version %d, written by paysim %s\n", doc.Format, doc.Version, doc.Paysim)
	fmt.Fprintf(w, "  saved at: %s\n", doc.SavedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "  clock:    %s, at %s; seed %d; %d serials drawn\n", c.Clock.Mode, c.Clock.Now.Format(time.RFC3339), c.Seed, c.Generator.Serial)

	type group struct {
		provider string
		kind     sim.Operation
		status   sim.Status
	}
	counts := map[group]int{}
	total := 0
	count := func(provider string, kind sim.Operation, m sim.MachineState) {
		counts[group{provider, kind, m.Status}]++
		total++
	}
	for _, p := range c.Payments {
		count(p.Provider, sim.OpPayment, p.Machine)
		for _, r := range p.Refunds {
			count(r.Provider, sim.OpRefund, r.Machine)
		}
		for _, x := range p.Closes {
			count(x.Provider, sim.OpClose, x.Machine)
		}
	}
	fmt.Fprintf(w, "  entities: %d (%d payments), %d evicted so far\n", total, len(c.Payments), c.Ledger.Evictions)
	groups := slices.SortedFunc(maps.Keys(counts), func(a, b group) int {
		return cmp.Or(cmp.Compare(a.provider, b.provider), cmp.Compare(a.kind, b.kind), cmp.Compare(a.status, b.status))
	})
	for _, g := range groups {
		fmt.Fprintf(w, "    %-12s %-8s %-11s %d\n", g.provider, g.kind, g.status, counts[g])
	}

	byState := map[string]int{}
	var pending []sim.NotificationState
	for _, n := range c.Outbox.Notifications {
		byState[n.State]++
		if n.State == sim.NotifyPending {
			pending = append(pending, n)
		}
	}
	var states []string
	for _, st := range slices.Sorted(maps.Keys(byState)) {
		states = append(states, fmt.Sprintf("%d %s", byState[st], st))
	}
	fmt.Fprintf(w, "  notifications: %d", len(c.Outbox.Notifications))
	if len(states) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(states, ", "))
	}
	fmt.Fprintln(w)
	for i, n := range pending {
		if i == maxListed {
			fmt.Fprintf(w, "    … and %d more pending\n", len(pending)-maxListed)
			break
		}
		fmt.Fprintf(w, "    pending %s: %s %s %s to %s, next attempt at %s, %d of %d attempts made\n", n.ID, n.Provider, n.Operation, n.Entity.ID,
			n.URL, n.NextAt.Format(time.RFC3339), len(n.Attempts), n.MaxTries)
	}

	fmt.Fprintf(w, "  armed scenarios: %d\n", len(c.Armed))
	for _, a := range c.Armed {
		line := fmt.Sprintf("    #%d %s (%s", a.ID, a.Scenario, a.Operation)
		if a.Provider != "" {
			line += ", provider " + a.Provider
		}
		line += fmt.Sprintf(", %d use(s) left", a.Remaining)
		if !a.Expires.IsZero() {
			line += ", until " + a.Expires.Format(time.RFC3339)
		}
		fmt.Fprintln(w, line+")")
	}
	printSummary(w, "gateway", doc.Gateway.Summary)
	for _, name := range slices.Sorted(maps.Keys(doc.Providers)) {
		printSummary(w, name, doc.Providers[name].Summary)
	}
}

func printSummary(w io.Writer, name string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "  %s: %s\n", name, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintf(w, "    %s\n", l)
	}
}
