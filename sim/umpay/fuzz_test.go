package umpay

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and through the real handler.
// Whatever comes in: no panic; a decoded request yields candidate texts and a
// fingerprint; and the answer is always an Umpay response signed with the platform key,
// verified with the platform certificate as clients do.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range simtest.VectorBodies(f, "umpay") {
		f.Add(body)
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `"x"`, `{"acqSpId":"Y000000001"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderNo":"A|B","txnAmt":-0,"sign":"AA=="}`,
		`{"acqSpId":"Y000000001","txnAmt":1e400,"signature":null,"x":{"y":[1]}}`,
		`{"acqSpId":"Y000000001","acqSpId":2}`, "{\"acqSpId\":\"\u2028\",\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	p, err := New(core, simtest.Keys())
	if err != nil {
		f.Fatal(err)
	}
	e, err := server.New(gateway.New(core, gateway.VerifyOff), []gateway.Provider{p}, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	platform, err := umpaytest.LoadCertificate(simtest.Keys(), "umpay/platform_cert.der")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if req, derr := decodeBody(body); derr == nil {
			if req.spID == "" {
				t.Fatalf("decoded a request with no acqSpId from %q", body)
			}
			for i, m := range req.members {
				if m.key == req.sigField || (i > 0 && req.members[i-1].key >= m.key) {
					t.Fatalf("members not sorted or signature included: %+v", req.members)
				}
			}
			if len(candidates(req)) == 0 {
				t.Fatal("no candidate text")
			}
			_ = fingerprint(req)
		} else if derr.code != codeFormat && derr.code != codeMissing {
			t.Fatalf("decode error with code %s", derr.code)
		}
		// Verification is off so that fuzzed bodies reach validation and business.
		for _, path := range []string{"/pay/refund", "/pay/queryOrder", "/pay/micropay"} {
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d for %q", w.Code, body)
			}
			if _, _, err := umpaytest.Verify(platform, w.Body.Bytes()); err != nil {
				t.Fatalf("answer to %q is not a signed Umpay response: %v\n%s", body, err, w.Body.Bytes())
			}
		}
	})
}
