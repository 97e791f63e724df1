package paysim_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/paysimtest"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/proxy"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// proxied is an app configured for proxy mode: paysim is its proxy and paysim's CA is in
// its root pool. Its dialer reaches paysim's listener and nothing else, and counts every
// other address it was asked for.
type proxied struct {
	http    *http.Client
	foreign atomic.Int32
	mu      sync.Mutex
	answers [][]byte // every body it received, to look for the CA key in
}

func newProxied(t *testing.T, ps *paysimtest.Server) *proxied {
	t.Helper()
	ca, err := ps.Paysim.CA()
	require.NoError(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	proxyURL, err := url.Parse(ps.URL)
	require.NoError(t, err)
	p := &proxied{}
	tr := &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != proxyURL.Host {
				p.foreign.Add(1)
				return nil, fmt.Errorf("test dialer: refusing %s, which is not paysim", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	p.http = &http.Client{Transport: recorder{tr, p}, Timeout: 10 * time.Second}
	return p
}

type recorder struct {
	next http.RoundTripper
	p    *proxied
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err // a fault cut the answer
	}
	r.p.mu.Lock()
	r.p.answers = append(r.p.answers, data)
	r.p.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}

func (p *proxied) get(t *testing.T, rawURL string) (int, string) {
	t.Helper()
	resp, err := p.http.Get(rawURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

func lastRequest(t *testing.T, ps *paysimtest.Server, f paysimtest.RequestFilter) journal.Entry {
	t.Helper()
	got := ps.Requests(f)
	require.NotEmpty(t, got, "no journal entry for %+v", f)
	return got[0]
}

// An app that keeps the providers' production URLs reaches paysim through the proxy, on
// every provider, and gets answers that verify with the platform keys.
func TestProxyModeServesEveryProviderOnItsRealHosts(t *testing.T) {
	ps := paysimtest.New(t)
	app := newProxied(t, ps)

	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "10.00")
	hf, err := huifutest.NewClient("https://api.huifu.com", paysim.DefaultKeys())
	require.NoError(t, err)
	hf.HTTP = app.http
	refund, err := hf.Post("/v3/trade/payment/scanpay/refund", map[string]any{
		"req_date": "20260101", "req_seq_id": "refund-1", "huifu_id": huifutest.HuifuID, "ord_amt": "2.50",
		"org_req_date": "20260101", "org_req_seq_id": "pay-1"})
	require.NoError(t, err, "the refund's answer is signed and verifies")
	assert.Equal(t, "00000100", refund.Code())
	assert.Equal(t, "P", refund.Data["trans_stat"])
	e := lastRequest(t, ps, paysimtest.RequestFilter{Order: "refund-1"})
	assert.Equal(t, "api.huifu.com", e.ProxyHost)
	assert.Equal(t, "huifu", e.Provider)
	assert.Equal(t, journal.Served, e.Outcome)

	// The SDK's test host too.
	hf.BaseURL = "https://spin-test.cloudpnr.com"
	query, err := hf.Post("/v3/trade/payment/scanpay/refundquery", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "refund-1"})
	require.NoError(t, err)
	assert.Equal(t, "00000000", query.Code())
	assert.Equal(t, "spin-test.cloudpnr.com", lastRequest(t, ps, paysimtest.RequestFilter{Path: "/v3/trade/payment/scanpay/refundquery"}).ProxyHost)

	ps.Seed("huishouqian", huishouqiantest.MerchantNo, "hsq-1", "1.00")
	hsq, err := huishouqiantest.NewClient("https://api.huishouqian.com", paysim.DefaultKeys())
	require.NoError(t, err)
	hsq.HTTP = app.http
	hq, err := hsq.Post("POLYMERIZE_QUERY", map[string]any{"transNo": "hsq-1"})
	require.NoError(t, err)
	assert.Equal(t, "SUCCESS", hq.OrderStatus())
	assert.Equal(t, "api.huishouqian.com", lastRequest(t, ps, paysimtest.RequestFilter{Provider: "huishouqian"}).ProxyHost)

	ps.Seed("shouqianba", shouqianba.TestMerchantSN, "sqb-1", "1.00")
	sqb := shouqianbatest.NewClient("https://vsi-api.shouqianba.com")
	sqb.HTTP = app.http
	sq, err := sqb.Post("/upay/v2/query", map[string]any{"client_sn": "sqb-1"})
	require.NoError(t, err)
	assert.Equal(t, "PAID", sq.Data("order_status"))
	assert.Equal(t, "vsi-api.shouqianba.com", lastRequest(t, ps, paysimtest.RequestFilter{Provider: "shouqianba"}).ProxyHost)

	// Umpay's hosts are plain HTTP: the proxy gets absolute URLs, no tunnel.
	ps.Seed("umpay", umpaytest.MerID, "um-1", "1.00")
	ump, err := umpaytest.NewClient("http://provider.umfintech.com"+umpay.BasePath, paysim.DefaultKeys())
	require.NoError(t, err)
	ump.HTTP = app.http
	um, err := ump.Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID,
		"orderNo": "um-1", "transactionId": ""})
	require.NoError(t, err)
	assert.Equal(t, "00", um.Code())
	assert.Equal(t, "provider.umfintech.com", lastRequest(t, ps, paysimtest.RequestFilter{Provider: "umpay"}).ProxyHost)
	// Its test address, through a tunnel: the leaf names the IP address.
	ump.BaseURL = "https://111.205.18.100:8011" + umpay.BasePath
	um, err = ump.Post("/pay/queryOrder", map[string]any{"acqSpId": umpaytest.SpID, "acqMerId": umpaytest.MerID,
		"orderNo": "um-1", "transactionId": ""})
	require.NoError(t, err)
	assert.Equal(t, "00", um.Code())
	assert.Equal(t, "111.205.18.100", lastRequest(t, ps, paysimtest.RequestFilter{Provider: "umpay"}).ProxyHost)

	assert.Zero(t, app.foreign.Load(), "the app dialed something other than paysim")

	// A request made to paysim directly says so.
	_, err = ps.Huifu().Post("/v3/trade/payment/scanpay/query", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "pay-1"})
	require.NoError(t, err)
	assert.Empty(t, lastRequest(t, ps, paysimtest.RequestFilter{Path: "/v3/trade/payment/scanpay/query"}).ProxyHost)
}

