package sim_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"gopkg.in/yaml.v3"

	"github.com/paysim/paysim/sim"
)

var fuzzProviders = []string{"huifu", "huishouqian", "shouqianba", "umpay"}

// FuzzParseScenario feeds arbitrary files to the scenario parser. Whatever comes in: no
// panic; either a scenario or problems, never both nor neither; every problem names the
// file and a line, but for an empty file and YAML that does not say where it broke; and a
// scenario that parses, written back as YAML, parses again to the same scenario.
func FuzzParseScenario(f *testing.F) {
	shipped, err := filepath.Glob(filepath.Join("..", "scenarios", "*.yaml"))
	if err != nil || len(shipped) == 0 {
		f.Fatalf("no shipped scenarios (%v)", err)
	}
	for _, file := range shipped {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{``, `#`, `[]`, `x`, `version: 1`, "version: 1\nname: a\noperation: refund\nreject: {error: not_found}",
		"version: 1\nname: a\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nfault: delay:2s\nstates: [{name: s, status: success, notify: false}]",
		"version: 1\nname: a\noperation: payment\nproviders: [huifu, umpay]\nwhen: {amount: \"0.03\", id_prefix: x}\nstates:\n  - {name: a, status: processing, until: {queries: 1, elapsed: 1m30s}, next: b, fault: http:502}\n  - {name: b, status: success, duplicate_notify: true, fields: {huifu: {bank_message: 余额不足}}}",
		"version: 1\nname: a\noperation: close\nstates: [{name: a, status: closed}]",
		"version: 1\nname: a\noperation: refund\nreject: {error: insufficient_refundable_balance, fields: {umpay: {respMsg: x}}}",
		"version: 1\nname: a\noperation: payment\nstates: [{name: a, status: processing, until: {queries: 1}, next: a}]",
		"version: 2\nname: A B\noperation: pay\nwhen: 1\nstates: {}\nreject: []\nversion: 1\nunknown: 1",
		"version: &v 1\nname: *v\noperation: payment\nstates: [{name: *v, status: success}]",
		"version: 1\nname: a\noperation: payment\nstates: [{name: a, status: success, fields: {nope: {}}, fault: nope}]",
		"\ufeffversion: 1\n\tname: a", "version: 1\nname: [\n", "a: b\n---\nc: d", "!!binary x: y", "? [a]\n: b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const file = "fuzz.yaml"
		sc, problems := sim.ParseScenario(file, data, fuzzProviders)
		if (sc == nil) == (len(problems) == 0) {
			t.Fatalf("ParseScenario(%q) = %v with %d problems", data, sc, len(problems))
		}
		for _, p := range problems {
			if p.File != file || p.Msg == "" {
				t.Fatalf("problem %+v of %q does not name the file or say what is wrong", p, data)
			}
			if p.Line <= 0 && p.Msg != "file is empty" && !strings.HasPrefix(p.Msg, "not valid YAML") {
				t.Fatalf("problem %q of %q carries no line", p.Msg, data)
			}
		}
		if sc == nil {
			return
		}
		text := scenarioYAML(t, sc)
		again, problems := sim.ParseScenario(file, text, fuzzProviders)
		if len(problems) > 0 {
			t.Fatalf("%q parsed, but written back as\n%s\nit does not: %v", data, text, problems)
		}
		if a, b := withoutLines(sc), withoutLines(again); !reflect.DeepEqual(a, b) {
			t.Fatalf("%q parsed to\n%+v\nbut written back as\n%s\nit parses to\n%+v", data, a, text, b)
		}
		// The set a folder of one such file makes validates too.
		if _, err := sim.LoadScenarios(fsOf(file, text), ".", fuzzProviders); err != nil {
			t.Fatalf("%q parses alone but not as a folder: %v", data, err)
		}
	})
}

// scenarioYAML writes sc back in the file format.
func scenarioYAML(t *testing.T, sc *sim.Scenario) []byte {
	doc := map[string]any{"version": sim.SchemaVersion, "name": sc.Name, "operation": string(sc.Operation)}
	if sc.Description != "" {
		doc["description"] = sc.Description
	}
	if len(sc.Providers) > 0 {
		doc["providers"] = sc.Providers
	}
	if sc.Default {
		doc["default"] = true
	}
	when := map[string]any{}
	if sc.When.Amount != nil {
		when["amount"] = sc.When.Amount.Yuan()
	}
	if sc.When.IDPrefix != "" {
		when["id_prefix"] = sc.When.IDPrefix
	}
	if sc.When.Flow != "" {
		when["flow"] = string(sc.When.Flow)
	}
	if len(when) > 0 {
		doc["when"] = when
	}
	if sc.Fault != "" {
		doc["fault"] = sc.Fault
	}
	if sc.Reject != nil {
		r := map[string]any{"error": string(sc.Reject.Error)}
		if sc.Reject.Fields != nil {
			r["fields"] = sc.Reject.Fields
		}
		doc["reject"] = r
	}
	if sc.States != nil {
		var states []map[string]any
		for _, st := range sc.States {
			m := map[string]any{"name": st.Name, "status": string(st.Status)}
			until := map[string]any{}
			if st.Until.Queries > 0 {
				until["queries"] = st.Until.Queries
			}
			if st.Until.Elapsed > 0 {
				until["elapsed"] = st.Until.Elapsed.String()
			}
			if len(until) > 0 {
				m["until"] = until
			}
			if st.Next != "" {
				m["next"] = st.Next
			}
			if st.Fields != nil {
				m["fields"] = st.Fields
			}
			if !st.Notify {
				m["notify"] = false
			}
			if st.DuplicateNotify {
				m["duplicate_notify"] = true
			}
			if st.Fault != "" {
				m["fault"] = st.Fault
			}
			if st.Payment != "" {
				m["payment"] = string(st.Payment)
			}
			states = append(states, m)
		}
		doc["states"] = states
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatalf("writing %+v back: %v", sc, err)
	}
	return out
}

// withoutLines is sc with the lines it was found on zeroed: they depend on the layout.
func withoutLines(sc *sim.Scenario) sim.Scenario {
	out := *sc
	out.Line = 0
	out.States = nil
	for _, st := range sc.States {
		st.Line = 0
		out.States = append(out.States, st)
	}
	return out
}

func fsOf(name string, data []byte) fs.FS {
	return fstest.MapFS{name: {Data: data}}
}
