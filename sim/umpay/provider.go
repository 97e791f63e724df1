// Package umpay impersonates Umpay 联动优势's service-provider aggregated payment API
// (/pay/*): flat JSON bodies signed SHA1withRSA over sorted k=v&... with the tolerances
// the official Java demo needs, and responses signed over their values joined by "|", the
// way clients verify them with the platform X.509 certificate.
package umpay

import (
	"crypto/rsa"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/rsakey"
)

// Name is the provider's name in scenarios and the control plane.
const Name = "umpay"

// The test identity shipped in keys/ (keys/README.md).
const (
	TestSpID  = "Y000000001"
	TestMerID = "42516662"
)

// BasePath is the path real clients put before pay/<name> ("交易服务根地址").
const BasePath = "/entry-provider-plat-client"

// ServiceProvider is a caller paysim knows: an acqSpId with its public key, and the
// merchants (acqMerId) it may act for.
type ServiceProvider struct {
	SpID      string
	PublicKey *rsa.PublicKey
	KeyFile   string
	Merchants []string
}

// Provider serves Umpay's paths.
type Provider struct {
	core     *sim.Simulator
	platform *rsakey.Signer
	// verifier remembers requests that verified: retries and polls repeat them exactly.
	verifier  *rsakey.Verifier
	providers map[string]*ServiceProvider
}

// New loads the Umpay keys from keys (a tree shaped like the project's keys/ folder) and
// registers the test identity.
func New(core *sim.Simulator, keys fs.FS) (*Provider, error) {
	platform, err := rsakey.LoadPrivate(keys, "umpay/platform_private.pem")
	if err != nil {
		return nil, err
	}
	pub, err := rsakey.LoadPublic(keys, "umpay/merchant_public.pem")
	if err != nil {
		return nil, err
	}
	p := &Provider{core: core, platform: rsakey.NewSigner(platform, 0), verifier: rsakey.NewVerifier(0), providers: map[string]*ServiceProvider{}}
	core.OnFinal(Name, p.notify)
	core.NotifyPolicy(Name, notifyPolicy) // for notifications restored from a state file
	p.AddServiceProvider(&ServiceProvider{SpID: TestSpID, PublicKey: pub, KeyFile: "keys/umpay/merchant_public.pem",
		Merchants: []string{TestMerID}})
	return p, nil
}

// AddServiceProvider registers (or replaces) a caller. Register before serving.
func (p *Provider) AddServiceProvider(sp *ServiceProvider) { p.providers[sp.SpID] = sp }

func (p *Provider) Name() string { return Name }

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, req *request) reply

// routes maps each pay/<name> to its operation (protocols 5.4).
var routes = []struct {
	name  string
	serve endpoint
}{
	{"micropay", (*Provider).micropay},
	{"qrpay", (*Provider).qrpay},
	{"unifiedOrder", (*Provider).unifiedOrder},
	{"queryOrder", (*Provider).queryOrder},
	{"refund", (*Provider).refund},
	{"refundQuery", (*Provider).refundQuery},
	{"closeOrder", (*Provider).closeOrder},
	{"cancelOrder", (*Provider).cancelOrder},
}

// mounts are the two prefixes clients use: a bare host (as in the vectors) and the real
// base path kept in umpayUrl (protocols 5.1).
var mounts = []string{"", BasePath}

// Paths lists every path the provider serves, for documentation and tests.
func Paths() []string {
	var out []string
	for _, m := range mounts {
		for _, r := range routes {
			out = append(out, m+"/pay/"+r.name)
		}
	}
	return out
}

// Mount builds every route under both prefixes on the pipeline, plus a catch-all that
// matches route names under pay/ case-insensitively (UM-A9) and answers anything else
// under Umpay's prefixes in Umpay's signed shape.
func (p *Provider) Mount(g *gateway.Gateway) gateway.Mounts {
	proto := protocol{p}
	m := gateway.Mounts{Prefixes: []string{"/pay/", BasePath + "/"}}
	byLower := map[string]http.Handler{}
	for _, r := range routes {
		serve := r.serve
		h := gateway.Handle(g, proto, func(req *request) reply { return serve(p, req) })
		byLower[strings.ToLower(r.name)] = h
		paths := make([]string, len(mounts))
		for i, base := range mounts {
			paths[i] = base + "/pay/" + r.name
		}
		m.Routes = append(m.Routes, gateway.Route{Paths: paths, Handler: h})
	}
	unknown := gateway.Refuse(g, proto, gateway.RefuseUnknownPath, func(r *http.Request) string {
		return fmt.Sprintf("%s is not an Umpay path paysim serves; served: %s", r.URL.Path, strings.Join(Paths(), ", "))
	})
	m.Fallback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := byLower[strings.ToLower(routeName(r.URL.Path))]; h != nil {
			h.ServeHTTP(w, r)
			return
		}
		unknown.ServeHTTP(w, r)
	})
	return m
}

// routeName is the name after pay/ under either mount, without surrounding slashes ("" for
// a path under no pay/).
func routeName(path string) string {
	for _, base := range mounts {
		if name, ok := strings.CutPrefix(path, base+"/pay/"); ok {
			return strings.Trim(name, "/")
		}
	}
	return ""
}

// Signatures says how many of the provider's signatures and verifications were reused.
func (p *Provider) Signatures() rsakey.Counts { return rsakey.CountsOf(p.platform, p.verifier) }
