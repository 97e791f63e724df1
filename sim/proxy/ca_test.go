package proxy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testHosts = []string{"api.huifu.com", "vsi-api.shouqianba.com", "111.205.18.100"}

// clock is a wall clock a test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openCA(t *testing.T, dir string, c *clock) *CA {
	t.Helper()
	var now func() time.Time
	if c != nil {
		now = c.now
	}
	ca, err := Open(dir, testHosts, now)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return ca
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestOpenCreatesTheCAWithAPrivateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "paysim")
	ca := openCA(t, dir, nil)
	if ca.Created == "" {
		t.Error("a CA made in an empty folder says nothing about being created")
	}
	if ca.CertPath() != filepath.Join(dir, CertFile) {
		t.Errorf("CertPath = %s", ca.CertPath())
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600, filepath.Join(dir, CertFile): 0o644} {
			if got := mode(t, path); got != want {
				t.Errorf("%s has mode %04o, want %04o", path, got, want)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("the folder holds %d files, want the certificate and the key only (no temporary left)", len(entries))
	}
	onDisk, err := os.ReadFile(ca.CertPath())
	if err != nil || !bytes.Equal(onDisk, ca.CertPEM()) {
		t.Fatalf("the certificate file differs from CertPEM (%v)", err)
	}
	if bytes.Contains(ca.CertPEM(), []byte("PRIVATE")) {
		t.Fatal("CertPEM carries a private key")
	}

	c := ca.Certificate()
	if c.Subject.CommonName != CommonName || !c.IsCA || !c.MaxPathLenZero || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA certificate: CN %q, IsCA %v, MaxPathLenZero %v, key usage %b", c.Subject.CommonName, c.IsCA, c.MaxPathLenZero, c.KeyUsage)
	}
	if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("CA key is %T, want ECDSA P-256", c.PublicKey)
	}
	if got := c.NotAfter.Sub(c.NotBefore); got != CAValidity+backdate {
		t.Errorf("CA validity %s, want %s", got, CAValidity+backdate)
	}
	if !slices.Equal(c.PermittedDNSDomains, []string{"api.huifu.com", "vsi-api.shouqianba.com"}) {
		t.Errorf("permitted DNS names %v", c.PermittedDNSDomains)
	}
	if len(c.PermittedIPRanges) != 1 || c.PermittedIPRanges[0].String() != "111.205.18.100/32" {
		t.Errorf("permitted IP ranges %v", c.PermittedIPRanges)
	}
	if !c.PermittedDNSDomainsCritical || !nameConstraintsCritical(c) {
		t.Error("name constraints are not marked critical")
	}
}

// nameConstraintsCritical reads the extension itself (2.5.29.30), not Go's summary of it.
func nameConstraintsCritical(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 30}) {
			return e.Critical
		}
	}
	return false
}

func TestOpenLoadsTheCAItMade(t *testing.T) {
	dir := t.TempDir()
	first := openCA(t, dir, nil)
	again := openCA(t, dir, nil)
	if again.Created != "" {
		t.Errorf("the second Open made a new CA: %s", again.Created)
	}
	if !bytes.Equal(first.CertPEM(), again.CertPEM()) || first.Fingerprint() != again.Fingerprint() {
		t.Error("the second Open has another certificate")
	}
}

func TestOpenRenewsACAThatNoLongerServes(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	first := openCA(t, dir, c)

	c.add(CAValidity - LeafValidity) // less than two leaf lifetimes left
	expired := openCA(t, dir, c)
	if !strings.Contains(expired.Created, "expired") || bytes.Equal(expired.CertPEM(), first.CertPEM()) {
		t.Errorf("an expiring CA was kept (created %q)", expired.Created)
	}

	more, err := Open(dir, append(slices.Clone(testHosts), "api.huishouqian.com"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(more.Created, "api.huishouqian.com") || !slices.Contains(more.Certificate().PermittedDNSDomains, "api.huishouqian.com") {
		t.Errorf("a CA that does not cover a new host was kept (created %q)", more.Created)
	}
}

func TestOpenRefusesAKeyOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	dir := t.TempDir()
	openCA(t, dir, nil)
	key := filepath.Join(dir, KeyFile)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, testHosts, nil)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), key) {
		t.Fatalf("Open with a world-readable key: %v, want a refusal naming the file and chmod 600", err)
	}
}

