package paysim

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/paysim/paysim/sim/journal"
	"github.com/paysim/paysim/sim/proxy"
)

// CA is proxy mode's local test certificate authority: its certificate is what a client
// trusts, its key never leaves its folder.
type CA = proxy.CA

// ProxyHost is one host proxy mode answers for: the provider's real name, its
// environment, and where the name comes from.
type ProxyHost = proxy.Host

// WithCADir keeps proxy mode's CA in dir instead of DefaultCADir(). The CA is created
// there the first time a client opens a tunnel, not before.
func WithCADir(dir string) Option { return func(o *options) { o.caDir = dir } }

// DefaultCADir is where proxy mode keeps its CA unless told otherwise: a folder paysim
// under os.UserConfigDir() (~/.config/paysim on Linux).
func DefaultCADir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "paysim"), nil
}

// ProxyHosts lists every host proxy mode answers for, provider by provider, in the
// registry's order (docs/protocols.md §7 is this list).
func ProxyHosts() []ProxyHost {
	var out []ProxyHost
	for _, plug := range registry {
		for _, h := range plug.Hosts {
			out = append(out, ProxyHost{Name: h.Name, Provider: plug.Name, Env: h.Env, Source: h.Source})
		}
	}
	return out
}

func proxyHostNames() []string {
	hosts := ProxyHosts()
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = h.Name
	}
	return names
}

// OpenCA opens proxy mode's CA in dir (empty: DefaultCADir()), creating it when it is
// missing or no longer serves (see CA.Created), for `paysim ca` and programs that hand
// the certificate to their clients.
func OpenCA(dir string) (*CA, error) {
	if dir == "" {
		d, err := DefaultCADir()
		if err != nil {
			return nil, fmt.Errorf("proxy mode keeps its CA under the user's configuration folder, which is unknown here (%v): name a folder", err)
		}
		dir = d
	}
	return proxy.Open(dir, proxyHostNames(), nil)
}

// proxyMode is the server's proxy front and its CA, opened on first use.
type proxyMode struct {
	front *proxy.Proxy
	dir   string
	hint  string

	mu sync.Mutex
	ca *CA
}

// withProxy puts proxy mode in front of next: CONNECT and absolute-form requests for the
// providers' hosts reach next as if sent to paysim directly; everything else for another
// host is refused and journaled.
func (s *Server) withProxy(o *options, next http.Handler) http.Handler {
	s.px = &proxyMode{dir: o.caDir, hint: o.hints.CADir}
	logger := o.logger
	s.px.front = proxy.New(next, proxy.Config{
		Hosts: ProxyHosts(),
		CA:    s.CA,
		Log:   logger,
		Refused: func(r *http.Request, host string, status int, reason string) {
			path := r.URL.Path
			if r.Method == http.MethodConnect {
				path = r.Host
			}
			s.gw.Journal().Add(journal.Entry{At: s.core.Now(), Method: r.Method, Path: path, ProxyHost: host,
				Outcome: journal.Refused, Diagnostic: reason, Status: status})
		},
	})
	return s.px.front
}

// CA is the CA this server's tunnels use, opened (and created, on first use) in the
// folder of WithCADir, else DefaultCADir().
func (s *Server) CA() (*CA, error) {
	px := s.px
	px.mu.Lock()
	defer px.mu.Unlock()
	if px.ca != nil {
		return px.ca, nil
	}
	dir := px.dir
	if dir == "" {
		d, err := DefaultCADir()
		if err != nil {
			return nil, fmt.Errorf("proxy mode keeps its CA under the user's configuration folder, which is unknown here (%v): %s", err, px.hint)
		}
		dir = d
	}
	ca, err := proxy.Open(dir, proxyHostNames(), nil)
	if err != nil {
		return nil, err
	}
	if ca.Created != "" {
		s.core.Logger().Info("proxy mode: created a new local test CA; clients must trust it (again)", "why", ca.Created,
			"certificate", ca.CertPath(), "sha256", ca.Fingerprint())
	}
	px.ca = ca
	return ca, nil
}
