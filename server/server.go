// Package server assembles the one HTTP server paysim runs: every provider's real paths
// and the control plane on a single Echo instance.
package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/journal"
)

// New builds the HTTP handler serving providers and the control plane. Two providers
// claiming paths one request could reach is an error, naming both.
func New(gw *gateway.Gateway, providers []gateway.Provider, version string, opts ...Option) (*echo.Echo, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	mounts := make(map[string]gateway.Mounts, len(providers))
	for _, p := range providers {
		if _, dup := mounts[p.Name()]; dup {
			return nil, fmt.Errorf("provider %s is registered twice", p.Name())
		}
		mounts[p.Name()] = p.Mount(gw)
	}
	if err := gateway.CheckOverlaps(mounts); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(gw, providers)
	e.JSONSerializer = plainJSON{echo.DefaultJSONSerializer{}}
	e.Use(accessLog(gw.Core().Logger()))
	control.Mount(e, gw, providers, version, cfg.guard).ServeMetrics(cfg.metrics)
	// / is no provider's: a browser pointed at paysim gets the console, anything else the
	// usual 404.
	e.Any("/", func(c echo.Context) error {
		if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
			return c.Redirect(http.StatusFound, control.Prefix+"/ui/")
		}
		return echo.ErrNotFound
	})
	for _, p := range providers {
		m := mounts[p.Name()]
		for _, r := range m.Routes {
			h := echo.WrapHandler(r.Handler)
			for _, path := range r.Paths {
				e.Any(path, h)
			}
		}
		if m.Fallback != nil {
			h := echo.WrapHandler(m.Fallback)
			for _, prefix := range m.Prefixes {
				e.Any(prefix+"*", h)
			}
		}
	}
	return e, nil
}

// Option configures the server.
type Option func(*config)

type config struct {
	guard   control.Guard
	metrics http.Handler
}

// WithGuard sets who may drive the control plane (default: loopback Hosts, no token).
func WithGuard(g control.Guard) Option { return func(c *config) { c.guard = g } }

// WithMetrics serves h, the Prometheus scrape, as GET /__paysim/metrics.
func WithMetrics(h http.Handler) Option { return func(c *config) { c.metrics = h } }

// errorHandler answers what no route took (paths outside every provider's prefixes) in
// plain JSON that says what is served.
func errorHandler(gw *gateway.Gateway, providers []gateway.Provider) echo.HTTPErrorHandler {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = p.Name()
	}
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status, msg := http.StatusInternalServerError, err.Error()
		if he, ok := err.(*echo.HTTPError); ok {
			status = he.Code
			msg = fmt.Sprint(he.Message)
		}
		r := c.Request()
		if status == http.StatusNotFound {
			msg = fmt.Sprintf("%s %s is not a path paysim serves (providers: %s; control plane under %s/)",
				r.Method, r.URL.Path, strings.Join(names, ", "), control.Prefix)
		}
		if !strings.HasPrefix(r.URL.Path, control.Prefix+"/") {
			// An app pointed at the wrong path is what the journal is for.
			gw.Journal().Add(journal.Entry{At: gw.Core().Now(), Method: r.Method, Path: r.URL.Path, ProxyHost: gateway.ProxyHost(r.Context()),
				Outcome: journal.Refused, Diagnostic: msg, Status: status})
		}
		_ = c.JSON(status, map[string]string{"error": msg})
	}
}

// accessLog logs one line a request, at debug level: paysim is often run inside a test
// suite, whose output it should not flood.
func accessLog(l *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			// Checked first: building the record's attributes costs allocations on every
			// request even when the line is then dropped.
			if !l.Enabled(c.Request().Context(), slog.LevelDebug) {
				return next(c)
			}
			start := time.Now()
			err := next(c)
			l.Debug("request", "method", c.Request().Method, "path", c.Request().URL.Path,
				"status", c.Response().Status, "bytes", c.Response().Size, "took", time.Since(start))
			return err
		}
	}
}

// plainJSON writes control-plane JSON without HTML escaping, so the journal shows a
// notification body with its & and < as sent, not as \u0026 and \u003c.
type plainJSON struct{ echo.DefaultJSONSerializer }

func (plainJSON) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}
