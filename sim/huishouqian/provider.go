// Package huishouqian impersonates Huishouqian 慧收钱's acquiring gateway: one form-encoded
// POST /api/acquiring dispatching on the method field, requests signed with SHA256withRSA
// over a fixed-order string that ends in the merchant's shared secret, and answers
// {success, result, errorCode, errorMsg, sign} signed with the platform key in hex.
package huishouqian

import (
	"crypto/rsa"
	"fmt"
	"io/fs"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/rsakey"
)

// Name is the provider's name in scenarios and the control plane.
const Name = "huishouqian"

// TestMerchantNo is the test identity shipped in keys/ (keys/README.md).
const TestMerchantNo = "864000000001"

// Path is the gateway's one business path (test-api.huishouqian.com and api.huishouqian.com).
const Path = "/api/acquiring"

// Merchant is a caller paysim knows: a merchantNo with the certificate its requests verify
// against and the shared secret appended to every string to sign.
type Merchant struct {
	No        string
	PublicKey *rsa.PublicKey
	KeyFile   string
	SignKey   string
}

// Provider serves Huishouqian's gateway.
type Provider struct {
	core      *sim.Simulator
	platform  *rsa.PrivateKey
	merchants map[string]*Merchant
	// fallback signs answers to requests whose merchantNo is missing or unknown, so that
	// even those answers verify for a client configured with the test identity.
	fallback *Merchant
	// successAsString emits "success":"true" for the C# client (HQ-A1).
	successAsString bool
}

// New loads the Huishouqian keys from keys (a tree shaped like the project's keys/ folder)
// and registers the test identity.
func New(core *sim.Simulator, keys fs.FS) (*Provider, error) {
	platform, err := rsakey.LoadPrivate(keys, "huishouqian/platform_private.pem")
	if err != nil {
		return nil, err
	}
	pub, err := rsakey.LoadPublic(keys, "huishouqian/merchant_cert.pem")
	if err != nil {
		return nil, err
	}
	secret, err := fs.ReadFile(keys, "huishouqian/sign_key.txt")
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		return nil, fmt.Errorf("huishouqian/sign_key.txt is empty")
	}
	p := &Provider{core: core, platform: platform, merchants: map[string]*Merchant{}}
	core.OnFinal(Name, p.notify)
	// The file is the secret byte for byte: a trailing newline would be part of it.
	p.AddMerchant(&Merchant{No: TestMerchantNo, PublicKey: pub, KeyFile: "keys/huishouqian/merchant_cert.pem", SignKey: string(secret)})
	p.fallback = p.merchants[TestMerchantNo]
	return p, nil
}

// AddMerchant registers (or replaces) a caller. Call it before serving.
func (p *Provider) AddMerchant(m *Merchant) { p.merchants[m.No] = m }

// SetSuccessAsString makes answers carry success as the string "true"/"false" instead of a
// JSON boolean, for the C# client that reads it into a string (HQ-A1). The PHP client needs
// the boolean, which is the default. Call it before serving.
func (p *Provider) SetSuccessAsString(on bool) { p.successAsString = on }

func (p *Provider) Name() string { return Name }

// operation is one business method behind the gateway.
type operation func(p *Provider, c echo.Context, req *request) reply

// Methods the gateway dispatches on (protocols: Huishouqian methods).
const (
	MethodMainSwept   = "POLYMERIZE_MAIN_SWEPTN"
	MethodBeSwept     = "POLYMERIZE_BE_SWEPTN"
	MethodQuery       = "POLYMERIZE_QUERY"
	MethodRefund      = "POLYMERIZE_REFUND"
	MethodRefundQuery = "POLYMERIZE_REFUND_QUERY"
)

var operations = map[string]operation{
	MethodMainSwept:   (*Provider).mainSwept,
	MethodBeSwept:     (*Provider).beSwept,
	MethodQuery:       (*Provider).query,
	MethodRefund:      (*Provider).refund,
	MethodRefundQuery: (*Provider).refundQuery,
}

