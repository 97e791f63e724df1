package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
)

// stub is a provider that claims the given paths and prefixes and answers its name.
type stub struct {
	name     string
	paths    []string
	prefixes []string
}

func (s stub) Name() string                          { return s.name }
func (s stub) PrepareSeed(*sim.PaymentRequest) error { return nil }
func (s stub) Mount(*gateway.Gateway) gateway.Mounts {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(s.name)) })
	return gateway.Mounts{Routes: []gateway.Route{{Paths: s.paths, Handler: h}}, Prefixes: s.prefixes, Fallback: h}
}

func TestOverlappingProvidersRefusedAtStart(t *testing.T) {
	gw := gateway.New(sim.New(), gateway.VerifyStrict)
	_, err := server.New(gw, []gateway.Provider{
		stub{name: "wide", paths: []string{"/api/acquiring"}, prefixes: []string{"/api/"}},
		stub{name: "narrow", paths: []string{"/api/v2/pay"}, prefixes: []string{"/api/v2/"}},
	}, "test")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "wide claims /api/*, which overlaps narrow's /api/v2/pay")

	_, err = server.New(gw, []gateway.Provider{stub{name: "a", paths: []string{"/x"}}, stub{name: "a", paths: []string{"/y"}}}, "test")
	assert.ErrorContains(t, err, "provider a is registered twice")
}

// Exact paths, catch-alls and the control plane each reach their owner; anything else
// gets paysim's own 404 naming the providers.
func TestRouting(t *testing.T) {
	gw := gateway.New(sim.New(), gateway.VerifyStrict)
	h, err := server.New(gw, []gateway.Provider{
		stub{name: "one", paths: []string{"/one/pay"}, prefixes: []string{"/one/"}},
		stub{name: "two", paths: []string{"/two/pay"}},
	}, "test")
	require.NoError(t, err)
	for path, want := range map[string]string{"/one/pay": "one", "/one/typo": "one", "/two/pay": "two"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader("{}")))
		assert.Equal(t, want, w.Body.String(), path)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/two/typo", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Contains(t, w.Body.String(), "is not a path paysim serves (providers: one, two")

	w = httptest.NewRecorder()
	health := httptest.NewRequest(http.MethodGet, "/__paysim/health", nil)
	health.Host = "127.0.0.1:8700"
	h.ServeHTTP(w, health)
	assert.Equal(t, http.StatusOK, w.Code)
}
