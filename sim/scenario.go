package sim

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/paysim/paysim/sim/fault"
)

// SchemaVersion is the scenario file format this build reads. Files carry it from day one
// so that a later format can upgrade old files instead of breaking them.
const SchemaVersion = 1

// Scenario is one loaded scenario file: either a state machine that a new payment, refund
// or close runs through, or a refusal of the operation.
type Scenario struct {
	Name        string
	Description string
	Operation   Operation
	Providers   []string // empty: every provider
	Default     bool
	When        When
	States      []State
	Reject      *Reject
	// Fault is the network fault put on the answer to the request that creates the
	// entity (a fault name of package sim/fault); empty: none.
	Fault  string
	Source string // file the scenario came from ("builtin" for the built-in fallback)
	Line   int
}

// When is a scenario's trigger. Every predicate that is set must hold.
type When struct {
	Amount   *Amount
	IDPrefix string
	Flow     Flow
}

func (w When) empty() bool { return w.Amount == nil && w.IDPrefix == "" && w.Flow == "" }

// State is one step of a scenario's state machine.
type State struct {
	Name   string
	Status Status
	Until  Until
	Next   string
	// Fields overrides response fields per provider while the entity is in this state.
	Fields map[string]map[string]string
	// Notify false suppresses the asynchronous notification a final state normally sends.
	Notify bool
	// DuplicateNotify sends that notification twice, as providers warn can happen.
	DuplicateNotify bool
	// Fault is the network fault put on the answers to status queries made in this state.
	Fault string
	// Payment, on a failed state of a close, is what became of the payment meanwhile:
	// success says the payer paid while the close was being decided, which is why it
	// failed.
	Payment Status
	Line    int
}

// Until says when a state is left: after Queries status queries of the entity in this
// state, or once Elapsed has passed since it was entered, whichever comes first.
type Until struct {
	Queries int
	Elapsed time.Duration
}

func (u Until) set() bool { return u.Queries > 0 || u.Elapsed > 0 }

// Reject refuses the operation with a neutral error, optionally overriding response fields.
type Reject struct {
	Error  ErrorKind
	Fields map[string]map[string]string
}

// AppliesTo reports whether the scenario may be used for this provider.
func (s *Scenario) AppliesTo(provider string) bool {
	return len(s.Providers) == 0 || slices.Contains(s.Providers, provider)
}

func (s *Scenario) stateIndex(name string) int {
	for i, st := range s.States {
		if st.Name == name {
			return i
		}
	}
	return -1
}

// immediateSuccess is what an operation gets when no scenario matches at all.
var immediateSuccess = &Scenario{
	Name:        "builtin:immediate-success",
	Description: "No scenario matched: the operation succeeds at once.",
	States:      []State{{Name: "succeeded", Status: StatusSuccess, Notify: true}},
	Source:      "builtin",
}

// Problem is one thing wrong with a scenario file, located for an editor.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// LoadError lists every problem found while loading a scenario set.
type LoadError struct{ Problems []Problem }

func (e *LoadError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// ScenarioSet is an immutable, validated collection of scenarios.
type ScenarioSet struct {
	byName  map[string]*Scenario
	ordered []*Scenario // by name
}

// Scenarios returns the scenarios in name order.
func (s *ScenarioSet) Scenarios() []*Scenario { return s.ordered }

// Lookup finds a scenario by name.
func (s *ScenarioSet) Lookup(name string) (*Scenario, bool) {
	sc, ok := s.byName[name]
	return sc, ok
}

// Names lists the scenario names, for error messages that suggest what exists.
func (s *ScenarioSet) Names() []string {
	names := make([]string, len(s.ordered))
	for i, sc := range s.ordered {
		names[i] = sc.Name
	}
	return names
}

// RequireScenarios refuses a set with no scenario in it: loaded from a folder by mistake
// (a wrong path, a folder emptied by a checkout), it would make every operation succeed
// at once without a word.
func RequireScenarios(set *ScenarioSet, where string) error {
	if len(set.ordered) > 0 {
		return nil
	}
	return &LoadError{Problems: []Problem{{File: where, Msg: "holds no scenario (*.yaml or *.yml files): an empty set would make every operation succeed at once; keep at least one scenario there"}}}
}

// LoadScenarios reads every *.yaml and *.yml file directly under dir in fsys. providers
// are the provider names a scenario may mention. All problems are reported together.
func LoadScenarios(fsys fs.FS, dir string, providers []string) (*ScenarioSet, error) {
	files, err := scenarioFiles(fsys, dir)
	if err != nil {
		return nil, &LoadError{Problems: []Problem{{File: dir, Msg: fmt.Sprintf("cannot read scenario folder: %v", err)}}}
	}
	return loadFiles(fsys, files, func(name string) string { return name }, providers)
}

// LoadScenarioPath reads a scenario folder or a single file from disk. Problems name the
// files by the path given, so that an editor can jump to them.
func LoadScenarioPath(p string, providers []string) (*ScenarioSet, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &LoadError{Problems: []Problem{{File: p, Msg: err.Error()}}}
	}
	if !info.IsDir() {
		dir, file := filepath.Split(p)
		if dir == "" {
			dir = "."
		}
		return loadFiles(os.DirFS(dir), []string{file}, func(string) string { return p }, providers)
	}
	fsys := os.DirFS(p)
	files, err := scenarioFiles(fsys, ".")
	if err != nil {
		return nil, &LoadError{Problems: []Problem{{File: p, Msg: fmt.Sprintf("cannot read scenario folder: %v", err)}}}
	}
	return loadFiles(fsys, files, func(name string) string { return filepath.Join(p, name) }, providers)
}

