package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
)

// version is set at build time with -ldflags "-X main.version=..."; otherwise the module
// version, or "dev".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

const usage = `paysim: a local simulator of Huifu, Huishouqian, Shouqianba and Umpay.

Usage:
  paysim [serve] [flags]            serve on --addr (default 127.0.0.1:8700)
  paysim scenarios validate [PATH]  check a scenario folder or file (default: the embedded set)
  paysim state inspect FILE         summarise a --state file
  paysim ca path|cert [--ca-dir D]  print proxy mode's CA certificate: its file, or the PEM
  paysim version                    print the version

Flags of serve (each also read from the PAYSIM_* variable shown):
`

// run is the whole command with every side effect passed in, so that it is tested like
// any other function. It returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			args = args[1:]
		case "scenarios":
			return scenariosCmd(args[1:], stdout, stderr)
		case "state":
			return stateCmd(args[1:], stdout, stderr)
		case "ca":
			return caCmd(args[1:], getenv, stdout, stderr)
		case "version", "--version":
			fmt.Fprintln(stdout, "paysim", buildVersion())
			return 0
		case "help", "-h", "--help":
			printUsage(stdout, newFlags(getenv, io.Discard))
			return 0
		}
	}
	cfg := newFlags(getenv, stderr)
	if err := cfg.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	for _, name := range []string{"seed", "journal-size", "fault-max-hold", "max-entities", "read-timeout", "write-timeout", "idle-timeout", "max-conns", "state-interval"} {
		if err := cfg.envErrs[name]; err != nil && !flagSet(cfg.fs, name) {
			fmt.Fprintln(stderr, "paysim:", err)
			return 2
		}
	}
	if cfg.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paysim: unexpected argument %q\n", cfg.fs.Arg(0))
		printUsage(stderr, cfg)
		return 2
	}
	if err := serve(ctx, cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "paysim:", err)
		return 1
	}
	return 0
}

// hostList is a repeatable flag of hosts.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(v string) error {
	if strings.TrimSpace(v) == "" || strings.Contains(v, "/") {
		return fmt.Errorf("%q is not HOST or HOST:PORT", v)
	}
	*h = append(*h, strings.TrimSpace(v))
	return nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

type config struct {
	fs         *flag.FlagSet
	addr       string
	scenarios  string
	keys       string
	clock      string
	clockStart string
	seed       int64
	envErrs    map[string]error // by flag: a PAYSIM_* value that cannot be its default
	verify     string
	logLevel   string
	allow      hostList
	configPath string
	// hsqSuccessAsString makes Huishouqian answer "success":"true" for the C# client.
	hsqSuccessAsString bool
	journalSize        int
	faultMaxHold       time.Duration
	maxEntities        int
	allowRemote        bool
	adminToken         string
	readTimeout        time.Duration
	writeTimeout       time.Duration
	idleTimeout        time.Duration
	maxConns           int
	logFormat          string
	state              stateFlags // state.go
	caDir              string
}

