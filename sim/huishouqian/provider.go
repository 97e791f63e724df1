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
	"slices"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
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
	core     *sim.Simulator
	platform *rsakey.Signer
	// verifier remembers requests that verified: retries and polls repeat them exactly.
	verifier  *rsakey.Verifier
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
	p := &Provider{core: core, platform: rsakey.NewSigner(platform, 0), verifier: rsakey.NewVerifier(0), merchants: map[string]*Merchant{}}
	core.OnFinal(Name, p.notify)
	core.NotifyPolicy(Name, notifyPolicy) // for notifications restored from a state file
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
type operation func(p *Provider, req *request) reply

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

// Mount builds the gateway path on the pipeline, plus a catch-all under /api/acquiring/ so
// that a mistyped path there is answered in Huishouqian's signed shape rather than a bare
// 404. Other paths under /api/ are not claimed: Shouqianba serves /api/v2/.
func (p *Provider) Mount(g *gateway.Gateway) gateway.Mounts {
	proto := protocol{p}
	return gateway.Mounts{
		Routes:   []gateway.Route{{Paths: []string{Path}, Handler: gateway.Handle(g, proto, p.acquiring)}},
		Prefixes: []string{Path + "/"},
		Fallback: gateway.Refuse(g, proto, gateway.RefuseUnknownPath, func(r *http.Request) string {
			return fmt.Sprintf("%s is not a Huishouqian path paysim serves; every method is posted to %s", r.URL.Path, Path)
		}),
	}
}

// acquiring is the one endpoint: it dispatches on the method the envelope named, which
// Admit has checked is served.
func (p *Provider) acquiring(req *request) reply { return operations[req.method](p, req) }

// Signatures says how many of the provider's signatures and verifications were reused.
func (p *Provider) Signatures() rsakey.Counts { return rsakey.CountsOf(p.platform, p.verifier) }
