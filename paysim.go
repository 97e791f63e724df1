// Package paysim runs the paysim payment-provider simulator inside a Go program: Huifu
// 汇付斗拱, Huishouqian 慧收钱, Shouqianba 收钱吧 and Umpay 联动优势 on their real paths,
// with answers signed the way the official SDKs verify them, and YAML scenarios driving
// every payment, refund and close.
//
// A Server is an http.Handler. Serve it on a listener of your own, or use package
// paysimtest, which starts one per test on a virtual clock.
//
//	srv, err := paysim.New(paysim.WithVirtualClock(time.Time{}), paysim.WithSeed(42))
//	if err != nil { ... }
//	defer srv.Close(context.Background())
//	http.ListenAndServe("127.0.0.1:8700", srv)
package paysim

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/outbound"
)

// VerifyMode says what paysim does with a request whose signature does not verify.
type VerifyMode = gateway.VerifyMode

const (
	VerifyStrict = gateway.VerifyStrict // refuse it with the provider's signature error (the default)
	VerifyLog    = gateway.VerifyLog    // log the failure and serve the request anyway
	VerifyOff    = gateway.VerifyOff    // do not check signatures at all
)

// ParseVerifyMode checks a verify mode's name: strict, log or off.
func ParseVerifyMode(s string) (VerifyMode, error) { return gateway.ParseVerifyMode(s) }

// DefaultVirtualStart is where a virtual clock starts unless told otherwise:
// 2026-01-01 10:00 Beijing time.
var DefaultVirtualStart = sim.DefaultVirtualStart

// Server is one simulator with every provider and the control plane (/__paysim/) behind
// one http.Handler. It is safe for concurrent use.
type Server struct {
	core      *sim.Simulator
	gw        *gateway.Gateway
	handler   http.Handler
	providers []string
	px        *proxyMode

	state *stateKeeper // nil without WithStateFile (state.go)

	closeOnce sync.Once
	abandoned []sim.Notification
}

type options struct {
	keys        fs.FS
	scenarios   fs.FS
	scenarioDir string
	clock       sim.Clock
	seed        int64
	verify      VerifyMode
	logger      *slog.Logger
	config      *config
	configErr   error
	settings    map[string]map[string]string
	notifyAllow []string
	notifyRT    http.RoundTripper
	version     string
	hints       Hints
	gateway     []gateway.Option
	guard       control.Guard
	maxEntities int
	caDir       string
	// statePath and stateInterval are WithStateFile's (state.go).
	statePath     string
	stateInterval time.Duration
}

// Option configures a Server.
type Option func(*options)

// WithKeys replaces the embedded test keys with a tree shaped like the project's keys/
// folder (huifu/platform_private.pem and so on).
func WithKeys(keys fs.FS) Option { return func(o *options) { o.keys = keys } }

// WithScenarios replaces the embedded scenario set with the *.yaml files of fsys.
func WithScenarios(fsys fs.FS) Option {
	return func(o *options) { o.scenarios, o.scenarioDir = fsys, "" }
}

// WithScenarioDir replaces the embedded scenario set with the folder dir, which the
// control plane can reload while paysim runs.
func WithScenarioDir(dir string) Option {
	return func(o *options) { o.scenarios, o.scenarioDir = nil, dir }
}

// WithVirtualClock runs paysim on a virtual clock that moves only when told to (through
// the control plane or paysimtest), starting at start (zero: DefaultVirtualStart).
func WithVirtualClock(start time.Time) Option {
	return func(o *options) {
		if start.IsZero() {
			start = DefaultVirtualStart
		}
		o.clock = sim.NewVirtualClock(start)
	}
}

// WithSeed seeds every generated value (ids, wallet order numbers, buyer ids), so that a
// run replays byte for byte. The default is 1.
func WithSeed(seed int64) Option { return func(o *options) { o.seed = seed } }

// WithVerify sets the verify mode (default VerifyStrict).
func WithVerify(mode VerifyMode) Option { return func(o *options) { o.verify = mode } }

// WithLogger sets where paysim logs (default: nowhere).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithConfig registers your own merchants and keys: data is the content of a paysim.yaml
// (one section per provider, see the README), and dir the folder its relative key file
// names are read from.
func WithConfig(data []byte, dir string) Option {
	return func(o *options) {
		o.config, o.configErr = parseConfig("paysim.yaml", dir, data)
	}
}

// WithConfigFile is WithConfig with the content and folder of the file at path.
func WithConfigFile(path string) Option {
	return func(o *options) {
		data, err := readCapped(path, maxConfigBytes)
		if err != nil {
			o.configErr = err
			return
		}
		o.config, o.configErr = parseConfig(path, filepath.Dir(path), data)
	}
}

