package sim_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	paysim "github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
)

var allProviders = []string{"huifu", "huishouqian", "shouqianba", "umpay"}

// lines joins YAML lines, so that a test reads with the line numbers it asserts.
func lines(ls ...string) []byte { return []byte(strings.Join(ls, "\n") + "\n") }

func amountPtr(a sim.Amount) *sim.Amount { return &a }

func TestParseScenarioStates(t *testing.T) {
	src := lines(
		"version: 1",                            // 1
		"name: refund-processing",               // 2
		"description: a test scenario",          // 3
		"operation: refund",                     // 4
		"providers: [huifu, umpay]",             // 5
		"default: true",                         // 6
		"states:",                               // 7
		"  - name: processing",                  // 8
		"    status: processing",                // 9
		"    until: {queries: 2, elapsed: 30s}", // 10
		"    next: succeeded",                   // 11
		"    fields:",                           // 12
		"      huifu: {trans_stat: P}",          // 13
		"  - name: succeeded",                   // 14
		"    status: success",                   // 15
		"    notify: false",                     // 16
	)
	sc, problems := sim.ParseScenario("refund.yaml", src, allProviders)
	require.Empty(t, problems)
	require.NotNil(t, sc)
	assert.Equal(t, "refund-processing", sc.Name)
	assert.Equal(t, "a test scenario", sc.Description)
	assert.Equal(t, sim.OpRefund, sc.Operation)
	assert.Equal(t, []string{"huifu", "umpay"}, sc.Providers)
	assert.True(t, sc.Default)
	assert.Nil(t, sc.Reject)
	assert.Equal(t, "refund.yaml", sc.Source)
	assert.Equal(t, 1, sc.Line)
	require.Len(t, sc.States, 2)
	assert.Equal(t, sim.State{
		Name: "processing", Status: sim.StatusProcessing,
		Until:  sim.Until{Queries: 2, Elapsed: 30 * time.Second},
		Next:   "succeeded",
		Fields: map[string]map[string]string{"huifu": {"trans_stat": "P"}},
		Notify: true, Line: 8,
	}, sc.States[0])
	assert.Equal(t, sim.State{Name: "succeeded", Status: sim.StatusSuccess, Notify: false, Line: 14}, sc.States[1])
	assert.True(t, sc.AppliesTo("huifu"))
	assert.True(t, sc.AppliesTo("umpay"))
	assert.False(t, sc.AppliesTo("shouqianba"))
}

func TestParseScenarioReject(t *testing.T) {
	src := lines(
		"version: 1",
		"name: refund-insufficient",
		"operation: refund",
		`when: {amount: "0.03", id_prefix: "QA-"}`,
		"reject:",
		"  error: insufficient_refundable_balance",
		"  fields:",
		"    huifu: {resp_desc: 申请退款金额大于可退余额, resp_code: '23000003'}",
	)
	sc, problems := sim.ParseScenario("r.yaml", src, allProviders)
	require.Empty(t, problems)
	require.NotNil(t, sc)
	assert.Empty(t, sc.States)
	assert.Empty(t, sc.Providers)
	assert.True(t, sc.AppliesTo("shouqianba"), "no providers: every provider")
	assert.False(t, sc.Default)
	assert.Equal(t, sim.When{Amount: amountPtr(3), IDPrefix: "QA-"}, sc.When)
	require.NotNil(t, sc.Reject)
	assert.Equal(t, sim.ErrInsufficientBalance, sc.Reject.Error)
	assert.Equal(t, map[string]map[string]string{"huifu": {"resp_desc": "申请退款金额大于可退余额", "resp_code": "23000003"}}, sc.Reject.Fields)
}

