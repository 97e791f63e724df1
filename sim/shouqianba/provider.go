// Package shouqianba impersonates Shouqianba 收钱吧's "upay" terminal Web API: terminal
// activation and checkin, pay (B scans C), precreate (C scans B), query, refund, revoke
// and cancel, signed `Authorization: <sn> <md5hex(body + key)>`, answered in the
// {result_code, biz_response} envelope with every value a string (responses are not
// signed).
package shouqianba

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
const Name = "shouqianba"

// Provider serves Shouqianba's paths.
type Provider struct {
	core      *sim.Simulator
	terminals *registry
	inflight  *inflight
	// platform signs notifications (RSA-SHA256).
	platform *rsa.PrivateKey
}

// New loads the Shouqianba keys from keys (a tree shaped like the project's keys/
// folder), registers the test terminal and vendor, and makes a reset of the simulator
// forget activated terminals.
func New(core *sim.Simulator, keys fs.FS) (*Provider, error) {
	platform, err := rsakey.LoadPrivate(keys, "shouqianba/platform_private.pem")
	if err != nil {
		return nil, err
	}
	p := &Provider{core: core, terminals: newRegistry(), inflight: newInflight(), platform: platform}
	core.OnFinal(Name, p.notify)
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

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, c echo.Context, who caller, req *request) reply

// routes maps each path to its operation. The /api/v2/ aliases are what the vendor's
// skills examples call.
var routes = []struct {
	paths []string
	cred  credential
	serve endpoint
}{
	{[]string{"/terminal/activate"}, vendorSigned, (*Provider).activate},
	{[]string{"/terminal/checkin"}, terminalSigned, (*Provider).checkin},
	{[]string{"/upay/v2/pay", "/api/v2/pay"}, terminalSigned, (*Provider).pay},
	{[]string{"/upay/v2/precreate", "/api/v2/precreate"}, terminalSigned, (*Provider).precreate},
	{[]string{"/upay/v2/query", "/api/v2/query"}, terminalSigned, (*Provider).query},
	{[]string{"/upay/v2/refund", "/api/v2/refund"}, terminalSigned, (*Provider).refund},
	{[]string{"/upay/v2/revoke", "/api/v2/revoke"}, terminalSigned, (*Provider).revoke},
	{[]string{"/upay/v2/cancel", "/api/v2/cancel"}, terminalSigned, (*Provider).cancel},
}

// Paths lists every path the provider serves, for documentation and tests.
func Paths() []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.paths...)
	}
	return out
}

// Routes mounts every path, plus catch-alls under Shouqianba's prefixes so that a
// mistyped path is answered in Shouqianba's shape rather than a bare 404.
func (p *Provider) Routes(e *echo.Echo) {
	for _, r := range routes {
		h := p.handler(r.cred, r.serve)
		for _, path := range r.paths {
			e.Any(path, h)
		}
	}
	for _, prefix := range []string{"/upay/*", "/terminal/*", "/api/v2/*"} {
		e.Any(prefix, p.unknownPath)
	}
}

// handler runs the pipeline every request goes through: transport, raw body, signing
// identity from the Authorization header, signature over the raw bytes, the body as JSON,
// the body's terminal against the signer, then the endpoint's own validation and business.
func (p *Provider) handler(cred credential, serve endpoint) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				p.core.Logger().Error("shouqianba handler panicked", "path", c.Path(), "panic", v, "stack", string(debug.Stack()))
				err = p.write(c, http.StatusOK, gatewayError(errSystem, msgSystem, fmt.Sprintf("internal error: %v", v)))
			}
		}()
		r := c.Request()
		if r.Method != http.MethodPost {
			c.Response().Header().Set("Allow", http.MethodPost)
			return p.write(c, http.StatusMethodNotAllowed, gatewayError(errInvalidParams, "请求方式必须为POST",
				fmt.Sprintf("%s %s: Shouqianba serves POST only", r.Method, r.URL.Path)))
		}
		body, rerr := sim.ReadBody(r)
		if rerr != nil {
			msg := "请求体读取失败"
			if sim.IsBodyTooLarge(rerr) {
				msg = "请求体过大"
			}
			return p.write(c, http.StatusOK, gatewayError(errInvalidParams, msg, rerr.Error()))
		}
		req, derr := decodeBody(body)
		who, rep, ok := p.authenticate(cred, r.Header.Get("Authorization"), body, req)
		if !ok {
			return p.write(c, http.StatusOK, rep)
		}
		if derr != nil {
			return p.write(c, http.StatusOK, gatewayError(errInvalidParams, derr.message, derr.detail))
		}
		// SQ-A3: only now, with the signature checked, is the body's terminal_sn trusted.
		if sn := req.str("terminal_sn"); cred == terminalSigned && sn != "" && sn != who.sn {
			return p.write(c, http.StatusOK, gatewayError(errInvalidTerminal, msgInvalidTerminal,
				fmt.Sprintf("the body names terminal_sn %s but the request is signed by terminal %s; a terminal may only act for itself", sn, who.sn)))
		}
		return p.write(c, http.StatusOK, serve(p, c, who, req))
	}
}