// paysimtest's ProxyClient is that app in one line.
func TestPaysimtestProxyClient(t *testing.T) {
	ps := paysimtest.New(t)
	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	hf, err := huifutest.NewClient("https://api.huifu.com", paysim.DefaultKeys())
	require.NoError(t, err)
	hf.HTTP = ps.ProxyClient()
	resp, err := hf.Post("/v2/trade/payment/scanpay/query", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "pay-1"})
	require.NoError(t, err)
	assert.Equal(t, "S", resp.Data["trans_stat"])
}

func TestProxyModeRefusesOtherHostsWithoutADial(t *testing.T) {
	ps := paysimtest.New(t)
	app := newProxied(t, ps)

	_, err := app.http.Get("https://api.stripe.com/v1/charges")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "paysim does not simulate api.stripe.com")

	code, text := app.get(t, "http://example.com/pay/queryOrder")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, text, "example.com is not a host paysim simulates")
	for _, h := range paysim.ProxyHosts() {
		assert.Contains(t, text, h.Name, "the refusal lists every known host")
	}
	assert.Zero(t, app.foreign.Load(), "the app dialed something other than paysim")

	refused := ps.Requests(paysimtest.RequestFilter{Outcome: journal.Refused})
	require.Len(t, refused, 2)
	assert.Equal(t, "example.com", refused[0].ProxyHost)
	assert.Equal(t, http.MethodGet, refused[0].Method)
	assert.Equal(t, http.StatusForbidden, refused[0].Status)
	assert.Equal(t, "api.stripe.com", refused[1].ProxyHost)
	assert.Equal(t, http.MethodConnect, refused[1].Method)
	assert.Equal(t, "api.stripe.com:443", refused[1].Path)
}

// The control plane answers paysim's own names only: through a provider's host it is
// refused, tunnel or not, and nothing changes.
func TestControlPlaneIsNotReachableThroughAProviderHost(t *testing.T) {
	ps := paysimtest.New(t)
	app := newProxied(t, ps)
	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")

	code, text := app.get(t, "https://api.huifu.com/__paysim/health")
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, text, "is not paysim's")
	for _, u := range []string{"https://api.huifu.com/__paysim/reset", "http://provider.umfintech.com/__paysim/reset"} {
		resp, err := app.http.Post(u, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
	}
	assert.Equal(t, "pay-1", ps.Order("huifu", "pay-1").ID, "the order survived")

	// A path no provider serves is paysim's 404, journaled with its host.
	code, _ = app.get(t, "https://api.huifu.com/nothing/here")
	assert.Equal(t, http.StatusNotFound, code)
	e := lastRequest(t, ps, paysimtest.RequestFilter{Path: "/nothing/here"})
	assert.Equal(t, "api.huifu.com", e.ProxyHost)
}