func TestParseScenarioValidVariants(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		check func(t *testing.T, sc *sim.Scenario)
	}{
		{
			name: "payment default narrowed by flow",
			src: lines("version: 1", "name: pay-qr", "operation: payment", "default: true", "when: {flow: qrcode}",
				"states:", "  - {name: waiting, status: processing, until: {queries: 1}, next: paid}", "  - {name: paid, status: success}"),
			check: func(t *testing.T, sc *sim.Scenario) {
				assert.Equal(t, sim.FlowQRCode, sc.When.Flow)
				assert.True(t, sc.Default)
				assert.Equal(t, 1, sc.States[0].Until.Queries)
			},
		},
		{
			name: "closed status on a payment",
			src:  lines("version: 1", "name: pay-closed", "operation: payment", "states:", "  - {name: closed, status: closed}"),
			check: func(t *testing.T, sc *sim.Scenario) {
				assert.Equal(t, sim.StatusClosed, sc.States[0].Status)
			},
		},
		{
			name: "non-final state without next stays",
			src:  lines("version: 1", "name: pay-stuck", "operation: payment", "states:", "  - {name: stuck, status: unknown}"),
			check: func(t *testing.T, sc *sim.Scenario) {
				assert.Equal(t, sim.StatusUnknown, sc.States[0].Status)
				assert.Empty(t, sc.States[0].Next)
			},
		},
		{
			name: "elapsed only, minutes",
			src: lines("version: 1", "name: close.slow_1", "operation: close", "states:",
				"  - {name: a, status: processing, until: {elapsed: 5m}, next: b}", "  - {name: b, status: failed}"),
			check: func(t *testing.T, sc *sim.Scenario) {
				assert.Equal(t, 5*time.Minute, sc.States[0].Until.Elapsed)
				assert.Equal(t, "close.slow_1", sc.Name)
			},
		},
		{
			name: "unquoted when.amount keeps its digits",
			src:  lines("version: 1", "name: p", "operation: payment", "when: {amount: 0.10}", "states: [{name: a, status: success}]"),
			check: func(t *testing.T, sc *sim.Scenario) {
				require.NotNil(t, sc.When.Amount)
				assert.Equal(t, sim.Amount(10), *sc.When.Amount)
			},
		},
		{
			name: "leading comment",
			src:  lines("# a comment", "version: 1", "name: p", "operation: payment", "states: [{name: a, status: success}]"),
			check: func(t *testing.T, sc *sim.Scenario) {
				assert.Equal(t, 2, sc.Line)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, problems := sim.ParseScenario("x.yaml", tt.src, allProviders)
			require.Empty(t, problems)
			require.NotNil(t, sc)
			tt.check(t, sc)
		})
	}
}

// validHead is the first four lines of a valid refund scenario; tests append to it.
var validHead = []string{
	"version: 1",        // 1
	"name: s",           // 2
	"operation: refund", // 3
}

func withHead(ls ...string) []byte {
	return lines(append(append([]string(nil), validHead...), ls...)...)
}

// okStates is a valid states block for lines after validHead.
var okStates = []string{
	"states:",             // 4
	"  - name: done",      // 5
	"    status: success", // 6
}