// Methods lists the methods served, for documentation and diagnostics.
func Methods() []string {
	out := make([]string, 0, len(operations))
	for m := range operations {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// Routes mounts the gateway path, plus a catch-all under /api/ so that a mistyped path is
// answered in Huishouqian's signed shape rather than a bare 404.
func (p *Provider) Routes(e *echo.Echo) {
	e.Any(Path, p.handle)
	e.Any("/api/*", p.unknownPath)
}

// handle runs the pipeline every request goes through: transport and form, signing
// identity, signature, envelope fields, then the method's own validation and business.
func (p *Provider) handle(c echo.Context) (err error) {
	signer := p.fallback
	defer func() {
		if v := recover(); v != nil {
			p.core.Logger().Error("huishouqian handler panicked", "panic", v, "stack", string(debug.Stack()))
			err = p.write(c, http.StatusOK, failure(codeSystem, msgSystem, fmt.Sprintf("internal error: %v", v)), signer)
		}
	}()
	if c.Request().Method != http.MethodPost {
		c.Response().Header().Set("Allow", http.MethodPost)
		return p.write(c, http.StatusMethodNotAllowed, failure(codeParam, msgParam+"请求方式必须为POST",
			fmt.Sprintf("%s %s: the Huishouqian gateway serves POST only", c.Request().Method, c.Request().URL.Path)), signer)
	}
	req, derr := decode(c.Request())
	if derr != nil {
		return p.write(c, http.StatusOK, failure(codeParam, msgParam+derr.what, derr.detail), signer)
	}
	m, rep, ok := p.authenticate(req)
	if m != nil {
		signer = m
	}
	if !ok {
		return p.write(c, http.StatusOK, rep, signer)
	}
	serve, rep, ok := p.envelope(req)
	if !ok {
		return p.write(c, http.StatusOK, rep, signer)
	}
	return p.write(c, http.StatusOK, serve(p, c, req), signer)
}

// authenticate resolves the signing identity from merchantNo alone and verifies the
// signature; nothing inside signContent is looked at before this.
func (p *Provider) authenticate(req *request) (*Merchant, reply, bool) {
	m := p.merchants[req.merchantNo]
	mode := p.core.Verify()
	if mode == sim.VerifyOff {
		return m, reply{}, true
	}
	var problem string
	switch {
	case m == nil:
		problem = fmt.Sprintf("merchantNo %s is not a known merchant, so there is no key to verify with (the test identity is merchantNo %s); expected signed text: %s",
			req.merchantNo, TestMerchantNo, sim.QuoteText(string(signingText(signedPairs(req), redactedKey, false))))
	case !strings.EqualFold(req.signType, signTypeRSA2):
		// HQ-A3: CFCA carries an encrypted payload paysim cannot read.
		problem = fmt.Sprintf("signType %q is not supported; paysim verifies signType RSA2 (SHA256withRSA, hex) only", req.signType)
	default:
		if err := verifyRequest(m, req); err != nil {
			problem = fmt.Sprintf("merchantNo %s (%s): %v", m.No, m.KeyFile, err)
		}
	}
	if problem == "" {
		return m, reply{}, true
	}
	if mode == sim.VerifyStrict {
		return m, failure(codeSign, msgSign, problem), false
	}
	p.core.Logger().Warn("huishouqian signature does not verify; serving anyway (--verify log)", "detail", problem)
	return m, reply{}, true
}

// envelope checks the public fields that only matter once the request is trusted, picks
// the method and parses signContent.
func (p *Provider) envelope(req *request) (operation, reply, bool) {
	if req.method == "" {
		return nil, failure(codeParam, msgParam+"method", "the form has no method; name the operation, e.g. method=POLYMERIZE_QUERY"), false
	}
	serve := operations[req.method]
	if serve == nil {
		return nil, failure(codeMethod, msgMethod, fmt.Sprintf("method %q is not served; served: %s", req.method, strings.Join(Methods(), ", "))), false
	}
	if req.version == "" {
		return nil, failure(codeParam, msgParam+"version", "the form has no version; send version=1.0"), false
	}
	if !strings.EqualFold(req.format, "JSON") {
		return nil, failure(codeParam, msgParam+"format", fmt.Sprintf("format is %q; signContent must be JSON, send format=JSON", req.format)), false
	}
	if req.signContent == "" {
		return nil, failure(codeParam, msgParam+"signContent", "the form has no signContent; put the business parameters there as a JSON object string"), false
	}
	biz, err := parseSignContent(req.signContent)
	if err != nil {
		return nil, failure(codeParam, msgParam+"signContent", fmt.Sprintf("signContent is not a JSON object (%v): %s", err, sim.QuoteText(req.signContent))), false
	}
	req.biz = biz
	return serve, reply{}, true
}

func (p *Provider) unknownPath(c echo.Context) error {
	return p.write(c, http.StatusNotFound, failure(codeMethod, msgMethod,
		fmt.Sprintf("%s is not a Huishouqian path paysim serves; every method is posted to %s", c.Request().URL.Path, Path)), p.fallback)
}