func scenarioFiles(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		if ext := path.Ext(e.Name()); ext == ".yaml" || ext == ".yml" {
			files = append(files, path.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}

// MaxScenarioFileBytes bounds one scenario file: a scenario is a few dozen lines, and a
// huge file is a mistake that should not cost the process its memory.
const MaxScenarioFileBytes = 1 << 20

func loadFiles(fsys fs.FS, files []string, display func(string) string, providers []string) (*ScenarioSet, error) {
	set := &ScenarioSet{byName: map[string]*Scenario{}}
	var problems []Problem
	for _, file := range files {
		shown := display(file)
		if info, err := fs.Stat(fsys, file); err == nil && info.Size() > MaxScenarioFileBytes {
			problems = append(problems, Problem{File: shown, Msg: fmt.Sprintf("file is %d bytes; a scenario file holds at most %d", info.Size(), MaxScenarioFileBytes)})
			continue
		}
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			problems = append(problems, Problem{File: shown, Msg: err.Error()})
			continue
		}
		sc, ps := ParseScenario(shown, data, providers)
		problems = append(problems, ps...)
		if sc == nil {
			continue
		}
		if prev, dup := set.byName[sc.Name]; dup {
			problems = append(problems, Problem{File: shown, Line: sc.Line,
				Msg: fmt.Sprintf("scenario name %q is already used by %s:%d", sc.Name, prev.Source, prev.Line)})
			continue
		}
		set.byName[sc.Name] = sc
		set.ordered = append(set.ordered, sc)
	}
	sort.Slice(set.ordered, func(i, j int) bool { return set.ordered[i].Name < set.ordered[j].Name })
	problems = append(problems, checkDefaults(set.ordered)...)
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return set, nil
}

// checkDefaults refuses two defaults that claim the same operation, provider and flow:
// which one wins would then depend on file names, which nobody should have to know. A
// default without providers or without a flow claims a wildcard, and a more specific
// default is preferred over it when selecting (see defaultSpecificity).
func checkDefaults(list []*Scenario) []Problem {
	var problems []Problem
	claimed := map[string]*Scenario{}
	for _, sc := range list {
		if !sc.Default {
			continue
		}
		provs := sc.Providers
		if len(provs) == 0 {
			provs = []string{"*"}
		}
		flow := string(sc.When.Flow)
		if flow == "" {
			flow = "*"
		}
		for _, p := range provs {
			key := string(sc.Operation) + "/" + p + "/" + flow
			if prev, ok := claimed[key]; ok {
				scope := "every provider"
				if p != "*" {
					scope = p
				}
				problems = append(problems, Problem{File: sc.Source, Line: sc.Line, Msg: fmt.Sprintf(
					"scenario %q is a second default for %s on %s (the first is %q in %s); keep one default per operation, provider and flow",
					sc.Name, sc.Operation, scope, prev.Name, prev.Source)})
				break
			}
			claimed[key] = sc
		}
	}
	return problems
}

// defaultSpecificity ranks defaults that match the same operation: one narrowed to a flow
// beats one narrowed to providers, which beats one for everything.
func defaultSpecificity(sc *Scenario) int {
	n := 0
	if sc.When.Flow != "" {
		n += 2
	}
	if len(sc.Providers) > 0 {
		n++
	}
	return n
}

var scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// ParseScenario parses and validates one scenario file. It returns the scenario (nil when
// it is unusable) and every problem found, each with the line it is on.
func ParseScenario(file string, data []byte, providers []string) (*Scenario, []Problem) {
	p := &parser{file: file, providers: providers}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, []Problem{{File: file, Line: yamlErrorLine(err), Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	if len(doc.Content) == 0 {
		return nil, []Problem{{File: file, Msg: "file is empty"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []Problem{{File: file, Line: root.Line, Msg: "a scenario file must be a mapping (version, name, operation, ...)"}}
	}
	sc := &Scenario{Source: file, Line: root.Line}
	var statesNode, rejectNode, versionNode *yaml.Node
	version, versionParsed := 0, false
	seen := p.mapping(root, []string{"version", "name", "description", "operation", "providers", "default", "when", "states", "reject", "fault"},
		func(key string, k, v *yaml.Node) {
			switch key {
			case "version":
				n := len(p.problems)
				version, versionNode = p.int(v, "version"), v
				versionParsed = len(p.problems) == n
			case "name":
				sc.Name = p.str(v, "name")
				if sc.Name == "" {
					p.errorf(v, "name must not be empty")
				} else if !scenarioName.MatchString(sc.Name) {
					p.errorf(v, "name %q must be lower case letters, digits, '.', '-' or '_' (it is used in headers and URLs)", sc.Name)
				}
			case "description":
				// Surrounding blank lines and spaces carry nothing in prose shown in
				// listings, and YAML writers do not keep a leading blank line of a block
				// scalar, so a description is kept trimmed.
				sc.Description = strings.TrimSpace(p.str(v, "description"))
			case "operation":
				op := Operation(p.str(v, "operation"))
				if !slices.Contains(operations, op) {
					p.errorf(v, "operation %q is not one of %s", op, joined(operations))
				}
				sc.Operation = op
			case "providers":
				sc.Providers = p.providerList(v)
			case "default":
				sc.Default = p.bool(v, "default")
			case "when":
				sc.When = p.when(v)
			case "states":
				statesNode = v
			case "reject":
				rejectNode = v
			case "fault":
				sc.Fault = p.fault(v)
			}
		})
	switch {
	case !seen["version"]:
		p.errorf(root, "version is missing: start the file with `version: %d`", SchemaVersion)
	case version != SchemaVersion && versionParsed:
		p.errorf(versionNode, "version %d is not supported: this paysim reads scenario version %d", version, SchemaVersion)
	}
	if !seen["name"] {
		p.errorf(root, "name is missing (by convention the file name without .yaml)")
	}
	if !seen["operation"] {
		p.errorf(root, "operation is missing: one of %s", joined(operations))
	}
	switch {
	case statesNode != nil && rejectNode != nil:
		p.errorf(rejectNode, "a scenario has either states or reject, not both")
	case statesNode == nil && rejectNode == nil:
		p.errorf(root, "a scenario needs states (a state machine) or reject (a refusal)")
	case statesNode != nil:
		sc.States = p.states(statesNode, sc.Operation)
	default:
		sc.Reject = p.reject(rejectNode)
	}
	if sc.Reject != nil && sc.Fault != "" {
		p.errorf(root, "a reject scenario refuses the operation and has no answer of its own to fault; put the fault on a scenario with states, or send X-Paysim-Fault")
	}
	if sc.Default && (sc.When.Amount != nil || sc.When.IDPrefix != "") {
		p.errorf(root, "a default scenario may narrow itself only by when.flow; put amount and id_prefix triggers in a scenario without default")
	}
	if sc.When.Flow != "" && sc.Operation != OpPayment && sc.Operation != "" {
		p.errorf(root, "when.flow applies to payments only, not to %s", sc.Operation)
	}
	if len(p.problems) > 0 {
		sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
		return nil, p.problems
	}
	return sc, nil
}

type parser struct {
	file      string
	providers []string
	problems  []Problem
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, Problem{File: p.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)})
}

// mapping walks a mapping node, reporting unknown and repeated keys, and returns the keys seen.
func (p *parser) mapping(n *yaml.Node, known []string, fn func(key string, k, v *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "expected a mapping with keys %s", strings.Join(known, ", "))
		return seen
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !slices.Contains(known, k.Value):
			p.errorf(k, "unknown key %q (expected one of %s)", k.Value, strings.Join(known, ", "))
		case seen[k.Value]:
			p.errorf(k, "key %q is given twice", k.Value)
		default:
			seen[k.Value] = true
			fn(k.Value, k, v)
		}
	}
	return seen
}

// fault reads a fault name, checked against the same grammar headers and the control
// plane use.
func (p *parser) fault(v *yaml.Node) string {
	s, ok := p.scalar(v, "fault")
	if !ok {
		return ""
	}
	f, err := fault.Parse(s)
	if err != nil {
		p.errorf(v, "%v", err)
		return ""
	}
	return f.String()
}

func (p *parser) scalar(v *yaml.Node, what string) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.errorf(v, "%s must be a single value", what)
		return "", false
	}
	return v.Value, true
}