func TestParseScenarioProblems(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		// every listed problem must be reported (line and a part of its message), and
		// nothing else
		want []sim.Problem
	}{
		{
			name: "missing version",
			src:  lines("name: s", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 1, Msg: "version is missing"}},
		},
		{
			name: "missing version after a comment",
			src:  lines("# comment", "name: s", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 2, Msg: "version is missing"}},
		},
		{
			name: "unsupported version",
			src:  lines("operation: refund", "version: 2", "name: s", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 2, Msg: "version 2 is not supported"}},
		},
		{
			name: "version not a number",
			src:  lines("version: one", "name: s", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 1, Msg: "version must be a whole number"}},
		},
		{
			name: "version not a scalar",
			src:  lines("version: [1]", "name: s", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 1, Msg: "version must be a single value"}},
		},
		{
			name: "bad name: upper case and space",
			src:  lines("version: 1", "name: Refund Test", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 2, Msg: "must be lower case"}},
		},
		{
			name: "bad name: leading dash",
			src:  lines("version: 1", "name: -refund", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 2, Msg: "must be lower case"}},
		},
		{
			name: "bad name: slash",
			src:  lines("version: 1", "name: a/b", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 2, Msg: "must be lower case"}},
		},
		{
			name: "missing name",
			src:  lines("version: 1", "operation: refund", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 1, Msg: "name is missing"}},
		},
		{
			name: "missing operation",
			src:  lines("version: 1", "name: s", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 1, Msg: "operation is missing"}},
		},
		{
			name: "unknown operation",
			src:  lines("version: 1", "name: s", "operation: capture", "states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 3, Msg: `operation "capture" is not one of`}},
		},
		{
			name: "unknown top-level key",
			src:  withHead(append(append([]string(nil), okStates...), "colour: red")...),
			want: []sim.Problem{{Line: 7, Msg: `unknown key "colour"`}},
		},
		{
			name: "key given twice",
			src:  withHead(append(append([]string(nil), okStates...), "description: one", "description: two")...),
			want: []sim.Problem{{Line: 8, Msg: `key "description" is given twice`}},
		},
		{
			name: "default not a boolean",
			src:  withHead(append(append([]string(nil), okStates...), "default: yes")...),
			want: []sim.Problem{{Line: 7, Msg: "default must be true or false"}},
		},
		{
			name: "unknown key in a state",
			src:  withHead("states:", "  - name: done", "    status: success", "    colour: red"),
			want: []sim.Problem{{Line: 7, Msg: `unknown key "colour"`}},
		},
		{
			name: "unknown key in until",
			src: withHead("states:", "  - name: a", "    status: processing", "    until:", "      queries: 1",
				"      after: 5s", "    next: b", "  - {name: b, status: success}"),
			want: []sim.Problem{{Line: 9, Msg: `unknown key "after"`}},
		},
		{
			name: "unknown key in when",
			src:  withHead(append([]string{"when:", `  amount: "1.00"`, "  prefix: QA-"}, okStates...)...),
			want: []sim.Problem{{Line: 6, Msg: `unknown key "prefix"`}},
		},
		{
			name: "unknown status",
			src:  withHead("states:", "  - name: done", "    status: done"),
			want: []sim.Problem{{Line: 6, Msg: `status "done" is not one of`}},
		},
		{
			name: "closed status on a refund",
			src:  withHead("states:", "  - name: done", "    status: closed"),
			want: []sim.Problem{{Line: 6, Msg: "status closed applies to payments only"}},
		},
		{
			name: "closed status on a close",
			src:  lines("version: 1", "name: s", "operation: close", "states:", "  - name: done", "    status: closed"),
			want: []sim.Problem{{Line: 6, Msg: "status closed applies to payments only"}},
		},
		{
			name: "state without status",
			src:  withHead("states:", "  - name: done", "    notify: false"),
			want: []sim.Problem{{Line: 5, Msg: `state "done" needs a status`}},
		},
		{
			name: "state without name",
			src:  withHead("states:", "  - status: success"),
			want: []sim.Problem{{Line: 5, Msg: "every state needs a name"}},
		},
		{
			name: "notify not a boolean",
			src:  withHead("states:", "  - name: done", "    status: success", "    notify: maybe"),
			want: []sim.Problem{{Line: 7, Msg: "notify must be true or false"}},
		},
		{
			name: "next without until",
			src:  withHead("states:", "  - name: a", "    status: processing", "    next: b", "  - name: b", "    status: success"),
			want: []sim.Problem{{Line: 5, Msg: `state "a" has next but no until`}},
		},
		{
			name: "until without next",
			src:  withHead("states:", "  - name: a", "    status: processing", "    until: {queries: 1}"),
			want: []sim.Problem{{Line: 7, Msg: `state "a" has until but no next`}},
		},
		{
			name: "until.queries zero",
			src: withHead("states:", "  - name: a", "    status: processing", "    until: {queries: 0}", "    next: b",
				"  - {name: b, status: success}"),
			want: []sim.Problem{{Line: 5, Msg: "has next but no until"}, {Line: 7, Msg: "until.queries must be at least 1"}},
		},
		{
			name: "until.elapsed not a duration",
			src: withHead("states:", "  - name: a", "    status: processing", "    until: {elapsed: 30}", "    next: b",
				"  - {name: b, status: success}"),
			want: []sim.Problem{{Line: 5, Msg: "has next but no until"}, {Line: 7, Msg: `until.elapsed "30" must be a positive duration`}},
		},
		{
			name: "until.elapsed negative",
			src: withHead("states:", "  - name: a", "    status: processing", "    until: {queries: 1, elapsed: -5s}", "    next: b",
				"  - {name: b, status: success}"),
			want: []sim.Problem{{Line: 7, Msg: `until.elapsed "-5s" must be a positive duration`}},
		},
		{
			name: "dangling next",
			src: withHead("states:", "  - name: a", "    status: processing", "    until: {queries: 1}", "    next: succeeded",
				"  - name: success", "    status: success"),
			want: []sim.Problem{{Line: 5, Msg: `state "a" goes to "succeeded", which is not a state`}},
		},
		{
			name: "loop a->b->a",
			src: withHead("states:",
				"  - name: a", "    status: processing", "    until: {queries: 1}", "    next: b", // 5-8
				"  - name: b", "    status: unknown", "    until: {elapsed: 5s}", "    next: a", // 9-12
				"  - name: c", "    status: success"),
			want: []sim.Problem{{Line: 5, Msg: `states starting at "a" loop forever`}},
		},
		{
			name: "loop entered from a later state",
			src: withHead("states:",
				"  - {name: a, status: processing, until: {queries: 1}, next: b}", // 5
				"  - {name: b, status: processing, until: {queries: 1}, next: c}", // 6
				"  - {name: c, status: processing, until: {queries: 1}, next: b}", // 7
			),
			want: []sim.Problem{{Line: 5, Msg: "loop forever"}},
		},
		{
			name: "state going to itself",
			src:  withHead("states:", "  - {name: a, status: processing, until: {queries: 1}, next: a}"),
			want: []sim.Problem{{Line: 5, Msg: `states starting at "a" loop forever`}},
		},
		{
			name: "final state with next",
			src: withHead("states:",
				"  - name: a", "    status: success", "    until: {queries: 1}", "    next: b",
				"  - name: b", "    status: failed"),
			want: []sim.Problem{{Line: 5, Msg: `state "a" is final (success) and cannot move on to "b"`}},
		},
		{
			name: "duplicate state names",
			src:  withHead("states:", "  - {name: a, status: processing, until: {queries: 1}, next: a2}", "  - {name: a2, status: success}", "  - {name: a, status: failed}"),
			want: []sim.Problem{{Line: 7, Msg: `state name "a" is used twice`}},
		},
		{
			name: "empty states",
			src:  withHead("states: []"),
			want: []sim.Problem{{Line: 4, Msg: "states must be a non-empty list"}},
		},
		{
			name: "states not a list",
			src:  withHead("states: {name: a, status: success}"),
			want: []sim.Problem{{Line: 4, Msg: "states must be a non-empty list"}},
		},
		{
			name: "neither states nor reject",
			src:  withHead("description: nothing"),
			want: []sim.Problem{{Line: 1, Msg: "needs states (a state machine) or reject"}},
		},
		{
			name: "bad when.amount: three decimals",
			src:  withHead(append([]string{`when: {amount: "1.234"}`}, okStates...)...),
			want: []sim.Problem{{Line: 4, Msg: "when.amount"}},
		},
		{
			name: "bad when.amount: negative",
			src:  withHead(append([]string{"when:", `  amount: "-1"`}, okStates...)...),
			want: []sim.Problem{{Line: 5, Msg: "when.amount"}},
		},
		{
			name: "bad when.amount: words",
			src:  withHead(append([]string{"when:", "  amount: one yuan"}, okStates...)...),
			want: []sim.Problem{{Line: 5, Msg: "when.amount"}},
		},
		{
			name: "empty when.id_prefix",
			src:  withHead(append([]string{"when:", `  id_prefix: ""`}, okStates...)...),
			want: []sim.Problem{{Line: 5, Msg: "when.id_prefix must not be empty"}},
		},
		{
			name: "bad when.flow",
			src: lines("version: 1", "name: s", "operation: payment", "when:", "  flow: nfc",
				"states: [{name: a, status: success}]"),
			want: []sim.Problem{{Line: 5, Msg: `when.flow "nfc" is not one of`}},
		},
		{
			name: "when.flow on a refund",
			src:  withHead(append([]string{"when: {flow: qrcode}"}, okStates...)...),
			want: []sim.Problem{{Line: 1, Msg: "when.flow applies to payments only"}},
		},
		{
			name: "when not a mapping",
			src:  withHead(append([]string{"when: QA-"}, okStates...)...),
			want: []sim.Problem{{Line: 4, Msg: "expected a mapping"}},
		},
		{
			name: "unknown provider in providers",
			src:  withHead(append([]string{"providers:", "  - huifu", "  - alipay"}, okStates...)...),
			want: []sim.Problem{{Line: 6, Msg: `unknown provider "alipay"`}},
		},
		{
			name: "providers not a list",
			src:  withHead(append([]string{"providers: huifu"}, okStates...)...),
			want: []sim.Problem{{Line: 4, Msg: "providers must be a list"}},
		},
		{
			name: "unknown provider in state fields",
			src: withHead("states:", "  - name: done", "    status: success", "    fields:",
				"      huifu: {a: b}", "      alipay: {a: b}"),
			want: []sim.Problem{{Line: 9, Msg: `unknown provider "alipay"`}},
		},
		{
			name: "state fields not a mapping of fields",
			src:  withHead("states:", "  - name: done", "    status: success", "    fields:", "      huifu: [a, b]"),
			want: []sim.Problem{{Line: 8, Msg: "fields.huifu must be a mapping"}},
		},
		{
			name: "unknown provider in reject fields",
			src:  withHead("reject:", "  error: system_error", "  fields:", "    alipay: {a: b}"),
			want: []sim.Problem{{Line: 7, Msg: `unknown provider "alipay"`}},
		},
		{
			name: "reject with unknown error",
			src:  withHead("reject:", "  error: out_of_money"),
			want: []sim.Problem{{Line: 5, Msg: `reject.error "out_of_money" is not one of`}},
		},
		{
			name: "reject without error",
			src:  withHead("reject:", "  fields: {huifu: {a: b}}"),
			want: []sim.Problem{{Line: 5, Msg: "reject needs an error"}},
		},
		{
			name: "unknown key in reject",
			src:  withHead("reject:", "  error: system_error", "  code: 1"),
			want: []sim.Problem{{Line: 6, Msg: `unknown key "code"`}},
		},
		{
			name: "both states and reject",
			src:  withHead(append(append([]string(nil), okStates...), "reject: {error: system_error}")...),
			want: []sim.Problem{{Line: 7, Msg: "either states or reject, not both"}},
		},
		{
			name: "default with an amount trigger",
			src:  withHead(append([]string{"default: true", `when: {amount: "0.03"}`}, okStates...)...),
			want: []sim.Problem{{Line: 1, Msg: "a default scenario may narrow itself only by when.flow"}},
		},
		{
			name: "default with an id_prefix trigger",
			src:  withHead(append([]string{"default: true", "when: {id_prefix: QA-}"}, okStates...)...),
			want: []sim.Problem{{Line: 1, Msg: "a default scenario may narrow itself only by when.flow"}},
		},
		{
			name: "not a mapping",
			src:  lines("- version: 1"),
			want: []sim.Problem{{Line: 1, Msg: "must be a mapping"}},
		},
		{
			name: "empty file",
			src:  []byte(""),
			want: []sim.Problem{{Line: 0, Msg: "file is empty"}},
		},
		{
			name: "invalid YAML",
			src:  lines("version: 1", "name: s", "operation: a: b", "states: []"),
			want: []sim.Problem{{Line: 3, Msg: "not valid YAML"}},
		},
		{
			name: "several problems, in line order",
			src: lines("version: 3", "name: S", "operation: refund", "colour: red", "states:",
				"  - {name: a, status: closed}"),
			want: []sim.Problem{
				{Line: 1, Msg: "version 3 is not supported"},
				{Line: 2, Msg: "must be lower case"},
				{Line: 4, Msg: `unknown key "colour"`},
				{Line: 6, Msg: "status closed applies to payments only"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, problems := sim.ParseScenario("bad.yaml", tt.src, allProviders)
			assert.Nil(t, sc, "a scenario with problems is unusable")
			require.Len(t, problems, len(tt.want), "problems: %v", problems)
			for i, want := range tt.want {
				got := problems[i]
				assert.Equal(t, "bad.yaml", got.File)
				assert.Equal(t, want.Line, got.Line, "problem %d: %s", i, got)
				assert.Contains(t, got.Msg, want.Msg, "problem %d", i)
			}
		})
	}
}