// WithSetting sets a provider switch by name, overriding paysim.yaml: for example
// WithSetting("huishouqian", "success_as_string", "true") (HQ-A1 in docs/protocols.md).
func WithSetting(provider, name, value string) Option {
	return func(o *options) {
		if o.settings[provider] == nil {
			o.settings[provider] = map[string]string{}
		}
		o.settings[provider][name] = value
	}
}

// WithNotifyAllow lets notifications reach these hosts (host or host:port) besides
// loopback addresses, which are always allowed.
func WithNotifyAllow(hosts ...string) Option {
	return func(o *options) { o.notifyAllow = append(o.notifyAllow, hosts...) }
}

// WithNotifyTransport sends notifications through rt instead of paysim's guarded
// transport; the loopback rule still applies before any attempt.
func WithNotifyTransport(rt http.RoundTripper) Option { return func(o *options) { o.notifyRT = rt } }

// WithJournalSize bounds the request journal (default 10,000 entries); the oldest are
// dropped first, and the number dropped is reported.
func WithJournalSize(n int) Option {
	return func(o *options) { o.gateway = append(o.gateway, gateway.WithJournalSize(n)) }
}

// WithFaultMaxHold bounds how long a timeout fault holds a connection with no answer
// (default 2m).
func WithFaultMaxHold(d time.Duration) Option {
	return func(o *options) { o.gateway = append(o.gateway, gateway.WithFaultMaxHold(d)) }
}

// WithMaxEntities bounds the payments, refunds and closes held (default 200,000): when
// full, the oldest finished payments are forgotten with their refunds and closes, and a
// lookup of one says it was evicted; with nothing finished, a creation is refused with
// the provider's system error.
func WithMaxEntities(n int) Option { return func(o *options) { o.maxEntities = n } }

// WithAdminToken requires every control-plane call to carry Authorization: Bearer token.
// Provider paths stay open, as the real gateways are.
func WithAdminToken(token string) Option { return func(o *options) { o.guard.Token = token } }

// WithControlHosts lets the control plane answer requests whose Host is one of these
// names, besides loopback ones (by default any other Host is refused: DNS rebinding).
func WithControlHosts(hosts ...string) Option {
	return func(o *options) { o.guard.Hosts = append(o.guard.Hosts, hosts...) }
}

// WithRemoteControl lets the control plane answer any Host, for a paysim bound beyond
// loopback; New refuses it without WithAdminToken.
func WithRemoteControl() Option { return func(o *options) { o.guard.AnyHost = true } }

// WithVersion sets the version the health check reports.
func WithVersion(v string) Option { return func(o *options) { o.version = v } }

// Hints say, in the embedding program's words, how a user changes what paysim refused:
// the command names its flags, a Go program its options.
type Hints struct {
	VirtualClock string                   // for a clock move refused on the real clock
	ScenarioDir  string                   // for a reload refused with no scenario folder
	MaxEntities  string                   // for a creation refused or an evicted id, when full
	NotifyAllow  func(host string) string // for a notification refused as not loopback
	CADir        string                   // for proxy mode when the user's config folder is unknown
}

// WithHints replaces the default hints, which name this package's options.
func WithHints(h Hints) Option { return func(o *options) { o.hints = h } }

