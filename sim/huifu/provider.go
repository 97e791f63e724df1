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
	"strings"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
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
	core     *sim.Simulator
	platform *rsakey.Signer
	// verifier remembers requests that verified: retries and polls repeat them exactly.
	verifier  *rsakey.Verifier
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
	p := &Provider{core: core, platform: rsakey.NewSigner(platform, 0), verifier: rsakey.NewVerifier(0), merchants: map[string]*Merchant{}}
	core.OnFinal(Name, p.notify)
	core.NotifyPolicy(Name, notifyPolicy) // for notifications restored from a state file
	p.AddMerchant(&Merchant{SysID: TestSysID, PublicKey: pub, KeyFile: "keys/huifu/merchant_public.pem",
		HuifuIDs: []string{TestSysID, TestHuifuID}})
	return p, nil
}

// AddMerchant registers (or replaces) a caller.
func (p *Provider) AddMerchant(m *Merchant) { p.merchants[m.SysID] = m }

func (p *Provider) Name() string { return Name }

// endpoint is one business operation behind a route.
type endpoint func(p *Provider, req *request) reply

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
	{[]string{"/v2/trade/payment/delaytrans/confirm"}, (*Provider).confirm},
	{[]string{"/v2/trade/payment/delaytrans/confirmquery", "/v3/trade/payment/delaytrans/confirmquery"}, (*Provider).confirmQuery},
	{[]string{"/v2/trade/payment/delaytrans/confirmrefund"}, (*Provider).confirmRefund},
	{[]string{"/v2/trade/payment/delaytrans/confirmrefundquery"}, (*Provider).confirmRefundQuery},
	{[]string{"/v2/trade/hosting/payment/preorder"}, (*Provider).preorder},
	{[]string{"/v2/trade/hosting/payment/queryorderinfo"}, (*Provider).queryOrderInfo},
	{[]string{"/v2/trade/hosting/payment/htRefund"}, (*Provider).htRefund},
	{[]string{"/v2/trade/hosting/payment/queryRefundInfo"}, (*Provider).queryRefundInfo},
	{[]string{"/v2/trade/hosting/payment/close"}, (*Provider).hostingClose},
	{[]string{"/v2/trade/hosting/payment/splitpay/query"}, (*Provider).splitpayQuery},
}

// Paths lists every path the provider serves, for documentation and tests.
func Paths() []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.paths...)
	}
	return out
}

// Mount builds every route on the pipeline, plus a catch-all under Huifu's prefixes so
// that a mistyped path is answered in Huifu's signed shape rather than a bare 404.
func (p *Provider) Mount(g *gateway.Gateway) gateway.Mounts {
	proto := protocol{p}
	m := gateway.Mounts{Prefixes: []string{"/v2/", "/v3/", "/v4/"}}
	for _, r := range routes {
		serve := r.serve
		m.Routes = append(m.Routes, gateway.Route{Paths: r.paths,
			Handler: gateway.Handle(g, proto, func(req *request) reply { return serve(p, req) })})
	}
	m.Fallback = gateway.Refuse(g, proto, gateway.RefuseUnknownPath, func(r *http.Request) string {
		return fmt.Sprintf("%s is not a Huifu path paysim serves; served: %s", r.URL.Path, strings.Join(Paths(), ", "))
	})
	return m
}

// Signatures says how many of the provider's signatures and verifications were reused.
func (p *Provider) Signatures() rsakey.Counts { return rsakey.CountsOf(p.platform, p.verifier) }
