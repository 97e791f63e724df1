package simtest

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files from what the code answers now")

// goldenHeaders are the answer headers a golden transcript keeps: the ones a client or a
// developer reads. Date and Content-Length say nothing about behaviour.
var goldenHeaders = []string{"Content-Type", "Allow", "X-Paysim-Diagnostic", "X-Paysim-Scenario"}

// Transcript records answers byte for byte, to compare with a golden file: the proof that
// a refactoring changed nothing a client can see.
type Transcript struct {
	b strings.Builder
	n int
}

// Add records one answer under a step name.
func (tr *Transcript) Add(step string, status int, h http.Header, body []byte) {
	tr.n++
	fmt.Fprintf(&tr.b, "### %02d %s\nstatus: %d\n", tr.n, step, status)
	for _, k := range goldenHeaders {
		if v := h.Get(k); v != "" {
			fmt.Fprintf(&tr.b, "%s: %s\n", k, v)
		}
	}
	tr.b.Write(body)
	tr.b.WriteString("\n\n")
}

// Check compares the transcript with testdata/golden/name at the module root; with
// -update it writes the file instead.
func (tr *Transcript) Check(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(moduleRoot(), "testdata", "golden", name)
	got := tr.b.String()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	gotSteps, wantSteps := strings.Split(got, "\n### "), strings.Split(string(want), "\n### ")
	for i := range max(len(gotSteps), len(wantSteps)) {
		var g, w string
		if i < len(gotSteps) {
			g = gotSteps[i]
		}
		if i < len(wantSteps) {
			w = wantSteps[i]
		}
		if g != w {
			t.Fatalf("%s differs from the golden file at step:\nwant:\n%s\ngot:\n%s\n(run with -update only if the change is intended)", name, w, g)
		}
	}
}