func TestOpenRefusesAFolderThatIsNotPaysims(t *testing.T) {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "Some Corp Root"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().Add(CAValidity)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := writeFile(dir, CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir, KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, testHosts, nil)
	if err == nil || !strings.Contains(err.Error(), "Some Corp Root") {
		t.Fatalf("Open over another CA: %v, want a refusal (paysim must not overwrite it)", err)
	}
	if err := os.WriteFile(filepath.Join(dir, CertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, testHosts, nil); err == nil || !strings.Contains(err.Error(), "delete the folder") {
		t.Fatalf("Open over a broken certificate: %v, want a refusal saying what to do", err)
	}
}

func TestLeafChainsToTheCAForItsHostOnly(t *testing.T) {
	ca := openCA(t, t.TempDir(), nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	for _, tc := range []struct {
		host  string
		other string
	}{{"api.huifu.com", "vsi-api.shouqianba.com"}, {"111.205.18.100", "111.205.18.101"}} {
		leaf, err := ca.Leaf(tc.host)
		if err != nil {
			t.Fatal(err)
		}
		l := leaf.Leaf
		if ip := net.ParseIP(tc.host); ip != nil {
			if len(l.IPAddresses) != 1 || !l.IPAddresses[0].Equal(ip) || len(l.DNSNames) != 0 {
				t.Errorf("%s: SAN IPs %v DNS %v", tc.host, l.IPAddresses, l.DNSNames)
			}
		} else if !slices.Equal(l.DNSNames, []string{tc.host}) || len(l.IPAddresses) != 0 {
			t.Errorf("%s: SAN DNS %v IPs %v", tc.host, l.DNSNames, l.IPAddresses)
		}
		if l.IsCA || !slices.Equal(l.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
			t.Errorf("%s: IsCA %v, ext key usage %v", tc.host, l.IsCA, l.ExtKeyUsage)
		}
		if got := l.NotAfter.Sub(l.NotBefore); got != LeafValidity+backdate {
			t.Errorf("%s: leaf validity %s, want %s", tc.host, got, LeafValidity+backdate)
		}
		if _, err := l.Verify(x509.VerifyOptions{DNSName: tc.host, Roots: roots}); err != nil {
			t.Errorf("%s: the leaf does not verify against the CA: %v", tc.host, err)
		}
		if _, err := l.Verify(x509.VerifyOptions{DNSName: tc.other, Roots: roots}); err == nil {
			t.Errorf("the leaf for %s verifies for %s", tc.host, tc.other)
		}
	}
	if _, err := ca.Leaf("evil.example.com"); err == nil {
		t.Error("the CA issued a leaf for a host it does not know")
	}
}

// A leaf for another name, signed with the CA's own key, is refused by a client: the
// name constraints, not only paysim's restraint, keep the CA to the providers' hosts.
func TestNameConstraintsRefuseOtherHosts(t *testing.T) {
	ca := openCA(t, t.TempDir(), nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	for _, name := range []string{"www.bank.example", "huifu.com", "10.0.0.1"} {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour),
			NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if ip := net.ParseIP(name); ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		} else {
			tmpl.DNSNames = []string{name}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(der)
		_, err = leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots})
		if _, ok := err.(x509.CertificateInvalidError); !ok || err.(x509.CertificateInvalidError).Reason != x509.CANotAuthorizedForThisName {
			t.Errorf("a leaf for %s signed by the CA: %v, want CANotAuthorizedForThisName", name, err)
		}
	}
}

func TestLeavesAreCachedAndRenewedBeforeTheyExpire(t *testing.T) {
	c := &clock{t: time.Now()}
	ca := openCA(t, t.TempDir(), c)
	first, err := ca.Leaf("api.huifu.com")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := ca.Leaf("API.huifu.com"); again != first {
		t.Error("a second handshake for the same host got a new leaf")
	}
	c.add(LeafValidity - leafRenew - time.Minute)
	if again, _ := ca.Leaf("api.huifu.com"); again != first {
		t.Error("a leaf with more than a quarter of its life left was renewed")
	}
	c.add(2 * time.Minute)
	renewed, _ := ca.Leaf("api.huifu.com")
	if renewed == first || !renewed.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Error("a leaf near its end was not renewed")
	}
	for _, h := range testHosts {
		if _, err := ca.Leaf(h); err != nil {
			t.Fatal(err)
		}
	}
	if len(ca.leaves) != len(testHosts) {
		t.Errorf("the cache holds %d leaves for %d hosts", len(ca.leaves), len(testHosts))
	}
}

func TestLeavesAreSafeConcurrently(t *testing.T) {
	ca := openCA(t, t.TempDir(), nil)
	var wg sync.WaitGroup
	got := make([]*x509.Certificate, 16)
	for i := range got {
		wg.Go(func() {
			leaf, err := ca.Leaf(testHosts[i%len(testHosts)])
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = leaf.Leaf
		})
	}
	wg.Wait()
	for i, l := range got {
		if l != nil && l != got[i%len(testHosts)] {
			t.Errorf("request %d got another leaf for %s than the first", i, testHosts[i%len(testHosts)])
		}
	}
}