func newFlags(getenv func(string) string, out io.Writer) *config {
	c := &config{fs: flag.NewFlagSet("paysim", flag.ContinueOnError), envErrs: map[string]error{}}
	c.fs.SetOutput(out)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c.fs.StringVar(&c.addr, "addr", env("PAYSIM_ADDR", "127.0.0.1:8700"), "listen address (PAYSIM_ADDR)")
	c.fs.StringVar(&c.scenarios, "scenarios", env("PAYSIM_SCENARIOS", ""), "scenario folder, replacing the embedded set; reloadable (PAYSIM_SCENARIOS)")
	c.fs.StringVar(&c.configPath, "config", env("PAYSIM_CONFIG", ""), "paysim.yaml listing your own merchants and keys (PAYSIM_CONFIG; default: ./paysim.yaml if present)")
	c.fs.StringVar(&c.keys, "keys", env("PAYSIM_KEYS", ""), "key folder shaped like keys/, replacing the embedded test keys (PAYSIM_KEYS)")
	c.fs.StringVar(&c.clock, "clock", env("PAYSIM_CLOCK", "real"), "real, or virtual: moves only through POST /__paysim/clock (PAYSIM_CLOCK)")
	c.fs.StringVar(&c.clockStart, "clock-start", env("PAYSIM_CLOCK_START", sim.DefaultVirtualStart.Format(time.RFC3339)), "where a virtual clock starts, RFC 3339 (PAYSIM_CLOCK_START)")
	seed, err := strconv.ParseInt(env("PAYSIM_SEED", "1"), 10, 64)
	if err != nil {
		c.envErrs["seed"] = fmt.Errorf("PAYSIM_SEED %q is not an integer", getenv("PAYSIM_SEED"))
	}
	c.fs.Int64Var(&c.seed, "seed", seed, "seed of every generated value (PAYSIM_SEED)")
	c.fs.StringVar(&c.verify, "verify", env("PAYSIM_VERIFY", "strict"), "request signatures: strict, log (serve anyway) or off (PAYSIM_VERIFY)")
	c.fs.StringVar(&c.logLevel, "log-level", env("PAYSIM_LOG_LEVEL", "info"), "debug (one line a request), info, warn or error (PAYSIM_LOG_LEVEL)")
	if v := getenv("PAYSIM_NOTIFY_ALLOW"); v != "" {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				c.allow = append(c.allow, h)
			}
		}
	}
	hsqString, _ := strconv.ParseBool(env("PAYSIM_HUISHOUQIAN_SUCCESS_AS_STRING", "false"))
	c.fs.BoolVar(&c.hsqSuccessAsString, "huishouqian-success-as-string", hsqString,
		`Huishouqian answers "success":"true" instead of true, for C# clients (PAYSIM_HUISHOUQIAN_SUCCESS_AS_STRING)`)
	c.fs.IntVar(&c.journalSize, "journal-size", envInt(getenv, "PAYSIM_JOURNAL_SIZE", 10000, c.envErrs, "journal-size"),
		"requests the journal keeps; the oldest are dropped first (PAYSIM_JOURNAL_SIZE)")
	c.fs.DurationVar(&c.faultMaxHold, "fault-max-hold", envDuration(getenv, "PAYSIM_FAULT_MAX_HOLD", 2*time.Minute, c.envErrs, "fault-max-hold"),
		"longest a timeout fault holds a connection with no answer (PAYSIM_FAULT_MAX_HOLD)")
	c.fs.IntVar(&c.maxEntities, "max-entities", envInt(getenv, "PAYSIM_MAX_ENTITIES", 200000, c.envErrs, "max-entities"),
		"payments, refunds and closes held; when full the oldest finished are forgotten (PAYSIM_MAX_ENTITIES)")
	remote, _ := strconv.ParseBool(env("PAYSIM_ALLOW_REMOTE", "false"))
	c.fs.BoolVar(&c.allowRemote, "allow-remote", remote, "allow --addr beyond loopback; needs --admin-token (PAYSIM_ALLOW_REMOTE)")
	c.fs.StringVar(&c.adminToken, "admin-token", env("PAYSIM_ADMIN_TOKEN", ""), "bearer token the control plane requires (PAYSIM_ADMIN_TOKEN; prefer the variable: flags show in ps)")
	c.fs.DurationVar(&c.readTimeout, "read-timeout", envDuration(getenv, "PAYSIM_READ_TIMEOUT", 30*time.Second, c.envErrs, "read-timeout"),
		"longest a client may take to send a whole request (PAYSIM_READ_TIMEOUT)")
	c.fs.DurationVar(&c.writeTimeout, "write-timeout", envDuration(getenv, "PAYSIM_WRITE_TIMEOUT", time.Minute, c.envErrs, "write-timeout"),
		"longest an answer may take; faults and long polls have their own bounds (PAYSIM_WRITE_TIMEOUT)")
	c.fs.DurationVar(&c.idleTimeout, "idle-timeout", envDuration(getenv, "PAYSIM_IDLE_TIMEOUT", 2*time.Minute, c.envErrs, "idle-timeout"),
		"longest a keep-alive connection may sit idle (PAYSIM_IDLE_TIMEOUT)")
	c.fs.IntVar(&c.maxConns, "max-conns", envInt(getenv, "PAYSIM_MAX_CONNS", 1024, c.envErrs, "max-conns"),
		"connections served at once; more wait to be accepted (PAYSIM_MAX_CONNS)")
	c.fs.StringVar(&c.logFormat, "log-format", env("PAYSIM_LOG_FORMAT", "text"), "text or json (PAYSIM_LOG_FORMAT)")
	c.fs.StringVar(&c.caDir, "ca-dir", env("PAYSIM_CA_DIR", ""), "folder of proxy mode's local test CA, created on first use (PAYSIM_CA_DIR; default: paysim under the user's config folder)")
	c.state.register(c, getenv)
	c.fs.Var(&c.allow, "notify-allow", "HOST[:PORT] notifications may go to besides loopback; repeatable (PAYSIM_NOTIFY_ALLOW, comma-separated)")
	c.fs.Usage = func() { printUsage(out, c) }
	return c
}

