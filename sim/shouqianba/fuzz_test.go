//go:debug rsa1024min=0

package shouqianba

import (
	"log/slog"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// fuzzSeeds are the seed bodies of both targets: the vectors real clients sent, and
// hand-written bodies for every endpoint and for the edge cases of the JSON object.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := simtest.VectorBodies(f, "shouqianba")
	for _, s := range []string{``, `{}`, `[]`, `null`, `"x"`, `1`, `{"terminal_sn":null}`,
		`{"terminal_sn":"100000330000000001","sn":"","client_sn":"a","refund_request_no":"1","refund_amount":1,"operator":"o"}`,
		`{"terminal_sn":"100000330000000001","client_sn":"b","total_amount":-0,"dynamic_id":"13","subject":"\u2028","operator":"o","reflect":{"a":[1]}}`,
		`{"terminal_sn":"100000330000000001","client_sn":"c","total_amount":"99999999999999999999","payway":"3","subject":"s","operator":"o"}`,
		"{\"terminal_sn\":\"\xff\",\"sn\":1e400}", `{"a":1,"a":"2"}`,
		`{"app_id":"2026","code":"00000001","device_id":"d1","name":"n","os_info":"linux","sdk_version":"1"}`,
		`{"terminal_sn":"100000330000000001","device_id":"d1"}`,
		`{"terminal_sn":"100000330000000001","client_sn":"p1","total_amount":"3","payway":"3","sub_payway":"4","payer_uid":"u","subject":"s","operator":"o","longitude":"1","latitude":"2","extended":{"x":"y"},"goods_details":[{"a":1}],"notify_url":"http://127.0.0.1/n"}`,
		`{"terminal_sn":"100000330000000001","client_sn":"p1","refund_request_no":"r1","refund_amount":"1","operator":"o"}`,
		`{"terminal_sn":"100000330000000002","client_sn":"p1"}`, `{"terminal_sn":"100000330000000001","sn":"7894259244096169"}`} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkDecoded holds for whatever comes in: the JSON string writer agrees with
// encoding/json, validation has words for every problem it finds in what the decoder
// accepted, and a decode error has words too.
func checkDecoded(t *testing.T, body []byte) {
	if got, want := string(appendString(nil, string(body))), stdString(t, string(body)); got != want {
		t.Fatalf("appendString(%q) = %s, encoding/json says %s", body, got, want)
	}
	req, derr := decodeBody(body)
	if derr != nil {
		if derr.message == "" || derr.detail == "" {
			t.Fatalf("a decode error without words for %q", body)
		}
		return
	}
	for _, rules := range [][]rule{payRules, precreateRules, queryRules, refundRules, closeRules, activateRules, checkinRules} {
		if ps := check(req, rules); len(ps) > 0 && (ps.message() == "" || ps.detail() == "") {
			t.Fatalf("a problem without words for %q", body)
		}
	}
	_ = orderProblems(req)
	_ = locatorProblem(req)
	_ = activationProblems(req)
}

// signedBy signs body as a real client of cred does: the test vendor for activate,
// the test terminal for everything else.
func signedBy(cred credential, body []byte) string {
	if cred == vendorSigned {
		return TestVendorSN + " " + shouqianbatest.Sign(body, TestVendorKey)
	}
	return TestTerminalSN + " " + shouqianbatest.Sign(body, TestTerminalKey)
}

// fuzzEnv builds, for one input, a simulator of its own (a virtual clock at
// sim.DefaultVirtualStart, the shipped scenarios) and the provider over it, so that every
// input starts from the same empty ledger and terminal registry, and a failure replays
// from the input alone.
// newFuzzEnv builds Shouqianba fresh for each input; its platform key signs only
// notifications, so a small one will do.
func newFuzzEnv(f *testing.F, logger *slog.Logger) simtest.FuzzEnv[*Provider] {
	keys, _ := simtest.FastKeys(f, "shouqianba/platform_private.pem")
	return simtest.NewFuzzEnv(f, keys, logger, New)
}

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and, signed by the test
// terminal (the test vendor for activate) so that they get past the signature, through
// the real pipeline of every endpoint in turn, on one simulator. Whatever comes in: no
// panic, nothing logged as an error (the pipeline answers a panic in Shouqianba's shape
// and logs it), validation never panics on what the decoder accepted, and every answer
// is a well-formed Shouqianba response in valid UTF-8, with a diagnostic when it refuses.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body)
	}
	logger, errs := simtest.NewErrorLog()
	env := newFuzzEnv(f, logger)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, body)
		core, p := env.Provider(t)
		srv := simtest.NewFuzzServer(core, p, gateway.VerifyStrict)
		for _, r := range routes {
			path := r.paths[0]
			w := srv.Post(t, path, http.Header{"Content-Type": {"application/json"}, "Authorization": {signedBy(r.cred, body)}}, body)
			if !utf8.Valid(w.Body.Bytes()) {
				t.Fatalf("answer on %s to %q is not valid UTF-8: %q", path, body, w.Body.Bytes())
			}
			resp, err := shouqianbatest.Verify(w.Body.Bytes())
			if err != nil {
				t.Fatalf("answer on %s to %q is not a well-formed Shouqianba response: %v\n%s", path, body, err, w.Body.Bytes())
			}
			if resp.ResultCode != resultOK && w.Header().Get("X-Paysim-Diagnostic") == "" {
				t.Fatalf("refusal on %s without a diagnostic for %q", path, body)
			}
			errs.Check(t, body)
		}
	})
}