func (p *parser) str(v *yaml.Node, what string) string {
	s, _ := p.scalar(v, what)
	return s
}

func (p *parser) int(v *yaml.Node, what string) int {
	s, ok := p.scalar(v, what)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.errorf(v, "%s must be a whole number, not %q", what, s)
	}
	return n
}

func (p *parser) bool(v *yaml.Node, what string) bool {
	s, ok := p.scalar(v, what)
	if !ok {
		return false
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	p.errorf(v, "%s must be true or false, not %q", what, s)
	return false
}

func (p *parser) provider(v *yaml.Node, name string) bool {
	if len(p.providers) > 0 && !slices.Contains(p.providers, name) {
		p.errorf(v, "unknown provider %q (known: %s)", name, strings.Join(p.providers, ", "))
		return false
	}
	return true
}

func (p *parser) providerList(v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		p.errorf(v, "providers must be a list, e.g. [huifu, umpay]")
		return nil
	}
	var out []string
	for _, item := range v.Content {
		if name := p.str(item, "a provider"); name != "" && p.provider(item, name) {
			out = append(out, name)
		}
	}
	return out
}

func (p *parser) when(v *yaml.Node) When {
	var w When
	p.mapping(v, []string{"amount", "id_prefix", "flow"}, func(key string, _, val *yaml.Node) {
		switch key {
		case "amount":
			s := p.str(val, "when.amount")
			a, err := ParseYuan(s)
			if err != nil {
				p.errorf(val, "when.amount: %v (write yuan as a quoted string, e.g. \"0.03\")", err)
				return
			}
			w.Amount = &a
		case "id_prefix":
			w.IDPrefix = p.str(val, "when.id_prefix")
			if w.IDPrefix == "" {
				p.errorf(val, "when.id_prefix must not be empty")
			}
		case "flow":
			f := Flow(p.str(val, "when.flow"))
			if !slices.Contains(flows, f) {
				p.errorf(val, "when.flow %q is not one of %s", f, joined(flows))
			}
			w.Flow = f
		}
	})
	return w
}

