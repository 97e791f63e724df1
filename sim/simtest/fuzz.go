package simtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// FuzzKeyBits is the size of the platform keys FastKeys makes. The shipped keys are
// 2048 bits: one answer signature costs 0.8 ms, and a fuzz target that signs every answer
// spends its run in modular arithmetic. A 512-bit signature costs 0.07 ms (1024 bits:
// 0.33 ms). crypto/rsa refuses keys under 1024 bits unless the test binary carries
// `//go:debug rsa1024min=0`, which the fuzz_test.go of each provider package does: such
// a key is only ever made inside a test.
const FuzzKeyBits = 512

// FastKeys is the repository's keys/ tree in memory with the private key file name
// (e.g. "huifu/platform_private.pem") replaced by a freshly generated FuzzKeyBits-bit
// key, which it returns: a provider built over it signs its answers ten times faster.
// Every other file (the merchant keys the vectors are signed with) is the shipped one.
func FastKeys(tb testing.TB, name string) (fs.FS, *rsa.PrivateKey) {
	tb.Helper()
	tree := keyTree(tb)
	if tree[name] == nil {
		tb.Fatalf("keys/%s does not exist", name)
	}
	return tree, replaceKey(tb, tree, name)
}

// FastPlatformKeys is FastKeys with the platform key of every provider replaced, for a
// target that builds them all (the control plane, paysim.New).
func FastPlatformKeys(tb testing.TB) fs.FS {
	tb.Helper()
	tree := keyTree(tb)
	for name := range tree {
		if path.Base(name) == "platform_private.pem" {
			replaceKey(tb, tree, name)
		}
	}
	return tree
}

func keyTree(tb testing.TB) fstest.MapFS {
	tree := fstest.MapFS{}
	err := fs.WalkDir(Keys(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Keys(), name)
		if err != nil {
			return err
		}
		tree[name] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tree
}

func replaceKey(tb testing.TB, tree fstest.MapFS, name string) *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, FuzzKeyBits)
	if err != nil {
		tb.Fatalf("%v (a test file of the package needs `//go:debug rsa1024min=0`)", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	tree[name] = &fstest.MapFile{Data: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), Mode: 0o644}
	return key
}

// Handlers maps every path of m to its handler: what the server routes there, without
// building the whole server (Echo, the control plane) for every fuzz input.
func Handlers(m gateway.Mounts) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, r := range m.Routes {
		for _, path := range r.Paths {
			out[path] = r.Handler
		}
	}
	return out
}

// ErrorLog is a logger for fuzz targets that keeps every error-level record. The
// pipeline answers a panicking endpoint in the provider's own shape (its recover step),
// so an answer alone cannot tell a fuzz target that something broke: the log can.
type ErrorLog struct {
	mu      sync.Mutex
	records []string
}

// NewErrorLog returns the logger to build the simulator with and the log it fills.
func NewErrorLog() (*slog.Logger, *ErrorLog) {
	l := &ErrorLog{}
	return slog.New(errorHandler{log: l}), l
}

// Take returns the error records logged since the last call, and forgets them.
func (l *ErrorLog) Take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.records
	l.records = nil
	return out
}

// Check fails tb with the error records logged since the last call, if any.
func (l *ErrorLog) Check(tb testing.TB, input any) {
	tb.Helper()
	if rs := l.Take(); len(rs) > 0 {
		tb.Fatalf("an error was logged for %q:\n%s", input, strings.Join(rs, "\n"))
	}
}

type errorHandler struct {
	log   *ErrorLog
	attrs []slog.Attr
}

func (h errorHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= slog.LevelError
}

func (h errorHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	h.log.mu.Lock()
	h.log.records = append(h.log.records, b.String())
	h.log.mu.Unlock()
	return nil
}

func (h errorHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return errorHandler{log: h.log, attrs: append(append([]slog.Attr(nil), h.attrs...), attrs...)}
}

