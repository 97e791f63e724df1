package control

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim/gateway"
)

// Guard says who may drive the control plane. Provider paths stay open, as the real
// gateways are; the control plane can reset, seed and move the clock, so a web page in
// the developer's browser must not reach it.
type Guard struct {
	// Hosts are Host names (or host:port) accepted besides loopback ones: the address
	// paysim was told to listen on. A Host outside them is a DNS-rebinding attempt.
	Hosts []string
	// AnyHost accepts every Host: paysim is bound beyond loopback, behind its token.
	AnyHost bool
	// Token, when set, must come with every call as Authorization: Bearer <token>.
	Token string
}

// guard refuses, in this order: a foreign Host (403), a missing or wrong token (401), a
// state change that is not JSON (415) or that comes from another origin (403).
func (gd Guard) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !gd.AnyHost && !gd.hostAllowed(r.Host) {
			return fail(c, http.StatusForbidden, "Host %q is not paysim's: the control plane answers loopback names and addresses only (a foreign Host is how DNS rebinding reaches it)", r.Host)
		}
		// The console's files hold no data: a browser loads them without the token, and
		// the page then sends it on every call (#token= in the console's address).
		console := (r.Method == http.MethodGet || r.Method == http.MethodHead) && strings.HasPrefix(r.URL.Path, Prefix+"/ui")
		if gd.Token != "" && !console {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(gd.Token)) != 1 {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="paysim"`)
				return fail(c, http.StatusUnauthorized, "the control plane needs its admin token: send Authorization: Bearer <token>")
			}
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			return next(c)
		}
		if mt := gateway.MediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			return fail(c, http.StatusUnsupportedMediaType, "%s %s changes state and takes Content-Type application/json, not %q (a web form or a page's plain request cannot reach it)",
				r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
			return fail(c, http.StatusForbidden, "Origin %q is not paysim's own (%s): another web page may not change paysim's state", origin, r.Host)
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return fail(c, http.StatusForbidden, "a cross-site request may not change paysim's state")
		}
		return next(c)
	}
}

func (gd Guard) hostAllowed(hostport string) bool {
	if slices.ContainsFunc(gd.Hosts, func(h string) bool { return strings.EqualFold(h, hostport) }) {
		return true
	}
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if slices.ContainsFunc(gd.Hosts, func(h string) bool { return strings.EqualFold(h, host) }) {
		return true
	}
	return IsLoopbackHost(host)
}

// IsLoopbackHost reports whether host is a loopback name or address: localhost (and its
// subdomains), 127.0.0.0/8, ::1.
func IsLoopbackHost(host string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}
