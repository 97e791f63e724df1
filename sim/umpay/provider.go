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
	"runtime/debug"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim"
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
	core      *sim.Simulator
	platform  *rsa.PrivateKey
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
	p := &Provider{core: core, platform: platform, providers: map[string]*ServiceProvider{}}
	core.OnFinal(Name, p.notify)
	p.AddServiceProvider(&ServiceProvider{SpID: TestSpID, PublicKey: pub, KeyFile: "keys/umpay/merchant_public.pem",
		Merchants: []string{TestMerID}})
	return p, nil
}

// AddServiceProvider registers (or replaces) a caller. Register before serving.
func (p *Provider) AddServiceProvider(sp *ServiceProvider) { p.providers[sp.SpID] = sp }

func (p *Provider) Name() string { return Name }

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, c echo.Context, req *request) reply

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

// Routes mounts every route under both prefixes, plus catch-alls that match route names
// case-insensitively (UM-A9) and answer anything else in Umpay's signed shape.
func (p *Provider) Routes(e *echo.Echo) {
	byLower := map[string]echo.HandlerFunc{}
	for _, r := range routes {
		h := p.handler(r.serve)
		byLower[strings.ToLower(r.name)] = h
		for _, m := range mounts {
			e.Any(m+"/pay/"+r.name, h)
		}
	}
	fallback := func(c echo.Context) error {
		name := strings.Trim(c.Param("*"), "/")
		if h, ok := byLower[strings.ToLower(name)]; ok {
			return h(c)
		}
		return p.unknownPath(c)
	}
	for _, m := range mounts {
		e.Any(m+"/pay/*", fallback)
	}
	e.Any(BasePath+"/*", p.unknownPath)
}

// handler runs the pipeline every request goes through: transport and envelope, signing
// identity, signature, merchant, then the endpoint's own validation and business.
func (p *Provider) handler(serve endpoint) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				p.core.Logger().Error("umpay handler panicked", "path", c.Request().URL.Path, "panic", v, "stack", string(debug.Stack()))
				err = p.write(c, http.StatusOK, failure(codeSystem, msgSystem, fmt.Sprintf("internal error: %v", v)))
			}
		}()
		if c.Request().Method != http.MethodPost {
			c.Response().Header().Set("Allow", http.MethodPost)
			return p.write(c, http.StatusMethodNotAllowed, failure(codeFormat, msgMethod,
				fmt.Sprintf("%s %s: Umpay serves POST only", c.Request().Method, c.Request().URL.Path)))
		}
		req, derr := decode(c.Request())
		if derr != nil {
			return p.write(c, http.StatusOK, failure(derr.code, derr.msg, derr.detail))
		}
		if rep, ok := p.authenticate(req); !ok {
			return p.write(c, http.StatusOK, rep)
		}
		return p.write(c, http.StatusOK, serve(p, c, req))
	}
}

// authenticate resolves the signing identity from acqSpId alone, verifies the signature,
// and only then looks at acqMerId (tampered vectors change it, protocols 1.4).
func (p *Provider) authenticate(req *request) (reply, bool) {
	sp := p.providers[req.spID]
	mode := p.core.Verify()
	switch {
	case sp == nil && mode == sim.VerifyStrict:
		return failure(codeBadSignature, msgBadSignature, fmt.Sprintf("acqSpId %s is not a known service provider, so there is no key to verify with (the test identity is acqSpId %s)", req.spID, TestSpID)), false
	case sp != nil && mode != sim.VerifyOff:
		if err := verifyRequest(sp.PublicKey, req); err != nil {
			detail := fmt.Sprintf("acqSpId %s (%s): %v", req.spID, sp.KeyFile, err)
			if mode == sim.VerifyStrict {
				return failure(codeBadSignature, msgBadSignature, detail), false
			}
			p.core.Logger().Warn("umpay signature does not verify; serving anyway (--verify log)", "detail", detail)
		}
	}
	if m, ok := req.byKey["acqMerId"]; !ok || m.empty() {
		return fieldReply(missing("acqMerId")), false
	} else if m.kind != kindString {
		return fieldReply(malformed("acqMerId必须为字符串", "acqMerId must be a JSON string, got %s", clip(m.text, 40))), false
	}
	if merID := req.str("acqMerId"); sp != nil && !contains(sp.Merchants, merID) {
		return failure(codeMerchant, msgMerchant, fmt.Sprintf("acqMerId %s is not a merchant of acqSpId %s (known: %s)", merID, req.spID, strings.Join(sp.Merchants, ", "))), false
	}
	return reply{}, true
}

func (p *Provider) unknownPath(c echo.Context) error {
	return p.write(c, http.StatusNotFound, failure(codeFormat, msgUnknownPath,
		fmt.Sprintf("%s is not an Umpay path paysim serves; served: %s", c.Request().URL.Path, strings.Join(Paths(), ", "))))
}

// write signs and sends a reply: the values of the non-empty fields in key order joined
// by "|", SHA1withRSA with the platform key (protocols 5.3).
func (p *Provider) write(c echo.Context, status int, rep reply) error {
	h := c.Response().Header()
	sim.Annotate(h, rep.diagnostic, rep.scenario)
	if rep.diagnostic != "" {
		p.core.Logger().Info("umpay request refused", "path", c.Request().URL.Path, "respCode", rep.fields["respCode"], "diagnostic", rep.diagnostic)
	}
	body := rep.raw
	if body == nil {
		members, text := encode(rep.fields)
		sig, err := signResponse(p.platform, text)
		if err != nil {
			// A key that cannot sign is a broken installation; say so in Umpay's shape.
			p.core.Logger().Error("umpay signing failed", "err", err)
		}
		body = marshal(members, sig)
		if rep.remember != nil {
			rep.remember(body)
		}
	}
	return c.Blob(status, "application/json;charset=UTF-8", body)
}