// Values that parse but are still wrong.
func TestParseScenarioEmptyOrZeroValues(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		line int
		msg  string
	}{
		{
			name: "version 0",
			src:  lines("version: 0", "name: s", "operation: refund", "states: [{name: a, status: success}]"),
			line: 1, msg: "version 0 is not supported",
		},
		{
			name: "empty name",
			src:  lines("version: 1", `name: ""`, "operation: refund", "states: [{name: a, status: success}]"),
			line: 2, msg: "name",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, problems := sim.ParseScenario("bad.yaml", tt.src, allProviders)
			assert.Nil(t, sc)
			require.Len(t, problems, 1, "problems: %v", problems)
			assert.Equal(t, tt.line, problems[0].Line)
			assert.Contains(t, problems[0].Msg, tt.msg)
		})
	}
}

func TestParseScenarioWithoutProviderList(t *testing.T) {
	// With no provider list, any provider name is accepted.
	src := lines("version: 1", "name: s", "operation: refund", "providers: [alipay]",
		"states: [{name: a, status: success, fields: {wechat: {x: y}}}]")
	sc, problems := sim.ParseScenario("x.yaml", src, nil)
	require.Empty(t, problems)
	assert.Equal(t, []string{"alipay"}, sc.Providers)
	assert.Equal(t, map[string]map[string]string{"wechat": {"x": "y"}}, sc.States[0].Fields)
}

