// Package proxy is paysim's proxy mode. An app that keeps the providers' real URLs
// (https://api.huifu.com, https://vsi-api.shouqianba.com, …) and is told to use paysim
// as its HTTP proxy reaches paysim's own pipeline:
//
//   - CONNECT to a known host is answered by paysim itself: it terminates TLS with a
//     certificate for that host issued by its local CA, and serves the requests inside
//     the tunnel through the same handler as direct ones;
//   - an absolute URL (POST http://provider.umfintech.com/…) for a known host is served
//     the same way;
//   - anything for another host is refused with 403, naming the host and the known list.
//
// paysim never dials out and never resolves a name here: there is no code path that
// could forward a request.
package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paysim/paysim/sim/gateway"
)

// Host is a name proxy mode answers for, with the provider it belongs to.
type Host struct {
	Name     string
	Provider string
	Env      string
	Source   string
}

// Config is what the proxy needs from its embedder.
type Config struct {
	// Hosts are the known hosts; CheckHosts must accept them.
	Hosts []Host
	// CA returns the CA, creating it on first use. It is called only when a tunnel needs
	// a certificate, so that paysim touches no disk until proxy mode is used.
	CA func() (*CA, error)
	// Refused is told of every request the proxy itself refuses (an unknown host, no CA,
	// a TLS handshake the client gave up), for the journal. status is 0 when no HTTP
	// answer could be sent.
	Refused func(r *http.Request, host string, status int, reason string)
	// Log gets one line for the first failed handshake per host: the usual sign that the
	// client does not trust the CA yet.
	Log *slog.Logger
}

// Proxy answers CONNECT and absolute-form requests for the known hosts, and passes
// every other request to the handler it wraps.
type Proxy struct {
	next  http.Handler
	cfg   Config
	known map[string]Host
	names string // the known list, for refusals

	mu       sync.Mutex
	tunnels  map[*http.Server]struct{}
	draining bool
	warned   map[string]bool // hosts whose failed handshake was logged
}

// Defaults for a tunnel's own server when the outer server sets none: a tunnel must
// never hang forever.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 30 * time.Second
	defaultWriteTimeout      = time.Minute
	defaultIdleTimeout       = 2 * time.Minute
)

// CheckHosts refuses a host list the proxy could not answer for unambiguously: an empty
// or malformed name, a port, upper case, or a name two providers claim.
func CheckHosts(hosts []Host) error {
	seen := map[string]string{}
	for _, h := range hosts {
		switch {
		case h.Name == "" || h.Provider == "":
			return fmt.Errorf("proxy host %q of provider %q: both must be set", h.Name, h.Provider)
		case h.Name != strings.ToLower(h.Name) || strings.ContainsAny(h.Name, ":/[] ") || strings.HasSuffix(h.Name, "."):
			return fmt.Errorf("proxy host %q of %s must be a lower-case name or an IPv4 address without port", h.Name, h.Provider)
		case h.Source == "":
			return fmt.Errorf("proxy host %s of %s says nowhere where it comes from", h.Name, h.Provider)
		case seen[h.Name] != "":
			return fmt.Errorf("proxy host %s is claimed by both %s and %s", h.Name, seen[h.Name], h.Provider)
		}
		seen[h.Name] = h.Provider
	}
	return nil
}

// New wraps next. It panics on hosts CheckHosts refuses: the registry is code.
func New(next http.Handler, cfg Config) *Proxy {
	if err := CheckHosts(cfg.Hosts); err != nil {
		panic(err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Refused == nil {
		cfg.Refused = func(*http.Request, string, int, string) {}
	}
	p := &Proxy{next: next, cfg: cfg, known: map[string]Host{}, tunnels: map[*http.Server]struct{}{}, warned: map[string]bool{}}
	list := make([]string, len(cfg.Hosts))
	for i, h := range cfg.Hosts {
		p.known[h.Name] = h
		list[i] = fmt.Sprintf("%s (%s, %s)", h.Name, h.Provider, h.Env)
	}
	p.names = strings.Join(list, ", ")
	return p
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodConnect:
		p.connect(w, r)
	case r.URL.IsAbs():
		p.absolute(w, r)
	default:
		p.next.ServeHTTP(w, r)
	}
}

// hostOnly is the lower-case host of a host[:port], without brackets or a final dot.
func hostOnly(hostport string) string {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

// absolute serves a request in absolute form: a plain-HTTP proxy request.
func (p *Proxy) absolute(w http.ResponseWriter, r *http.Request) {
	host := hostOnly(r.URL.Host)
	if _, ok := p.known[host]; ok {
		p.next.ServeHTTP(w, r.WithContext(gateway.WithProxyHost(r.Context(), host)))
		return
	}
	if isSelf(r) {
		// A client that sends everything through its proxy, paysim's own address included
		// (Python requests and curl do, unless NO_PROXY says otherwise).
		p.next.ServeHTTP(w, r)
		return
	}
	msg := p.unknown(host)
	p.cfg.Refused(r, host, http.StatusForbidden, msg)
	plain(w, http.StatusForbidden, msg)
}

// isSelf reports whether an absolute URL names the address the request came in on.
func isSelf(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr)
	if !ok {
		return false
	}
	port := r.URL.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[r.URL.Scheme]
	}
	if port != strconv.Itoa(local.Port) {
		return false
	}
	host := hostOnly(r.URL.Host)
	if ip := net.ParseIP(host); ip != nil {
		return ip.Equal(local.IP) || (ip.IsLoopback() && local.IP.IsLoopback())
	}
	return host == "localhost" && local.IP.IsLoopback()
}

