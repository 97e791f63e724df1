package control_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/metrics"
)

// scrapeServer is a control plane serving metrics behind g, on a loopback port.
func scrapeServer(t *testing.T, g control.Guard, withMetrics bool) string {
	t.Helper()
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	m := metrics.New(nil)
	gw := gateway.New(core, gateway.VerifyStrict, gateway.WithObserver(m))
	m.Watch(gw, nil)
	opts := []server.Option{server.WithGuard(g)}
	if withMetrics {
		opts = append(opts, server.WithMetrics(m.Handler()))
	}
	h, err := server.New(gw, nil, "test", opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

// A loopback scraper needs nothing; with an admin token the scrape needs it like any
// other control-plane call.
func TestMetricsScrapeGuarded(t *testing.T) {
	t.Run("loopback, no token", func(t *testing.T) {
		url := scrapeServer(t, control.Guard{}, true)
		resp, body := get(t, url+control.Prefix+"/metrics", "")
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain; version=0.0.4")
		assert.Contains(t, body, "# TYPE paysim_entities gauge")
	})
	t.Run("admin token", func(t *testing.T) {
		url := scrapeServer(t, control.Guard{Token: "s3cret"}, true)
		resp, body := get(t, url+control.Prefix+"/metrics", "")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, body, "admin token")
		assert.NotContains(t, body, "paysim_entities", "no metric leaks without the token")
		resp, body = get(t, url+control.Prefix+"/metrics", "wrong")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
		resp, body = get(t, url+control.Prefix+"/metrics", "s3cret")
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		s, err := metrics.ParseText(strings.NewReader(body))
		require.NoError(t, err)
		assert.Equal(t, 1, s.Count("paysim_entities_max"))
	})
	t.Run("foreign Host", func(t *testing.T) {
		url := scrapeServer(t, control.Guard{}, true)
		req, err := http.NewRequest(http.MethodGet, url+control.Prefix+"/metrics", nil)
		require.NoError(t, err)
		req.Host = "evil.invalid"
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "DNS rebinding reaches no metric either")
	})
	t.Run("a server without metrics says so", func(t *testing.T) {
		url := scrapeServer(t, control.Guard{}, false)
		resp, body := get(t, url+control.Prefix+"/metrics", "")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		assert.Contains(t, body, "collects no metrics")
	})
}
