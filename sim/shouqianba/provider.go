// Package shouqianba impersonates Shouqianba 收钱吧's "upay" terminal Web API: terminal
// activation, checkin and log upload, pay (B scans C), precreate (C scans B), query, refund, revoke
// and cancel, signed `Authorization: <sn> <md5hex(body + key)>`, answered in the
// {result_code, biz_response} envelope with every value a string (responses are not
// signed).
package shouqianba

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/rsakey"
)

// Name is the provider's name in scenarios and the control plane.
const Name = "shouqianba"

// Provider serves Shouqianba's paths.
type Provider struct {
	core      *sim.Simulator
	terminals *registry
	inflight  *inflight
	// platform signs notifications (RSA-SHA256).
	platform *rsakey.Signer
}

// New loads the Shouqianba keys from keys (a tree shaped like the project's keys/
// folder), registers the test terminal and vendor, and makes a reset of the simulator
// forget activated terminals.
func New(core *sim.Simulator, keys fs.FS) (*Provider, error) {
	platform, err := rsakey.LoadPrivate(keys, "shouqianba/platform_private.pem")
	if err != nil {
		return nil, err
	}
	p := &Provider{core: core, terminals: newRegistry(), inflight: newInflight(), platform: rsakey.NewSigner(platform, 0)}
	p.terminals.touch, p.inflight.touch = core.Touch, core.Touch // saved by --state (state.go)
	core.OnFinal(Name, p.notify)
	core.NotifyPolicy(Name, notifyPolicy) // for notifications restored from a state file
	core.OnReset(func(provider string) {
		if provider == "" || provider == Name {
			p.terminals.reset()
			p.inflight.reset()
		}
	})
	return p, nil
}

// AddTerminal registers (or replaces) a terminal that survives resets, for users who
// bring their own identities.
func (p *Provider) AddTerminal(t Terminal) { p.terminals.put(t) }

// AddVendor registers (or replaces) a vendor that may activate terminals.
func (p *Provider) AddVendor(v Vendor) { p.terminals.putVendor(v) }

func (p *Provider) Name() string { return Name }

// credential says whose key signs a route.
type credential int

const (
	terminalSigned credential = iota
	vendorSigned
)

// caller is who signed a request: a vendor for activate, a terminal otherwise.
type caller struct {
	sn       string
	terminal Terminal
	vendor   Vendor
}

// bodyKind says what a route's body is.
type bodyKind int

const (
	jsonBody bodyKind = iota // one JSON object of members
	rawBody                  // opaque bytes (the terminal's compressed log), only signed
)

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, req *request) reply

// routes maps each path to its operation. The /api/v2/ aliases are what the vendor's
// skills examples call.
var routes = []struct {
	paths []string
	cred  credential
	body  bodyKind
	serve endpoint
}{
	{[]string{"/terminal/activate"}, vendorSigned, jsonBody, (*Provider).activate},
	{[]string{"/terminal/checkin"}, terminalSigned, jsonBody, (*Provider).checkin},
	{[]string{"/terminal/uploadLog"}, terminalSigned, rawBody, (*Provider).uploadLog},
	{[]string{"/upay/v2/pay", "/api/v2/pay"}, terminalSigned, jsonBody, (*Provider).pay},
	{[]string{"/upay/v2/precreate", "/api/v2/precreate"}, terminalSigned, jsonBody, (*Provider).precreate},
	{[]string{"/upay/v2/query", "/api/v2/query"}, terminalSigned, jsonBody, (*Provider).query},
	{[]string{"/upay/v2/refund", "/api/v2/refund"}, terminalSigned, jsonBody, (*Provider).refund},
	{[]string{"/upay/v2/revoke", "/api/v2/revoke"}, terminalSigned, jsonBody, (*Provider).revoke},
	{[]string{"/upay/v2/cancel", "/api/v2/cancel"}, terminalSigned, jsonBody, (*Provider).cancel},
}

// Paths lists every path the provider serves, for documentation and tests.
func Paths() []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.paths...)
	}
	return out
}

// Mount builds every route on the pipeline, each with the credential that signs it, plus a
// catch-all under Shouqianba's prefixes so that a mistyped path is answered in
// Shouqianba's shape rather than a bare 404.
func (p *Provider) Mount(g *gateway.Gateway) gateway.Mounts {
	m := gateway.Mounts{Prefixes: []string{"/upay/", "/terminal/", "/api/v2/"}}
	for _, r := range routes {
		serve := r.serve
		m.Routes = append(m.Routes, gateway.Route{Paths: r.paths,
			Handler: gateway.Handle(g, protocol{p: p, cred: r.cred, body: r.body}, func(req *request) reply { return serve(p, req) })})
	}
	m.Fallback = gateway.Refuse(g, protocol{p: p}, gateway.RefuseUnknownPath, func(r *http.Request) string {
		return fmt.Sprintf("%s is not a Shouqianba path paysim serves; served: %s", r.URL.Path, strings.Join(Paths(), ", "))
	})
	return m
}

// Signatures says how many of the provider's signatures were reused (requests are signed
// with MD5, so nothing is verified with RSA).
func (p *Provider) Signatures() rsakey.Counts { return rsakey.CountsOf(p.platform, nil) }