func (p *parser) fields(v *yaml.Node) map[string]map[string]string {
	out := map[string]map[string]string{}
	if v.Kind != yaml.MappingNode {
		p.errorf(v, "fields must map a provider to its field overrides, e.g. {huifu: {bank_message: 余额不足}}")
		return out
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, m := v.Content[i], v.Content[i+1]
		if !p.provider(k, k.Value) {
			continue
		}
		if m.Kind != yaml.MappingNode {
			p.errorf(m, "fields.%s must be a mapping of field names to values", k.Value)
			continue
		}
		fs := map[string]string{}
		for j := 0; j+1 < len(m.Content); j += 2 {
			if val, ok := p.scalar(m.Content[j+1], "fields."+k.Value+"."+m.Content[j].Value); ok {
				fs[m.Content[j].Value] = val
			}
		}
		out[k.Value] = fs
	}
	return out
}

func (p *parser) states(v *yaml.Node, op Operation) []State {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		p.errorf(v, "states must be a non-empty list; the first state is entered on creation")
		return nil
	}
	var states []State
	for _, item := range v.Content {
		st := State{Notify: true, Line: item.Line}
		var untilNode *yaml.Node
		seen := p.mapping(item, []string{"name", "status", "until", "next", "fields", "notify", "duplicate_notify", "fault", "payment"}, func(key string, _, val *yaml.Node) {
			switch key {
			case "name":
				st.Name = p.str(val, "state name")
			case "status":
				st.Status = Status(p.str(val, "status"))
				if !slices.Contains(statuses, st.Status) {
					p.errorf(val, "status %q is not one of processing, success, failed, closed, unknown", st.Status)
				} else if st.Status == StatusClosed && op != OpPayment {
					p.errorf(val, "status closed applies to payments only")
				}
			case "until":
				untilNode = val
				st.Until = p.until(val)
			case "next":
				st.Next = p.str(val, "next")
			case "fields":
				st.Fields = p.fields(val)
			case "notify":
				st.Notify = p.bool(val, "notify")
			case "duplicate_notify":
				st.DuplicateNotify = p.bool(val, "duplicate_notify")
			case "fault":
				st.Fault = p.fault(val)
			case "payment":
				st.Payment = Status(p.str(val, "payment"))
				if st.Payment != StatusSuccess {
					p.errorf(val, "payment %q: the one thing a close's state can say of its payment is success (the payer paid meanwhile)", st.Payment)
				}
			}
		})
		if !seen["name"] {
			p.errorf(item, "every state needs a name")
		}
		if !seen["status"] {
			p.errorf(item, "state %q needs a status", st.Name)
		}
		if st.Next != "" && !st.Until.set() {
			p.errorf(item, "state %q has next but no until, so it would never be left; add until: {queries: N} or {elapsed: 30s}", st.Name)
		}
		if untilNode != nil && st.Next == "" {
			p.errorf(untilNode, "state %q has until but no next state to go to", st.Name)
		}
		if st.Payment != "" && (op != OpClose || st.Status != StatusFailed) {
			p.errorf(item, "state %q: payment: applies to a failed state of a close (the close failed because the payer paid meanwhile)", st.Name)
		}
		if st.DuplicateNotify && !st.Notify {
			p.errorf(item, "state %q asks for a duplicate notification but has notify: false", st.Name)
		}
		if st.Next != "" && st.Status.Final() {
			p.errorf(item, "state %q is final (%s) and cannot move on to %q", st.Name, st.Status, st.Next)
		}
		states = append(states, st)
	}
	index := map[string]int{}
	for i, st := range states {
		if _, dup := index[st.Name]; dup && st.Name != "" {
			p.problems = append(p.problems, Problem{File: p.file, Line: st.Line, Msg: fmt.Sprintf("state name %q is used twice", st.Name)})
		}
		index[st.Name] = i
	}
	for _, st := range states {
		if _, ok := index[st.Next]; st.Next != "" && !ok {
			p.problems = append(p.problems, Problem{File: p.file, Line: st.Line, Msg: fmt.Sprintf("state %q goes to %q, which is not a state of this scenario", st.Name, st.Next)})
		}
	}
	// Each state has at most one next, so following next from any state either ends or
	// loops; a loop can never be left.
	for start := range states {
		seen := map[int]bool{}
		for i := start; i >= 0 && states[i].Next != ""; {
			if seen[i] {
				p.problems = append(p.problems, Problem{File: p.file, Line: states[start].Line,
					Msg: fmt.Sprintf("states starting at %q loop forever (no state in the loop is left for a final one)", states[start].Name)})
				return states
			}
			seen[i] = true
			n, ok := index[states[i].Next]
			if !ok {
				break
			}
			i = n
		}
	}
	return states
}

