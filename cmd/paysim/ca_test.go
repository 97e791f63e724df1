package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/proxy"
)

func TestCACommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ca")

	r := runWith(t, nil, "ca", "path", "--ca-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, filepath.Join(dir, proxy.CertFile)+"\n", r.stdout)
	assert.Contains(t, r.stderr, "created a new local test CA", "the first use says it made the CA")
	assert.Contains(t, r.stderr, "SHA-256")
	st, err := os.Stat(filepath.Join(dir, proxy.KeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	// The flag may come first; the second use loads the same CA and says nothing.
	r = runWith(t, nil, "ca", "--ca-dir", dir, "cert")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	onDisk, err := os.ReadFile(filepath.Join(dir, proxy.CertFile))
	require.NoError(t, err)
	assert.Equal(t, string(onDisk), r.stdout)
	assert.NotContains(t, r.stdout, "PRIVATE KEY")
	key, err := os.ReadFile(filepath.Join(dir, proxy.KeyFile))
	require.NoError(t, err)
	assert.NotContains(t, r.stdout, string(key))

	// PAYSIM_CA_DIR names the folder when the flag does not.
	r = runWith(t, map[string]string{"PAYSIM_CA_DIR": dir}, "ca", "path")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, filepath.Join(dir, proxy.CertFile)+"\n", r.stdout)

	for _, args := range [][]string{{"ca"}, {"ca", "key"}, {"ca", "path", "extra"}, {"ca", "--nope", "path"}} {
		r = runWith(t, nil, args...)
		assert.Equal(t, 2, r.code, "%v", args)
		assert.Contains(t, r.stderr, "usage: paysim ca path|cert", "%v", args)
		assert.Empty(t, r.stdout, "%v", args)
	}
}

func TestCACommandDefaultsToTheUserConfigFolder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("HOME", home)
	want, err := os.UserConfigDir()
	require.NoError(t, err)
	r := runWith(t, nil, "ca", "path")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, filepath.Join(want, "paysim", proxy.CertFile)+"\n", r.stdout)
}

// The command serves proxy mode with the CA of --ca-dir, and a tunnel holds one of the
// --max-conns slots until it closes.
func TestServeProxyMode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := runWith(t, nil, "ca", "cert", "--ca-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM([]byte(r.stdout)))

	s := startServer(t, nil, "--addr", "127.0.0.1:0", "--clock", "virtual", "--ca-dir", dir, "--max-conns", "1")
	proxyURL, err := url.Parse(s.base)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			require.Equal(t, proxyURL.Host, addr, "the client dials paysim only")
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
	defer tr.CloseIdleConnections()
	app := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := app.Post("https://api.huifu.com/v3/trade/payment/scanpay/query", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err, "the server uses the CA of --ca-dir")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), `"sign":"`, "a signed Huifu answer")

	// The tunnel is kept alive, and holds the only connection slot: a direct request
	// waits until the tunnel closes.
	done := make(chan int, 1)
	go func() {
		resp, err := client.Get(s.base + "/__paysim/health")
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		t.Fatalf("a second connection was served (%d) while the tunnel held the only slot", code)
	case <-time.After(100 * time.Millisecond):
	}
	tr.CloseIdleConnections()
	select {
	case code := <-done:
		assert.Equal(t, http.StatusOK, code, "the slot came back when the tunnel closed")
	case <-time.After(10 * time.Second):
		t.Fatal("the tunnel's slot was never released")
	}
	require.Equal(t, 0, s.stop(t), s.stderr.String())
	assert.True(t, bytes.HasSuffix([]byte(s.stdout.String()), []byte("paysim stopped\n")))
}

func TestCACommandWithoutAConfigFolder(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if _, err := os.UserConfigDir(); err == nil {
		t.Skip("this platform has a configuration folder without HOME")
	}
	r := runWith(t, nil, "ca", "path")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "--ca-dir")
	assert.Empty(t, r.stdout)
}