func (h errorHandler) WithGroup(string) slog.Handler { return h }

// Walk takes one request through every step of proto as the pipeline would, without
// HTTP and without the signature check, so that a fuzz target reaches the validators at
// thousands of inputs a second: decode; describe for each path; authenticate (identity
// says whether what it left in the request agrees with known); every refusal the
// pipeline can make; admit; the scenario check; then every endpoint. check judges every
// answer rendered on the way.
func Walk[Q any, A gateway.Answer](t *testing.T, core *sim.Simulator, proto gateway.Protocol[Q, A], in *gateway.Inbound,
	paths []string, serves []gateway.Endpoint[Q, A], identity func(q Q, known bool) bool, check func(A)) {
	t.Helper()
	req, rep, ok := proto.Decode(in)
	if !ok {
		check(rep)
		return
	}
	for _, p := range paths {
		_ = proto.Describe(req, p)
	}
	if known, err := proto.Authenticate(req, false); known == (err != nil) || !identity(req, known) {
		t.Fatalf("Authenticate(%q) = %v, %v, and the identity it left does not agree", in.Body, known, err)
	}
	for kind := gateway.RefuseMethod; kind <= gateway.RefuseInternal; kind++ {
		check(proto.Refuse(req, gateway.Refusal{Kind: kind, Detail: "fuzz"}))
	}
	if rep, ok := proto.Admit(req); !ok {
		check(rep)
		return
	}
	if core.CheckScenarioHeader(in.Scenario) != nil {
		return // refused by the pipeline in the provider's shape, checked above
	}
	for _, p := range paths {
		_ = proto.Describe(req, p)
	}
	for _, serve := range serves {
		check(serve(req))
	}
}

// FuzzEnv builds a fresh simulator and provider for every fuzz input, so that a failure
// replays from its input alone. P is the provider's type.
type FuzzEnv[P any] struct {
	keys      fs.FS
	scenarios *sim.ScenarioSet
	logger    *slog.Logger
	build     func(*sim.Simulator, fs.FS) (P, error)
}

// NewFuzzEnv loads the shipped scenarios once; build is the provider's New.
func NewFuzzEnv[P any](f *testing.F, keys fs.FS, logger *slog.Logger, build func(*sim.Simulator, fs.FS) (P, error)) FuzzEnv[P] {
	f.Helper()
	set, err := sim.LoadScenarios(Scenarios(), ".", Providers)
	if err != nil {
		f.Fatal(err)
	}
	return FuzzEnv[P]{keys: keys, scenarios: set, logger: logger, build: build}
}

// Provider is a new simulator on a virtual clock and the provider over it.
func (fe FuzzEnv[P]) Provider(t *testing.T) (*sim.Simulator, P) {
	t.Helper()
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)), sim.WithScenarios(fe.scenarios, nil), sim.WithLogger(fe.logger))
	p, err := fe.build(core, fe.keys)
	if err != nil {
		t.Fatal(err)
	}
	return core, p
}

// FuzzServer is a provider's routes mounted on a pipeline of their own, for a fuzz target
// that sends every input through the real pipeline without a listening server.
type FuzzServer map[string]http.Handler

// NewFuzzServer mounts p over core in mode, with a small journal.
func NewFuzzServer(core *sim.Simulator, p gateway.Provider, mode gateway.VerifyMode) FuzzServer {
	return FuzzServer(Handlers(p.Mount(gateway.New(core, mode, gateway.WithJournalSize(16)))))
}

// Post sends body to path with header and returns the answer, which must be HTTP 200: a
// provider path answers every business, validation and signature outcome that way.
func (s FuzzServer) Post(t *testing.T, path string, header http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	h, ok := s[path]
	if !ok {
		t.Fatalf("no route %s", path)
	}
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	for k, vs := range header {
		r.Header[k] = vs
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d on %s for %q", w.Code, path, body)
	}
	return w
}