func TestProblemString(t *testing.T) {
	assert.Equal(t, "a.yaml:3: bad", sim.Problem{File: "a.yaml", Line: 3, Msg: "bad"}.String())
	assert.Equal(t, "a.yaml: bad", sim.Problem{File: "a.yaml", Msg: "bad"}.String())
	err := &sim.LoadError{Problems: []sim.Problem{{File: "a.yaml", Line: 1, Msg: "x"}, {File: "b.yaml", Msg: "y"}}}
	assert.Equal(t, "a.yaml:1: x\nb.yaml: y", err.Error())
}

// scenario files used by the loader tests
const (
	refundDefault = "version: 1\nname: %s\noperation: refund\ndefault: true\nstates: [{name: a, status: success}]\n"
	payDefault    = "version: 1\nname: %s\noperation: payment\ndefault: true\nstates: [{name: a, status: success}]\n"
)

func file(format string, args ...any) *fstest.MapFile {
	s := format
	if len(args) > 0 {
		s = fmt.Sprintf(format, args...)
	}
	return &fstest.MapFile{Data: []byte(s)}
}

func loadErr(t *testing.T, err error) *sim.LoadError {
	t.Helper()
	require.Error(t, err)
	var le *sim.LoadError
	require.True(t, errors.As(err, &le), "want a *sim.LoadError, got %T: %v", err, err)
	return le
}