// envInt reads a whole-number default from the environment; a value that is not one is
// kept in bad under the flag's name, reported unless the flag itself is given.
func envInt(getenv func(string) string, name string, def int, bad map[string]error, flagName string) int {
	v := getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		bad[flagName] = fmt.Errorf("%s %q is not a whole number", name, v)
		return def
	}
	return n
}

// envDuration is envInt for durations.
func envDuration(getenv func(string) string, name string, def time.Duration, bad map[string]error, flagName string) time.Duration {
	v := getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		bad[flagName] = fmt.Errorf("%s %q is not a duration such as 2m", name, v)
		return def
	}
	return d
}

func printUsage(w io.Writer, c *config) {
	fmt.Fprint(w, usage)
	c.fs.SetOutput(w)
	c.fs.PrintDefaults()
}

// options turns the flags into the options of paysim.New. Wording about flags lives
// here: the library names its options, the command its flags.
func options(cfg *config, logger *slog.Logger) ([]paysim.Option, error) {
	verify, err := paysim.ParseVerifyMode(cfg.verify)
	if err != nil {
		return nil, fmt.Errorf("--verify: %w", err)
	}
	if cfg.journalSize < 1 {
		return nil, fmt.Errorf("--journal-size %d must be at least 1", cfg.journalSize)
	}
	if cfg.faultMaxHold <= 0 {
		return nil, fmt.Errorf("--fault-max-hold %s must be positive", cfg.faultMaxHold)
	}
	if cfg.maxEntities < 1 {
		return nil, fmt.Errorf("--max-entities %d must be at least 1", cfg.maxEntities)
	}
	for name, d := range map[string]time.Duration{"--read-timeout": cfg.readTimeout, "--write-timeout": cfg.writeTimeout, "--idle-timeout": cfg.idleTimeout} {
		if d <= 0 {
			return nil, fmt.Errorf("%s %s must be positive", name, d)
		}
	}
	if cfg.maxConns < 1 {
		return nil, fmt.Errorf("--max-conns %d must be at least 1", cfg.maxConns)
	}
	opts := []paysim.Option{paysim.WithSeed(cfg.seed), paysim.WithVerify(verify), paysim.WithLogger(logger),
		paysim.WithJournalSize(cfg.journalSize), paysim.WithFaultMaxHold(cfg.faultMaxHold), paysim.WithMaxEntities(cfg.maxEntities),
		paysim.WithVersion(buildVersion()), paysim.WithNotifyAllow(cfg.allow...),
		paysim.WithHints(paysim.Hints{
			VirtualClock: "start paysim with --clock virtual",
			ScenarioDir:  "start paysim with --scenarios DIR to reload from a folder",
			NotifyAllow:  func(host string) string { return "start paysim with --notify-allow " + host },
			MaxEntities:  "start paysim with a larger --max-entities",
			CADir:        "start paysim with --ca-dir DIR (or PAYSIM_CA_DIR)",
		})}
	switch {
	case !loopbackAddr(cfg.addr) && !cfg.allowRemote:
		return nil, fmt.Errorf("--addr %s is not a loopback address: every payment paysim holds and its control plane would be open to that network; to mean it, add --allow-remote and an admin token (PAYSIM_ADMIN_TOKEN)", cfg.addr)
	case !loopbackAddr(cfg.addr) && cfg.adminToken == "":
		return nil, fmt.Errorf("--allow-remote needs an admin token (--admin-token or PAYSIM_ADMIN_TOKEN): the control plane can reset, seed and move the clock")
	case !loopbackAddr(cfg.addr):
		opts = append(opts, paysim.WithRemoteControl())
	default:
		opts = append(opts, paysim.WithControlHosts(hostOf(cfg.addr)))
	}
	if cfg.adminToken != "" {
		opts = append(opts, paysim.WithAdminToken(cfg.adminToken))
	}
	switch cfg.clock {
	case "real":
	case "virtual":
		start, err := time.Parse(time.RFC3339, cfg.clockStart)
		if err != nil {
			return nil, fmt.Errorf("--clock-start %q is not an RFC 3339 time such as 2026-11-22T10:00:00+08:00", cfg.clockStart)
		}
		opts = append(opts, paysim.WithVirtualClock(start))
	default:
		return nil, fmt.Errorf("--clock %q is not one of real, virtual", cfg.clock)
	}
	if cfg.keys != "" {
		opts = append(opts, paysim.WithKeys(os.DirFS(cfg.keys)))
	}
	if cfg.caDir != "" {
		opts = append(opts, paysim.WithCADir(cfg.caDir))
	}
	if cfg.scenarios != "" {
		opts = append(opts, paysim.WithScenarioDir(cfg.scenarios))
	}
	stateOpts, err := cfg.state.options()
	if err != nil {
		return nil, err
	}
	opts = append(opts, stateOpts...)
	switch path := cfg.configPath; {
	case path != "":
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("--config: %w", err)
		}
		opts = append(opts, paysim.WithConfigFile(path))
		logger.Info("configuration loaded", "config", path)
	default:
		if _, err := os.Stat(defaultConfigFile); err == nil {
			opts = append(opts, paysim.WithConfigFile(defaultConfigFile))
			logger.Info("configuration loaded", "config", defaultConfigFile)
		}
	}
	if cfg.hsqSuccessAsString {
		opts = append(opts, paysim.WithSetting("huishouqian", "success_as_string", "true")) // HQ-A1
	}
	return opts, nil
}

