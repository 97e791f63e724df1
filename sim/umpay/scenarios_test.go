package umpay_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
)

// testScenarios are used only through the X-Paysim-Scenario header: they reach the
// outcomes no shipped scenario produces on Umpay (failures, 02 and 04 codes, slow closes).
var testScenarios = map[string]string{
	"t-pay-failed.yaml": `version: 1
name: t-pay-failed
operation: payment
providers: [umpay]
states:
  - name: failed
    status: failed
`,
	"t-pay-paying.yaml": `version: 1
name: t-pay-paying
operation: payment
providers: [umpay]
states:
  - name: paying
    status: processing
    until: {queries: 1}
    next: paid
  - name: paid
    status: success
`,
	"t-pay-unclear-04.yaml": `version: 1
name: t-pay-unclear-04
operation: payment
providers: [umpay]
states:
  - name: unclear
    status: unknown
    until: {queries: 1}
    next: paid
    fields:
      umpay: {respCode: "04", respMsg: 交易状态未明}
  - name: paid
    status: success
`,
	"t-refund-fails.yaml": `version: 1
name: t-refund-fails
operation: refund
providers: [umpay]
states:
  - name: processing
    status: processing
    until: {queries: 1}
    next: failed
  - name: failed
    status: failed
`,
	"t-close-slow.yaml": `version: 1
name: t-close-slow
operation: close
providers: [umpay]
states:
  - name: processing
    status: processing
    until: {elapsed: 10s}
    next: closed
  - name: closed
    status: success
`,
}

// scenarioFS is the shipped scenarios plus testScenarios.
func scenarioFS(t testing.TB) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	shipped := paysim.DefaultScenarios()
	entries, err := fs.ReadDir(shipped, ".")
	require.NoError(t, err)
	for _, e := range entries {
		data, err := fs.ReadFile(shipped, e.Name())
		require.NoError(t, err)
		out[e.Name()] = &fstest.MapFile{Data: data}
	}
	for name, src := range testScenarios {
		out[name] = &fstest.MapFile{Data: []byte(src)}
	}
	return out
}
