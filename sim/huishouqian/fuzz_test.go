package huishouqian

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// FuzzDecodeRequest feeds arbitrary bodies to the form decoder and through the real
// handler. Whatever comes in: no panic; a decoded request yields sign candidates ending in
// the secret and a stable fingerprint; and the answer is always a Huishouqian envelope
// signed with the platform key.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range simtest.VectorBodies(f, "huishouqian") {
		f.Add(body, formType)
	}
	for _, s := range []string{``, `=`, `&&&`, `%`, `{}`, `[]`, `null`, `merchantNo=864000000001`,
		`merchantNo=864000000001&method=POLYMERIZE_QUERY&version=1.0&format=JSON&signType=RSA2&signContent={"transNo":1}&sign=00`,
		`merchantNo=864000000001&signType=CFCA&sign=zz`, "merchantNo=\xff&signContent=%FF%FE", `merchantNo=1&merchantNo=2&sign=&sign=ab`} {
		f.Add([]byte(s), formType)
	}
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"merchantNo\"\r\n\r\n864000000001\r\n--b--\r\n"), "multipart/form-data; boundary=b")
	f.Add([]byte(`{"method":"POLYMERIZE_QUERY"}`), "application/json")

	keys := simtest.Keys()
	core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)))
	p, err := New(core, keys)
	if err != nil {
		f.Fatal(err)
	}
	e, err := server.New(gateway.New(core, gateway.VerifyStrict), []gateway.Provider{p}, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	platform, err := rsakey.LoadPublic(keys, "huishouqian/platform_cert.pem")
	if err != nil {
		f.Fatal(err)
	}
	secret := p.fallback.SignKey
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		if req, derr := decodeBody(contentType, body); derr == nil {
			if req.merchantNo == "" {
				t.Fatal("decoded a request without merchantNo")
			}
			for _, c := range candidates(req, secret) {
				if !bytes.HasSuffix(c.text, []byte("&key="+secret)) {
					t.Fatalf("candidate %s does not end in the secret: %q", c.name, c.text)
				}
			}
			if biz, err := parseSignContent(req.signContent); err == nil {
				// A second parse fills its maps anew: the fingerprint must not depend on
				// their iteration order.
				again, err := parseSignContent(req.signContent)
				if err != nil {
					t.Fatalf("signContent parsed once, not twice: %v", err)
				}
				if fingerprint(biz) != fingerprint(again) {
					t.Fatal("fingerprint is not stable")
				}
				_ = check(biz, refundRules)
				_ = check(biz, mainRules)
			}
		} else if derr.what == "" || derr.detail == "" {
			t.Fatalf("a decode error must say what is wrong: %+v", derr)
		}
		r := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d for %q", w.Code, body)
		}
		resp, err := huishouqiantest.Verify(platform, secret, w.Body.Bytes())
		if err != nil {
			t.Fatalf("answer to %q is not a signed Huishouqian envelope: %v\n%s", body, err, w.Body.Bytes())
		}
		if !resp.Success && w.Header().Get("X-Paysim-Diagnostic") == "" {
			t.Fatalf("refusal %s of %q without a diagnostic", resp.ErrorCode, body)
		}
	})
}
