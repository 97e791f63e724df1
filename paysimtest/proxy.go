package paysimtest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/url"
)

// ProxyClient is an HTTP client that uses paysim as its proxy and trusts paysim's CA,
// as an unmodified app configured for proxy mode does: requests to the providers' real
// URLs (https://api.huifu.com/…) reach this paysim. It never dials anything but paysim.
func (s *Server) ProxyClient() *http.Client {
	s.t.Helper()
	ca, err := s.Paysim.CA()
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	proxy, err := url.Parse(s.URL)
	if err != nil {
		s.t.Fatalf("paysimtest: %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(proxy)
	tr.TLSClientConfig = &tls.Config{RootCAs: roots}
	s.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