// A fault that takes the connection over works inside a tunnel as outside, and the next
// request opens a new tunnel.
func TestFaultsInsideATunnel(t *testing.T) {
	ps := paysimtest.New(t)
	app := newProxied(t, ps)
	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	hf, err := huifutest.NewClient("https://api.huifu.com", paysim.DefaultKeys())
	require.NoError(t, err)
	hf.HTTP = app.http
	query := map[string]any{"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "pay-1"}
	for _, f := range []string{"truncate", "reset", "empty"} {
		hf.Header.Set("X-Paysim-Fault", f)
		_, err = hf.Post("/v3/trade/payment/scanpay/query", query)
		assert.Error(t, err, f)
	}
	hf.Header.Del("X-Paysim-Fault")
	resp, err := hf.Post("/v3/trade/payment/scanpay/query", query)
	require.NoError(t, err)
	assert.Equal(t, "S", resp.Data["trans_stat"])
	faulted := ps.Requests(paysimtest.RequestFilter{Outcome: journal.Faulted})
	require.Len(t, faulted, 3)
	for _, e := range faulted {
		assert.Equal(t, "api.huifu.com", e.ProxyHost)
	}
}

// The CA is made on the first tunnel, not at start: the quick start writes nothing.
func TestProxyModeTouchesNoDiskUntilUsed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	ps := paysimtest.New(t, paysim.WithCADir(dir))
	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	_, err := ps.Huifu().Post("/v3/trade/payment/scanpay/query", map[string]any{
		"huifu_id": huifutest.HuifuID, "org_req_date": "20260101", "org_req_seq_id": "pay-1"})
	require.NoError(t, err)
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "a direct request created the CA folder")

	ca, err := ps.Paysim.CA()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, proxy.CertFile), ca.CertPath())
	again, err := paysim.OpenCA(dir)
	require.NoError(t, err)
	assert.Empty(t, again.Created, "OpenCA loads the CA the server made")
	assert.Equal(t, ca.CertPEM(), again.CertPEM())
}

// The CA key stays in its folder, 0600: no answer of paysim's carries it, the journal
// and the certificates it serves included.
func TestTheCAKeyIsNeverServed(t *testing.T) {
	ps := paysimtest.New(t)
	app := newProxied(t, ps)
	ps.Seed("huifu", huifutest.HuifuID, "pay-1", "1.00")
	app.get(t, "https://api.huifu.com/v3/trade/payment/scanpay/query")
	app.get(t, "http://example.com/")
	app.get(t, "https://api.huifu.com/__paysim/health")
	for _, path := range []string{"/__paysim/requests", "/__paysim/health", "/__paysim/orders", "/__paysim/ui/"} {
		app.get(t, ps.URL+path) // paysim's own address, through the proxy
	}

	ca, err := ps.Paysim.CA()
	require.NoError(t, err)
	keyPath := filepath.Join(filepath.Dir(ca.CertPath()), proxy.KeyFile)
	keyPEM, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	st, err := os.Stat(keyPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	block, _ := pem.Decode(keyPEM)
	require.NotNil(t, block)
	secrets := [][]byte{keyPEM, block.Bytes, bytes.Split(keyPEM, []byte("\n"))[1]}

	served := append([][]byte{ca.CertPEM()}, app.answers...)
	conn, err := tls.Dial("tcp", strings.TrimPrefix(ps.URL, "http://"), &tls.Config{InsecureSkipVerify: true})
	if err == nil { // paysim's own port speaks no TLS outside a tunnel
		conn.Close()
		t.Error("paysim answered TLS outside a tunnel")
	}
	require.Len(t, served, 8, "the CA certificate and seven answers")
	for i, body := range served {
		for _, s := range secrets {
			assert.False(t, bytes.Contains(body, s), "answer %d carries the CA key", i)
		}
	}
}

// docs/protocols.md §7 is the registry's host list, generated from it: this test fails
// when they differ, and prints the table to paste.
func TestProxyHostsAreDocumented(t *testing.T) {
	var b strings.Builder
	b.WriteString("| host | provider | environment | where the name comes from |\n|---|---|---|---|\n")
	for _, h := range paysim.ProxyHosts() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", h.Name, h.Provider, h.Env, h.Source)
	}
	docs, err := os.ReadFile("docs/protocols.md")
	require.NoError(t, err)
	if !strings.Contains(string(docs), b.String()) {
		t.Errorf("docs/protocols.md §7 does not hold the registry's proxy hosts; it should have this table:\n\n%s", b.String())
	}
	require.NoError(t, proxy.CheckHosts(paysim.ProxyHosts()))
	for _, p := range paysim.Providers() {
		n := 0
		for _, h := range paysim.ProxyHosts() {
			if h.Provider == p {
				n++
			}
		}
		assert.GreaterOrEqual(t, n, 2, "%s lists its production and test hosts", p)
	}
}

// Without a configuration folder (no HOME), the CA cannot be placed: the refusal says
// which option places it, and nothing else breaks.
func TestProxyModeWithoutAConfigFolderSaysWhatToDo(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if _, err := os.UserConfigDir(); err == nil {
		t.Skip("this platform has a configuration folder without HOME")
	}
	ps, err := paysim.New()
	require.NoError(t, err, "proxy mode needs no folder until it is used")
	defer ps.Close(context.Background())
	_, err = ps.CA()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "paysim.WithCADir")
	_, err = paysim.OpenCA("")
	assert.ErrorContains(t, err, "name a folder")
}
