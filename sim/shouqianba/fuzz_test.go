package shouqianba

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and, signed by the test
// terminal so that they get past the signature, through the real handler of every
// endpoint. Whatever comes in: no panic, validation never panics on what the decoder
// accepted, and every answer is a well-formed Shouqianba response.
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range simtest.VectorBodies(f, "shouqianba") {
		f.Add(body)
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `"x"`, `1`, `{"terminal_sn":null}`,
		`{"terminal_sn":"100000330000000001","sn":"","client_sn":"a","refund_request_no":"1","refund_amount":1,"operator":"o"}`,
		`{"terminal_sn":"100000330000000001","client_sn":"b","total_amount":-0,"dynamic_id":"13","subject":"\u2028","operator":"o","reflect":{"a":[1]}}`,
		`{"terminal_sn":"100000330000000001","client_sn":"c","total_amount":"99999999999999999999","payway":"3","subject":"s","operator":"o"}`,
		"{\"terminal_sn\":\"\xff\",\"sn\":1e400}", `{"a":1,"a":"2"}`} {
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
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := string(appendString(nil, string(body))), stdString(t, string(body)); got != want {
			t.Fatalf("appendString(%q) = %s, encoding/json says %s", body, got, want)
		}
		if req, derr := decodeBody(body); derr == nil {
			for _, rules := range [][]rule{payRules, precreateRules, queryRules, refundRules, closeRules, activateRules, checkinRules} {
				if ps := check(req, rules); len(ps) > 0 && (ps.message() == "" || ps.detail() == "") {
					t.Fatalf("a problem without words for %q", body)
				}
			}
			_ = orderProblems(req)
			_ = locatorProblem(req)
		} else if derr.message == "" || derr.detail == "" {
			t.Fatalf("a decode error without words for %q", body)
		}
		for _, path := range Paths() {
			r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			if path == "/terminal/activate" {
				r.Header.Set("Authorization", TestVendorSN+" "+shouqianbatest.Sign(body, TestVendorKey))
			} else {
				r.Header.Set("Authorization", TestTerminalSN+" "+shouqianbatest.Sign(body, TestTerminalKey))
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d on %s for %q", w.Code, path, body)
			}
			resp, err := shouqianbatest.Verify(w.Body.Bytes())
			if err != nil {
				t.Fatalf("answer on %s to %q is not a well-formed Shouqianba response: %v\n%s", path, body, err, w.Body.Bytes())
			}
			if resp.ResultCode != "200" && w.Header().Get("X-Paysim-Diagnostic") == "" {
				t.Fatalf("refusal on %s without a diagnostic for %q", path, body)
			}
		}
	})
}