func (p *parser) until(v *yaml.Node) Until {
	var u Until
	p.mapping(v, []string{"queries", "elapsed"}, func(key string, _, val *yaml.Node) {
		switch key {
		case "queries":
			u.Queries = p.int(val, "until.queries")
			if u.Queries < 1 {
				p.errorf(val, "until.queries must be at least 1")
			}
		case "elapsed":
			s := p.str(val, "until.elapsed")
			d, err := time.ParseDuration(s)
			if err != nil || d <= 0 {
				p.errorf(val, "until.elapsed %q must be a positive duration such as 30s or 5m", s)
			}
			u.Elapsed = d
		}
	})
	return u
}

func (p *parser) reject(v *yaml.Node) *Reject {
	r := &Reject{}
	seen := p.mapping(v, []string{"error", "fields"}, func(key string, _, val *yaml.Node) {
		switch key {
		case "error":
			r.Error = ErrorKind(p.str(val, "reject.error"))
			if !slices.Contains(errorKinds, r.Error) {
				names := make([]string, len(errorKinds))
				for i, k := range errorKinds {
					names[i] = string(k)
				}
				p.errorf(val, "reject.error %q is not one of %s", r.Error, strings.Join(names, ", "))
			}
		case "fields":
			r.Fields = p.fields(val)
		}
	})
	if !seen["error"] {
		p.errorf(v, "reject needs an error, e.g. error: insufficient_refundable_balance")
	}
	return r
}

// joined lists names for a message, e.g. "payment, refund, close".
func joined[T ~string](names []T) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return strings.Join(out, ", ")
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}
