// Package huifu impersonates Huifu 汇付斗拱's aggregate scanpay API (v2/v3): the JSON
// envelope {sys_id, product_id, data, sign}, RSA-SHA256 request verification with the
// tolerances the official Go, PHP, Python and Java SDKs need, and responses signed in the
// one form all of them verify.
package huifu

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
const Name = "huifu"

// The test identity shipped in keys/ (keys/README.md).
const (
	TestSysID     = "6666000100000001"
	TestHuifuID   = "6666000100000002"
	TestProductID = "PAYUN"
)

// Merchant is a caller paysim knows: a sys_id with its public key, and the huifu_ids it
// may act for.
type Merchant struct {
	SysID     string
	PublicKey *rsa.PublicKey
	KeyFile   string
	HuifuIDs  []string
	// Products is the product_id allow-list; empty accepts any (HF-A11).
	Products []string
}

// Provider serves Huifu's paths.
type Provider struct {
	core      *sim.Simulator
	platform  *rsa.PrivateKey
	merchants map[string]*Merchant
}

// New loads the Huifu keys from keys (a tree shaped like the project's keys/ folder) and
// registers the test identity.
func New(core *sim.Simulator, keys fs.FS) (*Provider, error) {
	platform, err := rsakey.LoadPrivate(keys, "huifu/platform_private.pem")
	if err != nil {
		return nil, err
	}
	pub, err := rsakey.LoadPublic(keys, "huifu/merchant_public.pem")
	if err != nil {
		return nil, err
	}
	p := &Provider{core: core, platform: platform, merchants: map[string]*Merchant{}}
	core.OnFinal(Name, p.notify)
	p.AddMerchant(&Merchant{SysID: TestSysID, PublicKey: pub, KeyFile: "keys/huifu/merchant_public.pem",
		HuifuIDs: []string{TestSysID, TestHuifuID}})
	return p, nil
}

// AddMerchant registers (or replaces) a caller.
func (p *Provider) AddMerchant(m *Merchant) { p.merchants[m.SysID] = m }

func (p *Provider) Name() string { return Name }

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, c echo.Context, req *request) reply

// routes maps each path to its operation. v2 and v3 share envelope, signing and semantics.
var routes = []struct {
	paths []string
	serve endpoint
}{
	{[]string{"/v2/trade/payment/jspay", "/v3/trade/payment/jspay"}, (*Provider).jspay},
	{[]string{"/v2/trade/payment/micropay", "/v3/trade/payment/micropay"}, (*Provider).micropay},
	{[]string{"/v2/trade/payment/scanpay/query", "/v3/trade/payment/scanpay/query"}, (*Provider).query},
	{[]string{"/v2/trade/payment/scanpay/refund", "/v3/trade/payment/scanpay/refund"}, (*Provider).refund},
	{[]string{"/v2/trade/payment/scanpay/refundquery", "/v3/trade/payment/scanpay/refundquery"}, (*Provider).refundQuery},
	{[]string{"/v2/trade/payment/scanpay/close"}, (*Provider).close},
	{[]string{"/v2/trade/payment/scanpay/closequery"}, (*Provider).closeQuery},
}

// Paths lists every path the provider serves, for documentation and tests.
func Paths() []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.paths...)
	}
	return out
}

// Routes mounts every path, plus catch-alls under Huifu's prefixes so that a mistyped
// path is answered in Huifu's signed shape rather than a bare 404.
func (p *Provider) Routes(e *echo.Echo) {
	for _, r := range routes {
		h := p.handler(r.serve)
		for _, path := range r.paths {
			e.Any(path, h)
		}
	}
	for _, prefix := range []string{"/v2/*", "/v3/*", "/v4/*"} {
		e.Any(prefix, p.unknownPath)
	}
}