// defaultConfigFile is read when it exists in the working directory and --config is not
// given.
const defaultConfigFile = "paysim.yaml"

func serve(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q is not one of debug, info, warn, error", cfg.logLevel)
	}
	var handler slog.Handler
	switch cfg.logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})
	case "json":
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})
	default:
		return fmt.Errorf("--log-format %q is not one of text, json", cfg.logFormat)
	}
	logger := slog.New(handler)
	opts, err := options(cfg, logger)
	if err != nil {
		return err
	}
	ps, err := paysim.New(opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{Handler: ps, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: cfg.readTimeout,
		WriteTimeout: cfg.writeTimeout, IdleTimeout: cfg.idleTimeout, MaxHeaderBytes: 64 << 10, ErrorLog: slog.NewLogLogger(handler, slog.LevelDebug)}
	ln = limitConns(ln, cfg.maxConns)
	srv.RegisterOnShutdown(ps.Drain) // answers held by faults end, so the shutdown need not wait for them
	core := ps.Core()
	fmt.Fprintf(stdout, "paysim %s listening on http://%s (providers %s; clock %s at %s; seed %d; verify %s; %d scenarios)\n",
		buildVersion(), ln.Addr(), strings.Join(ps.Providers(), ", "), core.Clock().Mode(), core.Now().Format(time.RFC3339),
		core.Seed(), ps.Verify(), len(core.Scenarios().Scenarios()))
	if !loopbackAddr(cfg.addr) {
		fmt.Fprintf(stdout, "paysim: listening beyond loopback (--allow-remote); provider paths are open to that network, and the control plane requires the admin token\n")
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	// Attempts under way finish (or time out); what was still waiting is reported, not lost
	// silently.
	left, err := ps.Shutdown(shutdownCtx)
	for _, n := range left {
		logger.Warn("notification not delivered before shutdown", "id", n.ID, "provider", n.Provider,
			"entity", n.Entity.ID, "url", n.URL, "attempts", len(n.Attempts))
	}
	// Attempts still under way when the grace period ends are reported above; a state file
	// that could not be written last is a failure the exit status must show.
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down: %w", err)
	}
	fmt.Fprintln(stdout, "paysim stopped")
	return nil
}

// scenariosCmd implements `paysim scenarios validate [PATH]`.
func scenariosCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "validate" || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: paysim scenarios validate [PATH]   (PATH: a folder or a .yaml file; default: the embedded set)")
		return 2
	}
	var (
		set  *sim.ScenarioSet
		err  error
		what = "embedded scenarios"
	)
	if len(args) == 1 {
		set, err = sim.LoadScenarios(paysim.DefaultScenarios(), ".", paysim.Providers())
	} else {
		what = args[1]
		set, err = sim.LoadScenarioPath(what, paysim.Providers())
		if err == nil {
			err = sim.RequireScenarios(set, what)
		}
	}
	if err != nil {
		var le *sim.LoadError
		if errors.As(err, &le) {
			for _, p := range le.Problems {
				fmt.Fprintln(stderr, p.String())
			}
			fmt.Fprintf(stderr, "%d problem(s) in %s\n", len(le.Problems), what)
			return 1
		}
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d scenarios in %s (%s)\n", len(set.Scenarios()), what, strings.Join(set.Names(), ", "))
	return 0
}