func (p *Proxy) unknown(host string) string {
	return fmt.Sprintf("paysim proxy: %s is not a host paysim simulates, so the request was refused; paysim never connects anywhere else. "+
		"It answers for: %s. Send other hosts around paysim: list them in NO_PROXY (Go, curl, PHP, Python) or -Dhttp.nonProxyHosts (Java).",
		printable(host), p.names)
}

// connect opens a tunnel to a known host, served by paysim itself.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	target := r.Host
	if r.URL.Host != "" {
		target = r.URL.Host
	}
	host := hostOnly(target)
	if _, ok := p.known[host]; !ok {
		p.refuseConnect(w, r, host, http.StatusForbidden, "paysim does not simulate "+host, p.unknown(host))
		return
	}
	p.mu.Lock()
	draining := p.draining
	p.mu.Unlock()
	if draining {
		p.refuseConnect(w, r, host, http.StatusServiceUnavailable, "paysim is shutting down", "paysim proxy: paysim is shutting down and opens no new tunnel")
		return
	}
	ca, err := p.cfg.CA()
	if err != nil {
		p.refuseConnect(w, r, host, http.StatusInternalServerError, "paysim has no CA",
			fmt.Sprintf("paysim proxy: cannot open the tunnel to %s without its CA: %v", host, err))
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		msg := fmt.Sprintf("paysim proxy: this connection cannot carry a tunnel (%v); use HTTP/1.1 to reach the proxy", err)
		p.cfg.Refused(r, host, http.StatusNotImplemented, msg)
		plain(w, http.StatusNotImplemented, msg)
		return
	}
	c, err := tunnelConn(conn, brw)
	if err == nil {
		_, err = io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	}
	if err != nil {
		conn.Close()
		return
	}
	outer, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	t := timeoutsOf(outer)
	inner, ok := p.open(c, ca, host, t, r)
	if !ok {
		return
	}
	p.serve(inner, host, t, outer)
}

// refuseConnect answers a CONNECT it will not open. The reason goes into the status line
// too: Go's transport, Python requests and Java show a refused CONNECT's status line and
// nothing of its body.
func (p *Proxy) refuseConnect(w http.ResponseWriter, r *http.Request, host string, status int, reason, msg string) {
	p.cfg.Refused(r, host, status, msg)
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		plain(w, status, msg)
		return
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	body := msg + "\n"
	fmt.Fprintf(brw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, printable(reason), len(body), body)
	_ = brw.Flush()
}

// printable keeps the printable ASCII of s, at most 200 bytes: safe in a status line and
// a log, whatever a client sent as its host.
func printable(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if b.Len() == 200 {
			break
		}
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func plain(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}

// tunnelConn is the hijacked connection, reading first what the server had already
// buffered (a client may send its TLS hello right behind the CONNECT).
func tunnelConn(conn net.Conn, brw *bufio.ReadWriter) (*bufConn, error) {
	var ahead []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, err := brw.Reader.Peek(n)
		if err != nil {
			return nil, err
		}
		ahead = bytes.Clone(b)
	}
	return &bufConn{Conn: conn, r: bufio.NewReader(io.MultiReader(bytes.NewReader(ahead), conn))}, nil
}

type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

type timeouts struct{ readHeader, read, write, idle time.Duration }

// timeoutsOf takes the outer server's timeouts, so that --read-timeout and the others
// bound a tunnel's requests as they bound direct ones.
func timeoutsOf(s *http.Server) timeouts {
	t := timeouts{defaultReadHeaderTimeout, defaultReadTimeout, defaultWriteTimeout, defaultIdleTimeout}
	if s == nil {
		return t
	}
	for _, f := range []struct {
		dst *time.Duration
		src time.Duration
	}{{&t.readHeader, s.ReadHeaderTimeout}, {&t.read, s.ReadTimeout}, {&t.write, s.WriteTimeout}, {&t.idle, s.IdleTimeout}} {
		if f.src > 0 {
			*f.dst = f.src
		}
	}
	return t
}

