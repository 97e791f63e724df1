package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paysim/paysim/sim/gateway"
)

var knownHosts = []Host{
	{Name: "api.huifu.com", Provider: "huifu", Env: "production", Source: "test"},
	{Name: "vsi-api.shouqianba.com", Provider: "shouqianba", Env: "production", Source: "test"},
	{Name: "provider.umfintech.com", Provider: "umpay", Env: "production", Source: "test"},
	{Name: "111.205.18.100", Provider: "umpay", Env: "test", Source: "test"},
}

// seen is what the wrapped handler saw of one request.
type seen struct {
	proxyHost, host, path string
	tls                   bool
}

type refusal struct {
	method, host, reason string
	status               int
}

// rig is a proxy in front of a handler that records what reaches it, on a real
// listening server.
type rig struct {
	t       *testing.T
	srv     *httptest.Server
	p       *Proxy
	ca      *CA
	caCalls atomic.Int32
	reached chan seen
	refused chan refusal
}

func newRig(t *testing.T, tune func(*http.Server), caErr error) *rig {
	t.Helper()
	names := make([]string, len(knownHosts))
	for i, h := range knownHosts {
		names[i] = h.Name
	}
	ca, err := Open(t.TempDir(), names, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ca: ca, reached: make(chan seen, 16), refused: make(chan refusal, 16)}
	next := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.reached <- seen{proxyHost: gateway.ProxyHost(req.Context()), host: req.Host, path: req.URL.Path, tls: req.TLS != nil}
		io.WriteString(w, "served "+req.URL.Path)
	})
	r.p = New(next, Config{Hosts: knownHosts,
		CA: func() (*CA, error) {
			r.caCalls.Add(1)
			if caErr != nil {
				return nil, caErr
			}
			return ca, nil
		},
		Refused: func(req *http.Request, host string, status int, reason string) {
			r.refused <- refusal{method: req.Method, host: host, status: status, reason: reason}
		}})
	r.srv = httptest.NewUnstartedServer(r.p)
	if tune != nil {
		tune(r.srv.Config)
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(r.ca.Certificate())
	return pool
}