// New builds a Server. With no options it is the simulator `paysim` runs: the embedded
// test keys and scenarios, the real clock, seed 1, strict verification.
func New(opts ...Option) (*Server, error) {
	o := &options{seed: 1, verify: VerifyStrict, settings: map[string]map[string]string{}, version: "dev",
		hints: Hints{
			VirtualClock: "build the server with paysim.WithVirtualClock",
			MaxEntities:  "build the server with a larger paysim.WithMaxEntities",
			ScenarioDir:  "build the server with paysim.WithScenarioDir",
			NotifyAllow:  func(host string) string { return fmt.Sprintf("add paysim.WithNotifyAllow(%q)", host) },
			CADir:        "build the server with paysim.WithCADir",
		}}
	for _, opt := range opts {
		opt(o)
	}
	if o.configErr != nil {
		return nil, o.configErr
	}
	if o.guard.AnyHost && o.guard.Token == "" {
		return nil, fmt.Errorf("a control plane open beyond loopback needs an admin token: anyone who reaches it could reset, seed and move the clock")
	}
	if _, err := gateway.ParseVerifyMode(string(o.verify)); err != nil {
		return nil, err
	}
	if o.keys == nil {
		o.keys = DefaultKeys()
	}
	if o.clock == nil {
		o.clock = sim.RealClock{}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	set, reload, err := o.loadScenarios()
	if err != nil {
		return nil, err
	}
	send := []outbound.Option{outbound.WithAllow(o.notifyAllow...), outbound.WithHint(o.hints.NotifyAllow)}
	if o.notifyRT != nil {
		send = append(send, outbound.WithTransport(o.notifyRT))
	}
	core := sim.New(sim.WithClock(o.clock), sim.WithSeed(o.seed), sim.WithLogger(o.logger), sim.WithMaxEntities(o.maxEntities),
		sim.WithScenarios(set, reload), sim.WithSender(outbound.New(send...)),
		sim.WithHints(sim.Hints{VirtualClock: o.hints.VirtualClock, ScenarioDir: o.hints.ScenarioDir, MaxEntities: o.hints.MaxEntities}))
	providers := make([]gateway.Provider, 0, len(registry))
	s := &Server{core: core}
	for _, plug := range registry {
		p, err := plug.Build(core, o.keys, o.config.section(plug.Name, o.settings[plug.Name]))
		if err != nil {
			return nil, err // it names the provider, the file and the entry
		}
		providers = append(providers, p)
		s.providers = append(s.providers, plug.Name)
	}
	for name := range o.settings {
		if !s.serves(name) {
			return nil, fmt.Errorf("setting for %q: not a provider (providers: %v)", name, s.providers)
		}
	}
	var withMetrics server.Option
	s.gw, withMetrics = instrument(core, o.verify, o.gateway, providers)
	if s.handler, err = server.New(s.gw, providers, o.version, server.WithGuard(o.guard), withMetrics); err != nil {
		return nil, err
	}
	s.handler = s.withProxy(o, s.handler)
	if err := s.openState(o, providers); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) serves(name string) bool {
	for _, p := range s.providers {
		if p == name {
			return true
		}
	}
	return false
}

func (o *options) loadScenarios() (*sim.ScenarioSet, func() (*sim.ScenarioSet, error), error) {
	if o.scenarioDir != "" {
		dir := o.scenarioDir
		load := func() (*sim.ScenarioSet, error) {
			set, err := sim.LoadScenarioPath(dir, Providers())
			if err != nil {
				return nil, err
			}
			return set, sim.RequireScenarios(set, dir)
		}
		set, err := load()
		if err != nil {
			return nil, nil, fmt.Errorf("loading scenarios:\n%w", err)
		}
		return set, load, nil
	}
	fsys := o.scenarios
	if fsys == nil {
		fsys = DefaultScenarios()
	}
	set, err := sim.LoadScenarios(fsys, ".", Providers())
	if err == nil {
		err = sim.RequireScenarios(set, "the scenario set")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("loading scenarios:\n%w", err)
	}
	return set, nil, nil
}

// ServeHTTP answers provider paths and the control plane, and, in proxy mode, CONNECT
// and absolute-form requests for the providers' hosts.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Core is the provider-neutral simulator behind the server: its ledger, clock and
// notification journal, for Go code that inspects them directly.
func (s *Server) Core() *sim.Simulator { return s.core }

// Providers lists the providers this server serves.
func (s *Server) Providers() []string { return append([]string(nil), s.providers...) }

// Verify is the verify mode in force.
func (s *Server) Verify() VerifyMode { return s.gw.Verify() }

// Drain ends at once every answer a fault is holding back (timeout, delay), and every one
// it would hold from now on, and closes proxy mode's tunnels once their request in flight
// is answered. A server shutting down calls it first: http.Server.Shutdown would otherwise
// wait for the held answers, and it does not track tunnels at all.
func (s *Server) Drain() { s.gw.Drain(); s.px.front.Drain() }

// Close stops the clock's scheduler and waits, until ctx ends, for notification attempts
// under way; notifications still waiting for an attempt are abandoned (with
// WithStateFile, the state is written first, so they are sent after a restart). It
// reports a failure of that write, or ctx's error if ctx ended first. Closing again does
// nothing.
func (s *Server) Close(ctx context.Context) error {
	_, err := s.Shutdown(ctx)
	return err
}

// Shutdown is Close that also returns the notifications abandoned, for a caller that
// reports them.
func (s *Server) Shutdown(ctx context.Context) ([]sim.Notification, error) {
	s.closeOnce.Do(func() {
		s.Drain()
		s.closeState() // the last write, before the outbox abandons what is pending
		s.abandoned = s.core.Close(ctx)
	})
	if err := s.stateError(); err != nil {
		return s.abandoned, err
	}
	return s.abandoned, ctx.Err()
}

func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes; a configuration file holds at most %d", path, st.Size(), limit)
	}
	data := make([]byte, st.Size())
	_, err = io.ReadFull(f, data)
	return data, err
}
