package proxy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// The CA's files in its folder. The key never leaves the folder: it is written 0600 and
// read only to sign leaves in memory.
const (
	CertFile = "ca.pem"
	KeyFile  = "ca-key.pem"
)

// CommonName names the CA so that nobody who meets it in a trust store mistakes it for a
// real authority.
const CommonName = "paysim local test CA"

// Lifetimes. The CA lives a year: long enough that a trust store built once (a Java
// truststore, a CI image) keeps working, short enough that a copy left in a forgotten
// image stops working by itself. Leaves live a day and are renewed once a quarter of that
// is left: they exist only in memory, and a short life keeps a stolen one worthless.
// Both start an hour early, for clients whose clock is a little behind.
const (
	CAValidity   = 365 * 24 * time.Hour
	LeafValidity = 24 * time.Hour
	leafRenew    = LeafValidity / 4
	backdate     = time.Hour
)

// CA is proxy mode's local certificate authority: it issues, on the fly, a certificate
// for each known host a client tunnels to. Its own certificate carries name constraints
// limited to those hosts, so that even a client that trusts it accepts it for nothing
// else. It is safe for concurrent use.
type CA struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
	hosts   []string
	now     func() time.Time
	// Created says why the certificate was made by this Open ("" when it was loaded):
	// for the log line that tells the user to trust it again.
	Created string

	mu     sync.Mutex
	leaves map[string]*tls.Certificate // by host; only known hosts, so bounded by them
}

// Open loads the CA kept in dir, or creates it there (the folder too, 0700) when it is
// missing, expires within two leaf lifetimes, or does not cover every host. now is the
// wall clock TLS clients check certificates against (nil: time.Now), never a virtual one.
func Open(dir string, hosts []string, now func() time.Time) (*CA, error) {
	if dir == "" {
		return nil, errors.New("no folder given for the CA")
	}
	if now == nil {
		now = time.Now
	}
	ca := &CA{dir: dir, hosts: slices.Clone(hosts), now: now, leaves: map[string]*tls.Certificate{}}
	why, err := ca.load()
	if err != nil {
		return nil, err
	}
	if why != "" {
		if err := ca.create(); err != nil {
			return nil, fmt.Errorf("creating the CA in %s: %w", dir, err)
		}
		ca.Created = why
	}
	return ca, nil
}

// CertPath is the CA certificate's file: what a client's trust settings point at.
func (ca *CA) CertPath() string { return filepath.Join(ca.dir, CertFile) }

// CertPEM is the CA certificate, PEM-encoded. It is public; the key is never served.
func (ca *CA) CertPEM() []byte { return slices.Clone(ca.certPEM) }

// Certificate is the CA certificate, parsed.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// load reads the CA from its folder. It returns why a new one is needed ("" when the one
// there serves), or an error for files that are there but must not be replaced silently:
// a key others can read, a file that is not ours.
func (ca *CA) load() (string, error) {
	certPath, keyPath := ca.CertPath(), filepath.Join(ca.dir, KeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
		return "there was none in " + ca.dir, nil
	case errors.Is(certErr, fs.ErrNotExist) || errors.Is(keyErr, fs.ErrNotExist):
		return fmt.Sprintf("%s held only one of %s and %s", ca.dir, CertFile, KeyFile), nil
	case certErr != nil:
		return "", certErr
	case keyErr != nil:
		return "", keyErr
	}
	if err := checkPrivate(keyPath); err != nil {
		return "", err
	}
	cert, err := parseCert(certPEM)
	if err != nil {
		return "", fmt.Errorf("%s: %w; delete the folder %s and paysim makes a new CA", certPath, err, ca.dir)
	}
	if cert.Subject.CommonName != CommonName || !cert.IsCA {
		return "", fmt.Errorf("%s is not a paysim CA (its subject is %q); give paysim a folder of its own", certPath, cert.Subject.CommonName)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return "", fmt.Errorf("%s: %w; delete the folder %s and paysim makes a new CA", keyPath, err, ca.dir)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return fmt.Sprintf("%s and %s did not belong together", CertFile, KeyFile), nil
	}
	if left := cert.NotAfter.Sub(ca.now()); left < 2*LeafValidity {
		return fmt.Sprintf("the previous one expired on %s", cert.NotAfter.Format(time.DateOnly)), nil
	}
	for _, h := range ca.hosts {
		if !permits(cert, h) {
			return fmt.Sprintf("the previous one did not cover %s", h), nil
		}
	}
	ca.cert, ca.certPEM, ca.key = cert, certPEM, key
	return "", nil
}