// client uses the rig as its proxy and may dial nothing else: every other dial fails and
// is counted.
func (r *rig) client(roots *x509.CertPool) (*http.Client, *atomic.Int32) {
	proxyURL, _ := url.Parse(r.srv.URL)
	var foreign atomic.Int32
	tr := &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != proxyURL.Host {
				foreign.Add(1)
				return nil, fmt.Errorf("test dialer: %s is not the proxy", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}
	r.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, &foreign
}

func (r *rig) nextSeen() seen {
	r.t.Helper()
	select {
	case s := <-r.reached:
		return s
	case <-time.After(10 * time.Second):
		r.t.Fatal("the request never reached the wrapped handler")
	}
	return seen{}
}

func (r *rig) nextRefusal() refusal {
	r.t.Helper()
	select {
	case f := <-r.refused:
		return f
	case <-time.After(10 * time.Second):
		r.t.Fatal("no refusal was reported")
	}
	return refusal{}
}

func (r *rig) nothingReached() {
	r.t.Helper()
	select {
	case s := <-r.reached:
		r.t.Fatalf("a refused request reached the handler: %+v", s)
	default:
	}
}

func (r *rig) dial() net.Conn {
	r.t.Helper()
	c, err := net.Dial("tcp", r.srv.Listener.Addr().String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConnectToAnUnknownHostIsRefusedWithoutADial(t *testing.T) {
	r := newRig(t, nil, nil)
	c := r.dial()
	fmt.Fprint(c, "CONNECT evil.example.com:443 HTTP/1.1\r\nHost: evil.example.com:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	text := body(t, resp)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Status, "paysim does not simulate evil.example.com") {
		t.Errorf("status %q, want 403 naming the host in the status line", resp.Status)
	}
	for _, h := range knownHosts {
		if !strings.Contains(text, h.Name) {
			t.Errorf("the refusal does not list %s:\n%s", h.Name, text)
		}
	}
	if !strings.Contains(text, "evil.example.com") || !strings.Contains(text, "NO_PROXY") {
		t.Errorf("the refusal names neither the host nor the way around it:\n%s", text)
	}
	if f := r.nextRefusal(); f.host != "evil.example.com" || f.status != http.StatusForbidden || f.method != http.MethodConnect {
		t.Errorf("refusal reported as %+v", f)
	}
	r.nothingReached()
	if n := r.caCalls.Load(); n != 0 {
		t.Errorf("an unknown host made the proxy open its CA %d times", n)
	}

	// A Go client sees the reason in its error, and dials nothing but the proxy.
	client, foreign := r.client(r.roots())
	_, err = client.Get("https://evil.example.com/anything")
	if err == nil || !strings.Contains(err.Error(), "paysim does not simulate evil.example.com") {
		t.Errorf("client error %v, want the proxy's reason", err)
	}
	if n := foreign.Load(); n != 0 {
		t.Errorf("the client dialed %d addresses besides the proxy", n)
	}
}

func TestAbsoluteFormRequests(t *testing.T) {
	r := newRig(t, nil, nil)
	client, foreign := r.client(nil)

	resp, err := client.Post("http://provider.umfintech.com/entry-provider-plat-client/pay/queryOrder", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if got := body(t, resp); got != "served /entry-provider-plat-client/pay/queryOrder" {
		t.Errorf("answer %q", got)
	}
	if s := r.nextSeen(); s.proxyHost != "provider.umfintech.com" || s.host != "provider.umfintech.com" || s.tls {
		t.Errorf("the handler saw %+v", s)
	}

	resp, err = client.Get("http://111.205.18.100:8011/pay/queryOrder")
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if s := r.nextSeen(); s.proxyHost != "111.205.18.100" {
		t.Errorf("an IP host with a port: the handler saw %+v", s)
	}

	resp, err = client.Get("http://evil.example.com/pay/queryOrder")
	if err != nil {
		t.Fatal(err)
	}
	if text := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(text, "evil.example.com is not a host paysim simulates") {
		t.Errorf("unknown host: %d %q", resp.StatusCode, text)
	}
	if f := r.nextRefusal(); f.host != "evil.example.com" || f.status != http.StatusForbidden {
		t.Errorf("refusal reported as %+v", f)
	}
	r.nothingReached()
	if n := foreign.Load(); n != 0 {
		t.Errorf("the client dialed %d addresses besides the proxy", n)
	}

	// paysim's own address through the proxy is paysim, not a provider.
	self := r.dial()
	fmt.Fprintf(self, "GET %s/__paysim/health HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", r.srv.URL, r.srv.Listener.Addr())
	resp, err = http.ReadResponse(bufio.NewReader(self), nil)
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if s := r.nextSeen(); s.proxyHost != "" || s.path != "/__paysim/health" {
		t.Errorf("paysim's own address: the handler saw %+v", s)
	}
}

func TestTunnelServesTLSWithALeafForTheHost(t *testing.T) {
	r := newRig(t, nil, nil)
	client, foreign := r.client(r.roots())
	for i := range 3 {
		resp, err := client.Post("https://api.huifu.com/v3/trade/payment/scanpay/refund", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if got := body(t, resp); got != "served /v3/trade/payment/scanpay/refund" {
			t.Errorf("answer %q", got)
		}
		leaf := resp.TLS.PeerCertificates[0]
		if len(resp.TLS.PeerCertificates) != 1 || leaf.DNSNames[0] != "api.huifu.com" || leaf.Issuer.CommonName != CommonName {
			t.Errorf("chain of %d, leaf for %v issued by %q", len(resp.TLS.PeerCertificates), leaf.DNSNames, leaf.Issuer.CommonName)
		}
		if resp.TLS.NegotiatedProtocol == "h2" {
			t.Error("HTTP/2 negotiated in a tunnel")
		}
		if s := r.nextSeen(); s.proxyHost != "api.huifu.com" || s.host != "api.huifu.com" || !s.tls {
			t.Errorf("request %d: the handler saw %+v", i, s)
		}
	}
	if n := r.p.Tunnels(); n != 1 {
		t.Errorf("%d tunnels open after three requests of one keep-alive client, want 1", n)
	}
	if n := foreign.Load(); n != 0 {
		t.Errorf("the client dialed %d addresses besides the proxy", n)
	}

	// An IP host gets a certificate for its address.
	resp, err := client.Get("https://111.205.18.100:8011/pay/queryOrder")
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if ip := resp.TLS.PeerCertificates[0].IPAddresses; len(ip) != 1 || ip[0].String() != "111.205.18.100" {
		t.Errorf("IP host leaf SAN %v", ip)
	}
	r.nextSeen()
}

// pipelined sends the CONNECT and the TLS hello together, as some clients do without
// waiting for the 200: what the server read ahead must reach the TLS server.
type pipelined struct {
	net.Conn
	head   string
	sent   bool
	br     *bufio.Reader
	status string
}

func (p *pipelined) Write(b []byte) (int, error) {
	if !p.sent {
		p.sent = true
		if _, err := p.Conn.Write(append([]byte(p.head), b...)); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	return p.Conn.Write(b)
}

func (p *pipelined) Read(b []byte) (int, error) {
	if p.br == nil {
		p.br = bufio.NewReader(p.Conn)
		resp, err := http.ReadResponse(p.br, &http.Request{Method: http.MethodConnect})
		if err != nil {
			return 0, err
		}
		p.status = resp.Status
	}
	return p.br.Read(b)
}

func TestTunnelWithTheHelloSentAhead(t *testing.T) {
	r := newRig(t, nil, nil)
	pc := &pipelined{Conn: r.dial(), head: "CONNECT vsi-api.shouqianba.com:443 HTTP/1.1\r\nHost: vsi-api.shouqianba.com:443\r\n\r\n"}
	tc := tls.Client(pc, &tls.Config{ServerName: "vsi-api.shouqianba.com", RootCAs: r.roots()})
	fmt.Fprint(tc, "POST /upay/v2/query HTTP/1.1\r\nHost: vsi-api.shouqianba.com\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := body(t, resp); got != "served /upay/v2/query" || !strings.HasPrefix(pc.status, "200") {
		t.Errorf("CONNECT %q, answer %q", pc.status, got)
	}
	if s := r.nextSeen(); s.proxyHost != "vsi-api.shouqianba.com" {
		t.Errorf("the handler saw %+v", s)
	}
}

func connect(t *testing.T, r *rig, host string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := r.dial()
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT %s: %v %v", host, resp, err)
	}
	return c, br
}

func TestPlainHTTPInsideATunnel(t *testing.T) {
	r := newRig(t, nil, nil)
	c, br := connect(t, r, "provider.umfintech.com:80")
	fmt.Fprint(c, "POST /pay/queryOrder HTTP/1.1\r\nHost: provider.umfintech.com\r\nContent-Length: 2\r\n\r\n{}")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := body(t, resp); got != "served /pay/queryOrder" {
		t.Errorf("answer %q", got)
	}
	if s := r.nextSeen(); s.proxyHost != "provider.umfintech.com" || s.tls {
		t.Errorf("the handler saw %+v", s)
	}
}

func TestATunnelServesOnlyItsOwnHost(t *testing.T) {
	r := newRig(t, nil, nil)
	c, br := connect(t, r, "provider.umfintech.com:80")
	fmt.Fprintf(c, "GET /__paysim/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if text := body(t, resp); resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(text, "opened for provider.umfintech.com") {
		t.Errorf("another Host in a tunnel: %d %q", resp.StatusCode, text)
	}
	if f := r.nextRefusal(); f.status != http.StatusMisdirectedRequest || f.host != "provider.umfintech.com" {
		t.Errorf("refusal reported as %+v", f)
	}
	r.nothingReached()
}

func TestAClientThatDoesNotTrustTheCAIsExplained(t *testing.T) {
	r := newRig(t, nil, nil)
	client, _ := r.client(x509.NewCertPool()) // trusts nothing
	_, err := client.Get("https://api.huifu.com/v3/trade/payment/scanpay/query")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("client error %v, want an unknown authority", err)
	}
	f := r.nextRefusal()
	if f.status != 0 || f.host != "api.huifu.com" || !strings.Contains(f.reason, "does not trust paysim's CA") || !strings.Contains(f.reason, r.ca.CertPath()) {
		t.Errorf("refusal reported as %+v", f)
	}
	r.nothingReached()
}

func TestWithoutACATheTunnelIsRefused(t *testing.T) {
	r := newRig(t, nil, errors.New("the folder /nowhere cannot be created"))
	c := r.dial()
	fmt.Fprint(c, "CONNECT api.huifu.com:443 HTTP/1.1\r\nHost: api.huifu.com:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	if text := body(t, resp); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(text, "/nowhere cannot be created") {
		t.Errorf("no CA: %d %q", resp.StatusCode, text)
	}
	r.nextRefusal()
}

func TestASilentTunnelIsClosed(t *testing.T) {
	r := newRig(t, func(s *http.Server) { s.ReadHeaderTimeout = 50 * time.Millisecond }, nil)
	c, br := connect(t, r, "api.huifu.com:443")
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("a tunnel that never spoke: read %v, want the proxy to close it", err)
	}
	c.Close()
}

func TestDrainClosesTunnelsAndOpensNoNewOne(t *testing.T) {
	r := newRig(t, nil, nil)
	client, _ := r.client(r.roots())
	resp, err := client.Get("https://api.huifu.com/v2/trade/payment/scanpay/query")
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	r.nextSeen()
	if n := r.p.Tunnels(); n != 1 {
		t.Fatalf("%d tunnels open, want 1", n)
	}
	r.p.Drain()
	deadline := time.Now().Add(10 * time.Second)
	for r.p.Tunnels() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle tunnel is still open after Drain")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := r.dial()
	fmt.Fprint(c, "CONNECT api.huifu.com:443 HTTP/1.1\r\nHost: api.huifu.com:443\r\n\r\n")
	resp, err = http.ReadResponse(bufio.NewReader(c), &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("CONNECT after Drain: %s", resp.Status)
	}
}

func TestTunnelsAreSafeConcurrently(t *testing.T) {
	r := newRig(t, nil, nil)
	r.reached = make(chan seen, 64)
	var wg sync.WaitGroup
	for i := range 8 {
		client, _ := r.client(r.roots())
		host := []string{"api.huifu.com", "vsi-api.shouqianba.com"}[i%2]
		wg.Go(func() {
			for range 4 {
				resp, err := client.Get("https://" + host + "/x")
				if err != nil {
					t.Error(err)
					return
				}
				body(t, resp)
			}
		})
	}
	wg.Wait()
	if len(r.reached) != 32 {
		t.Errorf("%d of 32 requests reached the handler", len(r.reached))
	}
}

func TestCheckHosts(t *testing.T) {
	ok := Host{Name: "api.huifu.com", Provider: "huifu", Env: "production", Source: "SDK"}
	for _, tc := range []struct {
		hosts []Host
		want  string
	}{
		{[]Host{ok}, ""},
		{[]Host{ok, ok}, "claimed by both"},
		{[]Host{{Name: "API.huifu.com", Provider: "huifu", Source: "x"}}, "lower-case"},
		{[]Host{{Name: "api.huifu.com:443", Provider: "huifu", Source: "x"}}, "without port"},
		{[]Host{{Name: "api.huifu.com", Provider: "huifu"}}, "comes from"},
		{[]Host{{Name: "", Provider: "huifu", Source: "x"}}, "must be set"},
	} {
		err := CheckHosts(tc.hosts)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("CheckHosts(%v) = %v, want %q", tc.hosts, err, tc.want)
		}
	}
}