// open reads the tunnel's first byte: a TLS handshake is terminated with the host's
// leaf; anything else is plain HTTP inside the tunnel (curl --proxytunnel to an http://
// URL, Umpay's plain-HTTP hosts).
func (p *Proxy) open(c *bufConn, ca *CA, host string, t timeouts, r *http.Request) (net.Conn, bool) {
	_ = c.SetReadDeadline(time.Now().Add(t.readHeader))
	first, err := c.r.Peek(1)
	if err != nil {
		c.Close() // the client opened the tunnel and sent nothing
		return nil, false
	}
	_ = c.SetReadDeadline(time.Time{})
	if first[0] != 0x16 { // not a TLS handshake record
		return c, true
	}
	tc := tls.Server(c, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"}, // HTTP/2 is not served in a tunnel
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return ca.Leaf(host)
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), t.readHeader)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		msg := fmt.Sprintf("paysim proxy: the TLS handshake for %s failed: %v. A client that refuses the certificate does not trust paysim's CA yet: "+
			"give it %s (paysim ca path prints it), as the README's Proxy mode section shows for each runtime.", host, err, ca.CertPath())
		p.cfg.Refused(r, host, 0, msg)
		p.mu.Lock()
		first := !p.warned[host]
		p.warned[host] = true
		p.mu.Unlock()
		if first {
			p.cfg.Log.Warn("proxy: TLS handshake failed; does the client trust paysim's CA?", "host", host, "err", err, "ca", ca.CertPath())
		}
		return nil, false
	}
	return tc, true
}

// serve runs one server over the tunnel's one connection, until it closes or a fault
// takes it over. The server carries the outer one's timeouts; the connection is still
// the one the outer listener accepted, so --max-conns counts it until it closes.
func (p *Proxy) serve(c net.Conn, host string, t timeouts, outer *http.Server) {
	l := &oneListener{c: c, done: make(chan struct{})}
	srv := &http.Server{
		Handler:           p.inTunnel(host),
		ReadHeaderTimeout: t.readHeader,
		ReadTimeout:       t.read,
		WriteTimeout:      t.write,
		IdleTimeout:       t.idle,
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
		BaseContext:       func(net.Listener) context.Context { return gateway.WithProxyHost(context.Background(), host) },
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateClosed || s == http.StateHijacked {
				l.finish()
			}
		},
	}
	if outer != nil {
		srv.MaxHeaderBytes, srv.ErrorLog = outer.MaxHeaderBytes, outer.ErrorLog
	}
	p.mu.Lock()
	if p.draining {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.tunnels[srv] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.tunnels, srv)
		p.mu.Unlock()
	}()
	_ = srv.Serve(l)
	if !l.handed.Load() {
		c.Close() // the server was shut down before it took the connection
	}
}

// inTunnel serves the requests inside a tunnel. One that names another Host than the
// tunnel's is refused: the host the journal records is the one the client asked for.
func (p *Proxy) inTunnel(host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := hostOnly(r.Host); got != host {
			msg := fmt.Sprintf("paysim proxy: this tunnel was opened for %s, but the request names Host %q; send requests for another host through a tunnel of its own",
				host, printable(r.Host))
			p.cfg.Refused(r, host, http.StatusMisdirectedRequest, msg)
			plain(w, http.StatusMisdirectedRequest, msg)
			return
		}
		p.next.ServeHTTP(w, r)
	})
}

// Drain closes every tunnel once its request in flight is answered, and opens no new
// one: a shutting-down server does not track hijacked connections itself.
func (p *Proxy) Drain() {
	p.mu.Lock()
	p.draining = true
	srvs := make([]*http.Server, 0, len(p.tunnels))
	for s := range p.tunnels {
		srvs = append(srvs, s)
	}
	p.mu.Unlock()
	for _, s := range srvs {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if s.Shutdown(ctx) != nil {
				s.Close()
			}
		}()
	}
}

// Tunnels is the number of tunnels open now.
func (p *Proxy) Tunnels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.tunnels)
}

// oneListener hands out one connection, then waits until it is done with.
type oneListener struct {
	c      net.Conn
	handed atomic.Bool
	done   chan struct{}
	shut   sync.Once
}

func (l *oneListener) Accept() (net.Conn, error) {
	if l.handed.CompareAndSwap(false, true) {
		return l.c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneListener) finish()        { l.shut.Do(func() { close(l.done) }) }
func (l *oneListener) Close() error   { l.finish(); return nil }
func (l *oneListener) Addr() net.Addr { return l.c.LocalAddr() }