// checkPrivate refuses a key file others may read: the key signs certificates the
// machine trusts for the providers' hosts.
func checkPrivate(path string) error {
	if runtime.GOOS == "windows" {
		return nil // modes mean little there; the folder under the user's profile is private
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if mode := st.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("%s can be read by other users (mode %04o): the CA key must be private; chmod 600 it, or delete the folder and paysim makes a new CA", path, mode)
	}
	return nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKey(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	return ek, nil
}

// permits reports whether the CA's name constraints let it vouch for host.
func permits(cert *x509.Certificate, host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return slices.ContainsFunc(cert.PermittedIPRanges, func(n *net.IPNet) bool { return n.Contains(ip) })
	}
	return slices.ContainsFunc(cert.PermittedDNSDomains, func(d string) bool {
		return strings.EqualFold(d, host) || strings.HasSuffix(strings.ToLower(host), "."+strings.ToLower(d))
	})
}

// create makes a new CA and writes it: the key first, 0600, then the certificate, each
// through a temporary file renamed into place, so that a reader never sees half a file.
func (ca *CA) create() error {
	if err := os.MkdirAll(ca.dir, 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject: pkix.Name{CommonName: CommonName, Organization: []string{"paysim"},
			OrganizationalUnit: []string{"local testing only: not a certificate authority of any provider"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true, // it signs leaves, never another CA
		// RFC 5280 wants name constraints critical: a client that cannot enforce them
		// must refuse the CA rather than trust it for everything.
		PermittedDNSDomainsCritical: true,
	}
	for _, h := range ca.hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.PermittedIPRanges = append(tmpl.PermittedIPRanges, hostNet(ip))
		} else {
			tmpl.PermittedDNSDomains = append(tmpl.PermittedDNSDomains, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := writeFile(ca.dir, KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	if err := writeFile(ca.dir, CertFile, certPEM, 0o644); err != nil {
		return err
	}
	ca.cert, ca.certPEM, ca.key = cert, certPEM, key
	return nil
}

// hostNet is the network of exactly one address.
func hostNet(ip net.IP) *net.IPNet {
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}
}

func writeFile(dir, name string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(dir, "."+name+".*") // created 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, big.NewInt(1)) // serials must be positive
}

// Leaf is the certificate for host, issued on first use and again once it is near its
// end. Only the CA's own hosts get one: the cache holds at most one leaf per known host.
func (ca *CA) Leaf(host string) (*tls.Certificate, error) {
	host = strings.ToLower(host)
	if !slices.Contains(ca.hosts, host) {
		return nil, fmt.Errorf("paysim's CA issues certificates only for the providers' hosts, not %q", host)
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	now := ca.now()
	if c := ca.leaves[host]; c != nil && c.Leaf.NotAfter.Sub(now) > leafRenew {
		return c, nil
	}
	c, err := ca.issue(host, now)
	if err != nil {
		return nil, fmt.Errorf("issuing a certificate for %s: %w", host, err)
	}
	ca.leaves[host] = c
	return c, nil
}

func (ca *CA) issue(host string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: host, Organization: []string{"paysim"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(LeafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Fingerprint is the SHA-256 fingerprint of the CA certificate, as keytool and browsers
// show it, so that a user can check what they are about to trust.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.cert.Raw)
	var b bytes.Buffer
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}
