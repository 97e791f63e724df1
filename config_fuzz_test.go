//go:debug rsa1024min=0

package paysim_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/simtest"
)

// FuzzConfig feeds arbitrary paysim.yaml files to paysim.New, with a folder holding the
// key files the seeds name. Whatever comes in: no panic; either a server serving every
// provider, or an error that names the file. (Not necessarily in valid UTF-8: yaml.v3
// clips the text it quotes at a byte count, which can cut a character of a UTF-16 file.)
// The platform keys are small ones made for the run (simtest.FastPlatformKeys), so that
// the builds that succeed are cheap; the configuration's own key files are read from the
// folder as paysim reads them.
func FuzzConfig(f *testing.F) {
	dir := f.TempDir()
	for name, shipped := range map[string]string{"hf.pem": "huifu/merchant_public.pem", "hsq.pem": "huishouqian/merchant_cert.pem",
		"um.pem": "umpay/merchant_public.pem", "um.der": "umpay/platform_cert.der", "hf.b64": "huifu/merchant_public.b64", "secret.txt": "huishouqian/sign_key.txt"} {
		data, err := os.ReadFile(filepath.Join("keys", shipped))
		if err != nil {
			f.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{fullConfig, ``, `#`, `{}`, `[]`, `null`, `x`, `huifu:`, `huifu: []`, `huifu: {}`, `nope: 1`, "huifu: 1\numpay: x",
		"huifu:\n  - sys_id: \"1\"\n    public_key: hf.b64\n    products: [PAYUN]\n  - {sys_id: \"\", public_key: missing.pem}",
		"huishouqian:\n  - {merchant_no: \"1\", certificate: hsq.pem, sign_key_file: secret.txt}\n  - {merchant_no: \"\", certificate: hf.pem}",
		"umpay:\n  - {acq_sp_id: Y1, public_key: um.der, merchants: []}\n  - {acq_sp_id: Y2, public_key: secret.txt, merchants: [a], extra: 1}",
		"shouqianba:\n  terminals: [{terminal_sn: \"1\"}, {terminal_sn: \"2\", terminal_key: k, merchant_sn: m}]\n  vendors: [{vendor_sn: v, vendor_key: k}]\n  other: 1",
		"huifu: &a [{sys_id: \"1\", public_key: hf.pem}]\numpay: *a", "huifu:\n  - <<: {sys_id: \"1\"}\n    public_key: hf.pem",
		"huifu:\n- sys_id: 1\n  public_key: [hf.pem]\n  huifu_ids: x", "\ufeffhuifu: []", "huifu: []\n---\nnope: 1", "huifu:\n\t- x"} {
		f.Add([]byte(s))
	}
	keys := simtest.FastPlatformKeys(f)
	start := paysim.WithVirtualClock(sim.DefaultVirtualStart)
	f.Fuzz(func(t *testing.T, data []byte) {
		if readsDevices(data) {
			t.Skip("names a device file: reading /dev/zero never ends, and that is the user's to avoid")
		}
		s, err := paysim.New(paysim.WithConfig(data, dir), paysim.WithKeys(keys), start)
		if err != nil {
			if s != nil {
				t.Fatalf("paysim.New(%q) returned a server and an error: %v", data, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "paysim.yaml") {
				t.Fatalf("paysim.New(%q): the error does not name the file: %q", data, msg)
			}
			return
		}
		defer s.Close(context.Background())
		if !slices.Equal(s.Providers(), paysim.Providers()) {
			t.Fatalf("paysim.New(%q) serves %v", data, s.Providers())
		}
	})
}

// readsDevices says whether a file name the configuration may hold points under /dev,
// /proc or /sys: paysim reads key files whole, as a user's own configuration asks, and a
// fuzzer that found /dev/zero would only find that.
func readsDevices(data []byte) bool {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return false // parseConfig refuses it before reading any file
	}
	var walk func(n *yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n.Kind == yaml.ScalarNode {
			for _, d := range []string{"/dev", "/proc", "/sys"} {
				if strings.Contains(filepath.ToSlash(filepath.Clean("/"+n.Value)), d) {
					return true
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(&doc)
}