// FuzzValidate runs, for every endpoint in turn on one simulator, what the pipeline runs
// between reading the body and writing the answer, without HTTP: Decode, Describe,
// Authenticate (the MD5 signature of the test terminal or vendor checked), every
// refusal (once), Admit, the X-Paysim-Scenario check and the endpoint, whose answer is encoded
// as it would be sent. Whatever comes in: no panic, nothing logged as an error, and every
// answer is a well-formed Shouqianba response in valid UTF-8, with a diagnostic when it
// refuses.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzValidate(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body, "")
	}
	for _, name := range []string{"pay-unknown-result", "refund-insufficient-balance", "nope"} {
		f.Add([]byte(`{"terminal_sn":"100000330000000001","client_sn":"p1","total_amount":"3","dynamic_id":"134567890123456789","subject":"s","operator":"o","refund_request_no":"r1","refund_amount":"3"}`), name)
	}
	logger, errs := simtest.NewErrorLog()
	env := newFuzzEnv(f, logger)
	f.Fuzz(func(t *testing.T, body []byte, scenario string) {
		defer errs.Check(t, body)
		checkDecoded(t, body)
		core, p := env.Provider(t)
		for i, r := range routes {
			proto := protocol{p: p, cred: r.cred}
			header := http.Header{"Content-Type": {"application/json"}, "Authorization": {signedBy(r.cred, body)}}
			req, rep, ok := proto.Decode(&gateway.Inbound{Method: http.MethodPost, Path: r.paths[0], Header: header, Body: body, Scenario: scenario})
			if !ok {
				checkReply(t, rep, body)
				continue
			}
			_ = proto.Describe(req, r.paths[0])
			if known, err := proto.Authenticate(req, true); !known || err != nil {
				t.Fatalf("Authenticate on %s of %q signed by the test identity: %v, %v", r.paths[0], body, known, err)
			}
			_ = proto.Describe(req, r.paths[0])
			if i == 0 { // the refusals do not depend on the route
				for kind := gateway.RefuseMethod; kind <= gateway.RefuseInternal; kind++ {
					checkReply(t, proto.Refuse(req, gateway.Refusal{Kind: kind, Detail: "fuzz"}), body)
				}
			}
			if rep, ok := proto.Admit(req); !ok {
				checkReply(t, rep, body)
				continue
			}
			if core.CheckScenarioHeader(scenario) != nil {
				return // refused by the pipeline, in Shouqianba's shape (RefuseHeader above)
			}
			checkReply(t, r.serve(p, req), body)
		}
	})
}

// checkReply holds for every answer: encoded, it is a well-formed Shouqianba response in
// valid UTF-8, with a diagnostic when it refuses at the gateway's level.
func checkReply(t *testing.T, rep reply, body []byte) {
	t.Helper()
	out := encode(rep)
	if !utf8.Valid(out) {
		t.Fatalf("answer to %q is not valid UTF-8: %q", body, out)
	}
	if _, err := shouqianbatest.Verify(out); err != nil {
		t.Fatalf("answer to %q is not a well-formed Shouqianba response: %v\n%s", body, err, out)
	}
	if rep.resultCode != resultOK && rep.diagnostic == "" {
		t.Fatalf("refusal %s of %q without a diagnostic", rep.errorCode, body)
	}
}
