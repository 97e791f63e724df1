// Package outbound is paysim's only way out of the process: notifications to merchants'
// receivers. It reaches loopback addresses only, unless a host is allowed by name, and
// checks that at dial time too, so a name that resolves elsewhere cannot slip through.
package outbound

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/paysim/paysim/sim"
)

// maxAnswer bounds what is read of a receiver's answer: it only needs to be judged and
// journaled, and a runaway one must not fill memory.
const maxAnswer = 64 << 10

// Sender is the HTTP notification sender.
type Sender struct {
	allow  []string // host or host:port allowed besides loopback
	client *http.Client
	// hint tells the user how to allow a host, in the words of the program embedding
	// paysim: a flag for the command, an option for Go code.
	hint func(host string) string
}

// Option configures a Sender.
type Option func(*Sender)

// WithAllow allows targets beyond loopback, as host or host:port.
func WithAllow(hosts ...string) Option {
	return func(s *Sender) { s.allow = append(s.allow, hosts...) }
}

// WithTransport sends through rt instead of the guarded default. Tests use it to prove
// what would be sent without any dial.
func WithTransport(rt http.RoundTripper) Option {
	return func(s *Sender) { s.client.Transport = rt }
}

// WithHint sets how a refusal tells the user to allow a host.
func WithHint(hint func(host string) string) Option {
	return func(s *Sender) { s.hint = hint }
}

// New builds the sender.
func New(opts ...Option) *Sender {
	s := &Sender{client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a receiver that redirects has not acknowledged
	}}, hint: func(host string) string { return "allow " + host + " explicitly" }}
	for _, o := range opts {
		o(s)
	}
	if s.client.Transport == nil {
		s.client.Transport = s.guardedTransport()
	}
	return s
}

var _ sim.Sender = (*Sender)(nil)

// Send makes one POST of d and reads the answer, clipped.
func (s *Sender) Send(ctx context.Context, d sim.Delivery) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range d.Header {
		req.Header[k] = slices.Clone(vs)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, body, nil
}

// Check applies the safety rule before any attempt: http(s) only, and loopback unless
// allowed.
func (s *Sender) Check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("target %q is not an absolute URL", raw)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q is not http or https", raw)
	}
	hostport := u.Host
	if u.Port() == "" {
		hostport = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	if s.allowed(hostport) {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		return nil
	}
	return fmt.Errorf("target host %s is not loopback; paysim only notifies loopback addresses unless allowed (%s)", u.Host, s.hint(u.Host))
}

func (s *Sender) allowed(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	for _, a := range s.allow {
		if strings.EqualFold(a, hostport) || strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}

// guardedTransport refuses at dial time to reach anything but loopback unless the target
// was allowed by name.
func (s *Sender) guardedTransport() http.RoundTripper {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if s.allowed(addr) {
			return dialer.DialContext(ctx, network, addr)
		}
		d := *dialer
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, _ := net.SplitHostPort(address)
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("notification target %s resolves to %s, which is not a loopback address (%s)", addr, host, s.hint(addr))
			}
			return nil
		}
		return d.DialContext(ctx, network, addr)
	}
	return t
}