func TestLoadScenarios(t *testing.T) {
	fsys := fstest.MapFS{
		"sc/b.yaml":        file("version: 1\nname: b\noperation: payment\nstates: [{name: a, status: success}]\n"),
		"sc/a.yml":         file("version: 1\nname: a\noperation: refund\nstates: [{name: a, status: success}]\n"),
		"sc/README.md":     file("not a scenario"),
		"sc/nested/c.yaml": file("this: is: not: read"),
		"other.yaml":       file("not in the folder"),
	}
	set, err := sim.LoadScenarios(fsys, "sc", allProviders)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, set.Names())
	require.Len(t, set.Scenarios(), 2)
	assert.Equal(t, "a", set.Scenarios()[0].Name)
	sc, ok := set.Lookup("b")
	require.True(t, ok)
	assert.Equal(t, "sc/b.yaml", sc.Source)
	assert.Equal(t, sim.OpPayment, sc.Operation)
	_, ok = set.Lookup("c")
	assert.False(t, ok)
}

func TestLoadScenariosMissingFolder(t *testing.T) {
	_, err := sim.LoadScenarios(fstest.MapFS{}, "nope", allProviders)
	le := loadErr(t, err)
	require.Len(t, le.Problems, 1)
	assert.Equal(t, "nope", le.Problems[0].File)
	assert.Contains(t, le.Problems[0].Msg, "cannot read scenario folder")
}