// handler runs the pipeline every request goes through: transport and envelope, signing
// identity, signature, merchant, then the endpoint's own validation and business.
func (p *Provider) handler(serve endpoint) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				p.core.Logger().Error("huifu handler panicked", "path", c.Path(), "panic", v, "stack", string(debug.Stack()))
				err = p.write(c, http.StatusOK, failure(codeSystem, descSystem, fmt.Sprintf("internal error: %v", v)))
			}
		}()
		if c.Request().Method != http.MethodPost {
			c.Response().Header().Set("Allow", http.MethodPost)
			return p.write(c, http.StatusMethodNotAllowed, failure(codeInvalid, descMethod,
				fmt.Sprintf("%s %s: Huifu serves POST only", c.Request().Method, c.Request().URL.Path)))
		}
		req, derr := decode(c.Request())
		if derr != nil {
			return p.write(c, http.StatusOK, failure(codeInvalid, derr.desc, derr.detail))
		}
		if rep, ok := p.authenticate(req); !ok {
			return p.write(c, http.StatusOK, rep)
		}
		return p.write(c, http.StatusOK, serve(p, c, req))
	}
}

// authenticate resolves the signing identity from the envelope alone, verifies the
// signature, and only then looks at data.huifu_id and product_id.
func (p *Provider) authenticate(req *request) (reply, bool) {
	m := p.merchants[req.sysID]
	mode := p.core.Verify()
	switch {
	case m == nil && mode == sim.VerifyStrict:
		return failure(codeInvalid, descBadSign, fmt.Sprintf("sys_id %s is not a known merchant, so there is no key to verify with (the test identity is sys_id %s)", req.sysID, TestSysID)), false
	case m != nil && mode != sim.VerifyOff:
		if err := verifyRequest(m.PublicKey, req); err != nil {
			detail := fmt.Sprintf("sys_id %s (%s): %v", req.sysID, m.KeyFile, err)
			if mode == sim.VerifyStrict {
				return withEcho(failure(codeInvalid, descBadSign, detail), req), false
			}
			p.core.Logger().Warn("huifu signature does not verify; serving anyway (--verify log)", "detail", detail)
		}
	}
	huifuID := req.str("huifu_id")
	if m != nil && huifuID != "" && !contains(m.HuifuIDs, huifuID) {
		return withEcho(failure(codeMerchantMissing, descNoMerchant,
			fmt.Sprintf("huifu_id %s is not a merchant of sys_id %s (known: %s)", huifuID, req.sysID, strings.Join(m.HuifuIDs, ", "))), req), false
	}
	if m != nil && len(m.Products) > 0 && !contains(m.Products, req.productID) {
		return withEcho(failure(codeProductMissing, descNoProduct,
			fmt.Sprintf("product_id %q is not enabled for sys_id %s (enabled: %s)", req.productID, req.sysID, strings.Join(m.Products, ", "))), req), false
	}
	return reply{}, true
}

func (p *Provider) unknownPath(c echo.Context) error {
	return p.write(c, http.StatusNotFound, failure(codeInvalid, descUnknownPath,
		fmt.Sprintf("%s is not a Huifu path paysim serves; served: %s", c.Request().URL.Path, strings.Join(Paths(), ", "))))
}

// write signs and sends a reply. Every Huifu answer has both data and sign (the Go SDK
// panics on a response without sign).
func (p *Provider) write(c echo.Context, status int, rep reply) error {
	h := c.Response().Header()
	sim.Annotate(h, rep.diagnostic, rep.scenario)
	if rep.diagnostic != "" {
		p.core.Logger().Info("huifu request refused", "path", c.Request().URL.Path, "resp_code", rep.fields["resp_code"], "diagnostic", rep.diagnostic)
	}
	body := rep.raw
	if body == nil {
		data := encodeData(rep.fields)
		sign, err := signData(p.platform, data)
		if err != nil {
			// A key that cannot sign is a broken installation; say so in Huifu's shape.
			p.core.Logger().Error("huifu signing failed", "err", err)
			sign = ""
		}
		body = make([]byte, 0, len(data)+len(sign)+20)
		body = append(body, `{"data":`...)
		body = append(body, data...)
		body = append(body, `,"sign":"`...)
		body = append(body, sign...)
		body = append(body, `"}`...)
		if rep.remember != nil {
			rep.remember(body)
		}
	}
	h.Set(echo.HeaderContentType, "application/json;charset=UTF-8")
	return c.Blob(status, "application/json;charset=UTF-8", body)
}