// authenticate resolves the signer from the Authorization header alone and checks the
// signature over the raw body. With --verify log or off, a request with no usable header
// or an unknown sn is served as the test terminal's merchant (or the test vendor), so
// that a developer can point a client with real credentials at paysim.
func (p *Provider) authenticate(cred credential, header string, body []byte, req *request) (caller, reply, bool) {
	mode := p.core.Verify()
	auth, perr := parseAuthorization(header)
	if perr != nil {
		if mode == sim.VerifyStrict {
			return caller{}, gatewayError(errIllegalSign, msgIllegalSign, perr.Error()), false
		}
		p.logLenient(mode, perr.Error())
		auth.sn = fallbackSN(cred, req)
	}
	checkSign := perr == nil && mode != sim.VerifyOff
	if cred == vendorSigned {
		v, known := p.terminals.vendor(auth.sn)
		if !known {
			detail := fmt.Sprintf("vendor_sn %s is not a vendor paysim knows (the test vendor is %s)", auth.sn, TestVendorSN)
			if mode == sim.VerifyStrict {
				return caller{}, gatewayError(errInvalidTerminal, msgInvalidTerminal, detail), false
			}
			p.logLenient(mode, detail)
			v, checkSign = Vendor{SN: TestVendorSN, Key: TestVendorKey}, false
		}
		if checkSign {
			if err := verify(body, auth, "vendor_key", []string{v.Key}); err != nil {
				if mode == sim.VerifyStrict {
					return caller{}, gatewayError(errIllegalSign, msgIllegalSign, err.Error()), false
				}
				p.logLenient(mode, err.Error())
			}
		}
		return caller{sn: v.SN, vendor: v}, reply{}, true
	}
	t, known := p.terminals.terminal(auth.sn)
	if !known {
		detail := fmt.Sprintf("terminal_sn %s is not a terminal paysim knows: activate one with /terminal/activate or use the test terminal %s", auth.sn, TestTerminalSN)
		if mode == sim.VerifyStrict {
			return caller{}, gatewayError(errInvalidTerminal, msgInvalidTerminal, detail), false
		}
		p.logLenient(mode, detail)
		t, checkSign = testTerminal(), false
		t.SN = auth.sn
	}
	if checkSign {
		if err := verify(body, auth, "terminal_key", t.keys()); err != nil {
			if mode == sim.VerifyStrict {
				return caller{}, gatewayError(errIllegalSign, msgIllegalSign, err.Error()), false
			}
			p.logLenient(mode, err.Error())
		}
	}
	return caller{sn: t.SN, terminal: t}, reply{}, true
}

// fallbackSN is the signer assumed when --verify is not strict and the header names none.
func fallbackSN(cred credential, req *request) string {
	if cred == vendorSigned {
		return TestVendorSN
	}
	if req != nil && req.str("terminal_sn") != "" {
		return req.str("terminal_sn")
	}
	return TestTerminalSN
}

func (p *Provider) logLenient(mode sim.VerifyMode, detail string) {
	if mode == sim.VerifyLog {
		p.core.Logger().Warn("shouqianba request does not authenticate; serving anyway (--verify log)", "detail", detail)
	}
}

func (p *Provider) unknownPath(c echo.Context) error {
	return p.write(c, http.StatusNotFound, gatewayError(errInvalidParams, "接口不存在",
		fmt.Sprintf("%s is not a Shouqianba path paysim serves; served: %s", c.Request().URL.Path, strings.Join(Paths(), ", "))))
}

// write sends a reply. Every answer is the vendor's JSON envelope, whatever happened.
func (p *Provider) write(c echo.Context, status int, rep reply) error {
	h := c.Response().Header()
	sim.Annotate(h, rep.diagnostic, rep.scenario)
	if rep.diagnostic != "" {
		p.core.Logger().Info("shouqianba request refused", "path", c.Request().URL.Path, "result_code", rep.resultCode,
			"error_code", errorCodeOf(rep), "diagnostic", rep.diagnostic)
	}
	return c.Blob(status, "application/json;charset=UTF-8", encode(rep))
}

func errorCodeOf(rep reply) string {
	if rep.biz != nil {
		return rep.biz.errorCode
	}
	return rep.errorCode
}
