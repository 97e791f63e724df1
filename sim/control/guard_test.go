package control_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
)

func guarded(t *testing.T, g control.Guard) http.Handler {
	t.Helper()
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	hf, err := huifu.New(core, paysim.DefaultKeys())
	require.NoError(t, err)
	h, err := server.New(gateway.New(core, gateway.VerifyStrict), []gateway.Provider{hf}, "test", server.WithGuard(g))
	require.NoError(t, err)
	return h
}

type probe struct {
	name, method, path, host, contentType, origin, auth, site string
	want                                                      int
}

func (p probe) send(h http.Handler) *httptest.ResponseRecorder {
	var body *strings.Reader
	if p.method == http.MethodGet {
		body = strings.NewReader("")
	} else {
		body = strings.NewReader(`{}`)
	}
	r := httptest.NewRequest(p.method, p.path, body)
	r.Host = p.host
	for k, v := range map[string]string{"Content-Type": p.contentType, "Origin": p.origin, "Authorization": p.auth, "Sec-Fetch-Site": p.site} {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestGuardWithoutToken(t *testing.T) {
	h := guarded(t, control.Guard{Hosts: []string{"paysim.test"}})
	json := "application/json"
	for _, p := range []probe{
		{name: "loopback address", method: "GET", path: "/__paysim/health", host: "127.0.0.1:8700", want: 200},
		{name: "other loopback address", method: "GET", path: "/__paysim/health", host: "127.0.0.2:8700", want: 200},
		{name: "ipv6 loopback", method: "GET", path: "/__paysim/health", host: "[::1]:8700", want: 200},
		{name: "localhost", method: "GET", path: "/__paysim/health", host: "localhost:8700", want: 200},
		{name: "the configured host", method: "GET", path: "/__paysim/health", host: "paysim.test:8700", want: 200},
		{name: "DNS rebinding", method: "GET", path: "/__paysim/health", host: "evil.invalid", want: 403},
		{name: "DNS rebinding with a port", method: "POST", path: "/__paysim/reset", host: "evil.invalid:8700", contentType: json, want: 403},
		{name: "an address that is not loopback", method: "GET", path: "/__paysim/orders", host: "10.0.0.5:8700", want: 403},
		{name: "the console too", method: "GET", path: "/__paysim/ui/", host: "evil.invalid", want: 403},
		{name: "JSON state change", method: "POST", path: "/__paysim/reset", host: "127.0.0.1:8700", contentType: json, want: 200},
		{name: "text/plain state change", method: "POST", path: "/__paysim/reset", host: "127.0.0.1:8700", contentType: "text/plain", want: 415},
		{name: "form state change", method: "POST", path: "/__paysim/clock", host: "127.0.0.1:8700", contentType: "application/x-www-form-urlencoded", want: 415},
		{name: "no content type", method: "DELETE", path: "/__paysim/faults", host: "127.0.0.1:8700", want: 415},
		{name: "foreign origin", method: "POST", path: "/__paysim/reset", host: "127.0.0.1:8700", contentType: json, origin: "http://evil.invalid", want: 403},
		{name: "own origin", method: "POST", path: "/__paysim/reset", host: "127.0.0.1:8700", contentType: json, origin: "http://127.0.0.1:8700", want: 200},
		{name: "cross-site fetch", method: "POST", path: "/__paysim/reset", host: "127.0.0.1:8700", contentType: json, site: "cross-site", want: 403},
		{name: "a foreign origin may still read nothing it could not before", method: "GET", path: "/__paysim/health", host: "127.0.0.1:8700", origin: "http://evil.invalid", want: 200},
		{name: "provider paths stay open", method: "POST", path: "/v3/trade/payment/scanpay/query", host: "api.huifu.com", contentType: json, want: 200},
	} {
		t.Run(p.name, func(t *testing.T) {
			w := p.send(h)
			assert.Equal(t, p.want, w.Code, w.Body.String())
			if p.want >= 400 && strings.HasPrefix(p.path, control.Prefix) {
				assert.Contains(t, w.Body.String(), `"error"`, "a refusal says why")
			}
		})
	}
}

func TestGuardWithToken(t *testing.T) {
	h := guarded(t, control.Guard{AnyHost: true, Token: "s3cret"})
	for _, p := range []probe{
		{name: "no token", method: "GET", path: "/__paysim/health", host: "203.0.113.7:8700", want: 401},
		{name: "wrong token", method: "GET", path: "/__paysim/health", host: "203.0.113.7:8700", auth: "Bearer nope", want: 401},
		{name: "not a bearer", method: "GET", path: "/__paysim/health", host: "203.0.113.7:8700", auth: "s3cret", want: 401},
		{name: "token", method: "GET", path: "/__paysim/health", host: "203.0.113.7:8700", auth: "Bearer s3cret", want: 200},
		{name: "token and a state change", method: "POST", path: "/__paysim/reset", host: "paysim.example:8700", auth: "Bearer s3cret", contentType: "application/json", want: 200},
		{name: "token does not waive JSON", method: "POST", path: "/__paysim/reset", host: "paysim.example:8700", auth: "Bearer s3cret", contentType: "text/plain", want: 415},
		{name: "provider paths need no token", method: "POST", path: "/v3/trade/payment/scanpay/query", host: "203.0.113.7:8700", contentType: "application/json", want: 200},
	} {
		t.Run(p.name, func(t *testing.T) {
			w := p.send(h)
			assert.Equal(t, p.want, w.Code, w.Body.String())
			if p.want == 401 {
				assert.Equal(t, `Bearer realm="paysim"`, w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST": true, "app.localhost": true, "127.0.0.1": true,
		"127.8.9.10": true, "::1": true, "[::1]": true, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false,
		"localhost.evil.invalid": false, "": false} {
		assert.Equal(t, want, control.IsLoopbackHost(host), host)
	}
}

// With a token, the console's files load without it (they hold no data); its calls need it.
func TestGuardLetsTheConsoleLoad(t *testing.T) {
	h := guarded(t, control.Guard{AnyHost: true, Token: "s3cret"})
	assert.Equal(t, 200, probe{method: "GET", path: "/__paysim/ui/", host: "203.0.113.7:8700"}.send(h).Code)
	assert.Equal(t, 200, probe{method: "GET", path: "/__paysim/ui/app.js", host: "203.0.113.7:8700"}.send(h).Code)
	assert.Equal(t, 401, probe{method: "GET", path: "/__paysim/orders", host: "203.0.113.7:8700"}.send(h).Code)
	assert.Equal(t, 403, probe{method: "GET", path: "/__paysim/ui/", host: "evil.invalid"}.send(guarded(t, control.Guard{Token: "s3cret"})).Code,
		"the Host check still applies")
}
