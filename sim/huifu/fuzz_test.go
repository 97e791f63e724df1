package huifu

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and through the real handler.
// Whatever comes in: no panic; a decoded request re-canonicalises stably; and the
// answer is always a Huifu response signed with the platform key.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range simtest.VectorBodies(f, "huifu") {
		f.Add(body)
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"sys_id":"6666000100000001","data":"{}","sign":""}`,
		`{"sys_id":"6666000100000001","data":{"a":{"b":[1,{"c":"\u2028"}]}},"sign":"AA=="}`, "{\"data\":{\"\xff\":1}}"} {
		f.Add([]byte(s))
	}
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	p, err := New(core, simtest.Keys())
	if err != nil {
		f.Fatal(err)
	}
	e, err := server.New(gateway.New(core, gateway.VerifyStrict), []gateway.Provider{p}, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	platform, err := rsakey.LoadPublic(simtest.Keys(), "huifu/platform_public.pem")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, derr := decodeBody(body); derr == nil {
			for _, c := range candidates(req) {
				if len(c.text) == 0 {
					t.Fatalf("empty candidate %s", c.name)
				}
			}
			text := canonical(req.tree, canonicalOptions{})
			again, err := parseTree(text)
			if err != nil {
				t.Fatalf("canonical text %q does not parse: %v", text, err)
			}
			if !bytes.Equal(canonical(again, canonicalOptions{}), text) {
				t.Fatalf("canonical form is not stable for %q", body)
			}
			_ = fingerprint(req)
		}
		for _, path := range []string{"/v3/trade/payment/scanpay/refund", "/v2/trade/payment/scanpay/closequery"} {
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d for %q", w.Code, body)
			}
			if _, err := huifutest.Verify(platform, w.Body.Bytes()); err != nil {
				t.Fatalf("answer to %q is not a signed Huifu response: %v\n%s", body, err, w.Body.Bytes())
			}
		}
	})
}