func TestLoadScenariosProblems(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		// want lists "file:line: part of message"; each must match one problem, and there
		// must be no others
		want []string
	}{
		{
			name: "duplicate names across files",
			fsys: fstest.MapFS{
				"a.yaml": file("version: 1\nname: same\noperation: refund\nstates: [{name: a, status: success}]\n"),
				"b.yaml": file("# second\nversion: 1\nname: same\noperation: payment\nstates: [{name: a, status: success}]\n"),
			},
			want: []string{`b.yaml:2: scenario name "same" is already used by a.yaml:1`},
		},
		{
			name: "two refund defaults for every provider",
			fsys: fstest.MapFS{
				"a.yaml": file(refundDefault, "refund-a"),
				"b.yaml": file(refundDefault, "refund-b"),
			},
			want: []string{`b.yaml:1: scenario "refund-b" is a second default for refund on every provider (the first is "refund-a"`},
		},
		{
			name: "two defaults overlapping on one provider",
			fsys: fstest.MapFS{
				"a.yaml": file("version: 1\nname: a\noperation: close\ndefault: true\nproviders: [umpay, huifu]\nstates: [{name: a, status: success}]\n"),
				"b.yaml": file("version: 1\nname: b\noperation: close\ndefault: true\nproviders: [huifu]\nstates: [{name: a, status: success}]\n"),
			},
			want: []string{`b.yaml:1: scenario "b" is a second default for close on huifu`},
		},
		{
			name: "two qrcode payment defaults",
			fsys: fstest.MapFS{
				"a.yaml": file("version: 1\nname: a\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nstates: [{name: a, status: success}]\n"),
				"b.yaml": file("version: 1\nname: b\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nstates: [{name: a, status: success}]\n"),
			},
			want: []string{`b.yaml:1: scenario "b" is a second default for payment on every provider`},
		},
		{
			name: "problems from several files reported together",
			fsys: fstest.MapFS{
				"bad1.yaml": file("version: 1\nname: bad1\noperation: refund\nstates: [{name: a, status: done}]\n"),
				"good.yaml": file("version: 1\nname: good\noperation: refund\nstates: [{name: a, status: success}]\n"),
				"bad2.yaml": file("version: 1\nname: bad2\noperation: refund\ncolour: red\nstates: [{name: a, status: success}]\n"),
				"bad3.yml":  file("version: 1\nname: bad3\noperation: refund\nreject: {error: nope}\n"),
			},
			want: []string{
				`bad1.yaml:4: status "done"`,
				`bad2.yaml:4: unknown key "colour"`,
				`bad3.yml:4: reject.error "nope"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := sim.LoadScenarios(tt.fsys, ".", allProviders)
			assert.Nil(t, set, "no set is returned when anything is wrong")
			le := loadErr(t, err)
			got := make([]string, len(le.Problems))
			for i, p := range le.Problems {
				got[i] = p.String()
			}
			require.Len(t, got, len(tt.want), "problems:\n%s", strings.Join(got, "\n"))
			for i, w := range tt.want {
				assert.True(t, strings.HasPrefix(got[i], w) || strings.Contains(got[i], w), "problem %d is %q, want %q", i, got[i], w)
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadScenariosDefaultsThatCoexist(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{
			name: "one default per operation",
			fsys: fstest.MapFS{
				"a.yaml": file(refundDefault, "refund-default"),
				"b.yaml": file(payDefault, "pay-default"),
				"c.yaml": file("version: 1\nname: close-default\noperation: close\ndefault: true\nstates: [{name: a, status: success}]\n"),
			},
		},
		{
			name: "defaults for disjoint providers",
			fsys: fstest.MapFS{
				"a.yaml": file("version: 1\nname: a\noperation: refund\ndefault: true\nproviders: [huifu, umpay]\nstates: [{name: a, status: success}]\n"),
				"b.yaml": file("version: 1\nname: b\noperation: refund\ndefault: true\nproviders: [shouqianba, huishouqian]\nstates: [{name: a, status: success}]\n"),
			},
		},
		{
			name: "qrcode default and barcode default",
			fsys: fstest.MapFS{
				"a.yaml": file("version: 1\nname: a\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nstates: [{name: a, status: success}]\n"),
				"b.yaml": file("version: 1\nname: b\noperation: payment\ndefault: true\nwhen: {flow: barcode}\nstates: [{name: a, status: success}]\n"),
			},
		},
		{
			name: "qrcode default and plain payment default",
			fsys: fstest.MapFS{
				"a-plain.yaml": file(payDefault, "a-plain"),
				"pay-qr.yaml":  file("version: 1\nname: pay-qr\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nstates: [{name: a, status: processing}]\n"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := sim.LoadScenarios(tt.fsys, ".", allProviders)
			require.NoError(t, err)
			assert.Len(t, set.Scenarios(), len(tt.fsys))
		})
	}
}

// The plain payment default and the qrcode default, loaded together, must each serve
// their own payments whatever their names.
func TestFlowDefaultIsPreferredOverPlainDefault(t *testing.T) {
	set, err := sim.LoadScenarios(fstest.MapFS{
		"a-plain.yaml": file(payDefault, "a-plain"),
		"pay-qr.yaml":  file("version: 1\nname: pay-qr\noperation: payment\ndefault: true\nwhen: {flow: qrcode}\nstates: [{name: a, status: processing}]\n"),
	}, ".", allProviders)
	require.NoError(t, err)
	s := sim.New(sim.WithScenarios(set, nil), sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	qr, err := s.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "m", ID: "q"}, Amount: 1, Flow: sim.FlowQRCode})
	require.NoError(t, err)
	assert.Equal(t, "pay-qr", qr.Scenario)
	bc, err := s.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "huifu", Merchant: "m", ID: "b"}, Amount: 1, Flow: sim.FlowBarcode})
	require.NoError(t, err)
	assert.Equal(t, "a-plain", bc.Scenario)
}

func TestLoadShippedScenarios(t *testing.T) {
	set, err := sim.LoadScenarios(paysim.DefaultScenarios(), ".", allProviders)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"close-loses-race-to-payer",
		"close-processing-then-success",
		"confirm-processing-then-success",
		"confirm-refund-processing-then-success",
		"pay-hosted-waits-for-payer",
		"pay-qrcode-paid-on-first-query",
		"pay-unknown-result",
		"pay-waits-for-payer",
		"refund-insufficient-balance",
		"refund-processing-then-success",
	}, set.Names())
	for _, sc := range set.Scenarios() {
		assert.Equal(t, sc.Name+".yaml", sc.Source, "file name is the scenario name by convention")
		assert.NotEmpty(t, sc.Description, sc.Name)
	}
	rej, _ := set.Lookup("refund-insufficient-balance")
	require.NotNil(t, rej.Reject)
	assert.Equal(t, sim.ErrInsufficientBalance, rej.Reject.Error)
	qr, _ := set.Lookup("pay-qrcode-paid-on-first-query")
	assert.True(t, qr.Default)
	assert.Equal(t, sim.FlowQRCode, qr.When.Flow)
}

func TestLoadScenarioPath(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "good.yaml"),
		[]byte("version: 1\nname: good\noperation: refund\nstates: [{name: a, status: success}]\n"), 0o644))

	set, err := sim.LoadScenarioPath(dir, allProviders)
	require.NoError(t, err)
	assert.Equal(t, []string{"good"}, set.Names())
	sc, _ := set.Lookup("good")
	assert.Equal(t, filepath.Join(dir, "good.yaml"), sc.Source)

	// a single file
	set, err = sim.LoadScenarioPath(filepath.Join(dir, "good.yaml"), allProviders)
	require.NoError(t, err)
	assert.Equal(t, []string{"good"}, set.Names())

	// problems name the file by the path given
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("version: 1\nname: bad\noperation: refund\nstates: [{name: a, status: nope}]\n"), 0o644))
	_, err = sim.LoadScenarioPath(bad, allProviders)
	le := loadErr(t, err)
	require.Len(t, le.Problems, 1)
	assert.Equal(t, bad+":4: "+le.Problems[0].Msg, le.Problems[0].String())

	_, err = sim.LoadScenarioPath(dir, allProviders)
	le = loadErr(t, err)
	require.Len(t, le.Problems, 1)
	assert.Equal(t, bad, le.Problems[0].File)

	_, err = sim.LoadScenarioPath(filepath.Join(dir, "missing"), allProviders)
	le = loadErr(t, err)
	require.Len(t, le.Problems, 1)
}

// Without a provider list (any provider allowed), two defaults for every provider still
// compete for the same operation.
func TestLoadScenariosTwoDefaultsWithoutProviderList(t *testing.T) {
	_, err := sim.LoadScenarios(fstest.MapFS{
		"a.yaml": file(refundDefault, "refund-a"),
		"b.yaml": file(refundDefault, "refund-b"),
	}, ".", nil)
	le := loadErr(t, err)
	require.Len(t, le.Problems, 1)
	assert.Contains(t, le.Problems[0].String(), `b.yaml:1: scenario "refund-b" is a second default`)
}

func TestParseScenarioFaults(t *testing.T) {
	sc, problems := sim.ParseScenario("lost.yaml", lines(
		"version: 1",
		"name: refund-answer-lost",
		"operation: refund",
		"fault: commit-then-reset",
		"states:",
		"  - name: processing",
		"    status: processing",
		"    fault: delay:2s",
		"    until: {queries: 1}",
		"    next: done",
		"  - name: done",
		"    status: success",
	), allProviders)
	require.Empty(t, problems)
	assert.Equal(t, "commit-then-reset", sc.Fault)
	assert.Equal(t, "delay:2s", sc.States[0].Fault)
	assert.Empty(t, sc.States[1].Fault)

	for _, tt := range []struct {
		name string
		src  []byte
		want string
	}{
		{"unknown fault on the scenario", lines("version: 1", "name: x", "operation: refund", "fault: explode",
			"states: [{name: a, status: success}]"), `x.yaml:4: fault "explode" is not one of`},
		{"bad delay on a state", lines("version: 1", "name: x", "operation: refund", "states:",
			"  - {name: a, status: success, fault: \"delay:forever\"}"), "x.yaml:5: fault \"delay:forever\": delay takes a duration"},
		{"fault on a reject", lines("version: 1", "name: x", "operation: refund", "fault: reset",
			"reject: {error: not_found}"), "x.yaml:1: a reject scenario refuses the operation and has no answer of its own to fault"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, problems := sim.ParseScenario("x.yaml", tt.src, allProviders)
			require.NotEmpty(t, problems)
			var all []string
			for _, p := range problems {
				all = append(all, p.String())
			}
			assert.Contains(t, strings.Join(all, "\n"), tt.want)
		})
	}
}

// The scenario's fault is on the answer that creates the entity; a state's on the status
// queries answered in it; a retry gets none (it is answered with the stored bytes).
func TestScenarioFaultsOnViews(t *testing.T) {
	s, _ := newSim(t, sc("lost", sim.OpRefund, "default: true", "fault: commit-then-reset",
		"states: [{name: p, status: processing, fault: \"http:503\", until: {queries: 2}, next: s}, {name: s, status: success}]"))
	seed(t, s, "huifu", "P", 100)
	created, err := s.CreateRefund(refundReq("huifu", "P", "R", 40))
	require.NoError(t, err)
	assert.Equal(t, "commit-then-reset", created.Fault)
	assert.NotEmpty(t, created.SelectedBy)
	retry, err := s.CreateRefund(refundReq("huifu", "P", "R", 40))
	require.NoError(t, err)
	assert.Empty(t, retry.Fault, "a retry is answered with what the first request was sent")
	q, err := s.QueryRefund("huifu", merchant, sim.ByID("R"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusProcessing, q.Status)
	assert.Equal(t, "http:503", q.Fault, "a query answered in the state gets its fault")
	q, err = s.QueryRefund("huifu", merchant, sim.ByID("R"))
	require.NoError(t, err)
	assert.Equal(t, sim.StatusSuccess, q.Status, "the second query moved it on")
	assert.Empty(t, q.Fault, "the state it answers from has no fault")
}

func TestScenarioSetBounds(t *testing.T) {
	big := fstest.MapFS{"huge.yaml": {Data: []byte("version: 1\n" + strings.Repeat("# padding\n", sim.MaxScenarioFileBytes/10+1))}}
	_, err := sim.LoadScenarios(big, ".", allProviders)
	var le *sim.LoadError
	require.ErrorAs(t, err, &le)
	assert.Contains(t, le.Problems[0].Msg, "a scenario file holds at most")

	set, err := sim.LoadScenarios(fstest.MapFS{"README.md": {Data: []byte("no scenarios here")}}, ".", allProviders)
	require.NoError(t, err)
	err = sim.RequireScenarios(set, "testdata/empty")
	require.ErrorAs(t, err, &le)
	assert.Contains(t, le.Problems[0].String(), "testdata/empty: holds no scenario")
	shipped, err := sim.LoadScenarios(paysim.DefaultScenarios(), ".", allProviders)
	require.NoError(t, err)
	assert.NoError(t, sim.RequireScenarios(shipped, "embedded"))
}
