//go:debug rsa1024min=0

package umpay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// fuzzSeeds are the seed bodies of both targets: the vectors real clients sent, and
// hand-written bodies for every route and for the envelope's edge cases.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := simtest.VectorBodies(f, "umpay")
	for _, s := range []string{``, `{}`, `[]`, `null`, `"x"`, `{"acqSpId":"Y000000001"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderNo":"A|B","txnAmt":-0,"sign":"AA=="}`,
		`{"acqSpId":"Y000000001","txnAmt":1e400,"signature":null,"x":{"y":[1]}}`,
		`{"acqSpId":"Y000000001","acqSpId":2}`, "{\"acqSpId\":\"\u2028\",\"\xff\":1}",
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderTime":"20260101100000","orderNo":"M1","txnAmt":"100","orderType":"alipay","authCode":"284567890123456789","goodsInfo":"商品"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderTime":"20260101100000","orderNo":"Q1","txnAmt":3,"orderType":"wechat","paymentValidTime":"600"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderTime":"20260101100000","orderNo":"U1","txnAmt":"1","orderType":"wechatJs","userId":"o1","appId":"wx1"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderTime":"20260101100000","orderNo":"R1","txnAmt":"1","origOrderNo":"M1","origTxnAmt":"100"}`,
		`{"acqSpId":"Y000000001","acqMerId":"42516662","orderNo":"M1","transactionId":"","merPriv":"a|b"}`,
		`{"acqSpId":"Y000000001","acqMerId":42516662,"orderNo":true,"txnAmt":"0100","signature":1}`,
		`{"acqSpId":"Y000000001","acqMerId":"1","orderTime":"20261301100000","orderNo":"x","txnAmt":"99999999999999"}`} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkDecoded holds for whatever the decoder accepts: an acqSpId, members sorted by key
// without the signature, sign candidates and a fingerprint. A decode error is a format or
// missing-member error.
func checkDecoded(t *testing.T, body []byte) {
	req, derr := decodeBody(body)
	if derr != nil {
		if derr.code != codeFormat && derr.code != codeMissing {
			t.Fatalf("decode error with code %s", derr.code)
		}
		if derr.msg == "" || derr.detail == "" {
			t.Fatalf("a decode error without words for %q", body)
		}
		return
	}
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
}

// fuzzPaths are the routes FuzzDecodeRequest posts every input to. FuzzValidate runs
// every route.
var fuzzPaths = []string{"/pay/refund", "/pay/queryOrder", "/pay/micropay"}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and through the real pipeline
// of three routes. Whatever comes in: no panic, nothing logged as an error (the pipeline
// answers a panic in Umpay's shape and logs it), and every answer is an Umpay response
// signed with the platform key, verified as clients do, with a diagnostic when it refuses.
// The platform key is a 512-bit one made for the run (simtest.FastKeys), so that signing
// does not eat the run; verification is in mode log, so that the signature check runs and
// fuzzed bodies still reach the routes.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body)
	}
	keys, platform := simtest.FastKeys(f, "umpay/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, body)
		core, p := env.Provider(t)
		srv := simtest.NewFuzzServer(core, p, gateway.VerifyLog)
		for _, path := range fuzzPaths {
			w := srv.Post(t, path, jsonHeader, body)
			fields, _, err := umpaytest.Verify(&platform.PublicKey, w.Body.Bytes())
			if err != nil {
				t.Fatalf("answer on %s to %q is not a signed Umpay response: %v\n%s", path, body, err, w.Body.Bytes())
			}
			if refused(fields["respCode"]) && w.Header().Get("X-Paysim-Diagnostic") == "" {
				t.Fatalf("refusal %s on %s without a diagnostic for %q", fields["respCode"], path, body)
			}
			errs.Check(t, body)
		}
	})
}

// refused says whether respCode refuses the request rather than report on a payment.
func refused(code string) bool {
	switch code {
	case codeOK, codeFailed, codePaying, codeUnclear, codeNotDefinitive:
		return false
	}
	return true
}

// FuzzValidate runs what the pipeline runs between reading the body and signing the
// answer, without HTTP and without RSA: Decode, Describe, Authenticate (signature not
// checked), every refusal, Admit, the X-Paysim-Scenario check, then every route in turn
// on the admitted request, each answer rendered as it would be signed. Whatever comes in:
// no panic, nothing logged as an error, and every answer is the flat object clients
// verify, its signed text exactly what they rebuild from it.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzValidate(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body, "")
	}
	for _, name := range []string{"pay-unknown-result", "refund-insufficient-balance", "nope"} {
		f.Add([]byte(`{"acqSpId":"Y000000001","acqMerId":"42516662","orderTime":"20260101100000","orderNo":"M1","txnAmt":"3","origOrderNo":"M1","origTxnAmt":"3","orderType":"alipay","authCode":"284567890123456789"}`), name)
	}
	keys, _ := simtest.FastKeys(f, "umpay/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	header := http.Header{"Content-Type": {"application/json"}}
	f.Fuzz(func(t *testing.T, body []byte, scenario string) {
		defer errs.Check(t, body)
		checkDecoded(t, body)
		core, p := env.Provider(t)
		proto := protocol{p}
		simtest.Walk(t, core, proto, &gateway.Inbound{Method: http.MethodPost, Path: fuzzPaths[0], Header: header, Body: body, Scenario: scenario}, validatePaths, validateServes(p),
			func(req *request, known bool) bool { return known == (req.sp != nil) },
			func(rep reply) { checkReply(t, rep, body) })
	})
}

// checkReply holds for every answer: a respCode, a diagnostic when it refuses, and a
// body in the subset umpaytest.Verify enforces (a flat object of non-empty strings and
// digit-string amounts as numbers, no "|" in a value, valid UTF-8) whose signed text is
// the values in key order joined by "|".
func checkReply(t *testing.T, rep reply, body []byte) {
	t.Helper()
	code := rep.fields["respCode"]
	if code == "" {
		t.Fatalf("an answer without respCode for %q: %v", body, rep.fields)
	}
	if refused(code) && rep.diagnostic == "" {
		t.Fatalf("refusal %s without a diagnostic for %q", code, body)
	}
	members, text := encode(rep.fields)
	out := marshal(members, "AA==")
	if !utf8.Valid(out) {
		t.Fatalf("answer for %q is not valid UTF-8: %q", body, out)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatalf("answer for %q does not decode: %v\n%s", body, err, out)
	}
	keys := make([]string, 0, len(obj))
	values := map[string]string{}
	for k, v := range obj {
		if k == "signature" {
			continue
		}
		switch x := v.(type) {
		case string:
			values[k] = x
		case json.Number:
			values[k] = x.String()
		default:
			t.Fatalf("answer member %s for %q is a %T\n%s", k, body, v, out)
		}
		if values[k] == "" || strings.Contains(values[k], "|") {
			t.Fatalf("answer member %s for %q is empty or holds |\n%s", k, body, out)
		}
		keys = append(keys, k)
	}
	if _, ok := obj["txnAmt"].(string); ok {
		t.Fatalf("txnAmt for %q is not a JSON number\n%s", body, out)
	}
	sort.Strings(keys)
	joined := make([]string, len(keys))
	for i, k := range keys {
		joined[i] = values[k]
	}
	if got := strings.Join(joined, "|"); got != text {
		t.Fatalf("answer for %q is signed over %q, clients rebuild %q", body, text, got)
	}
}

// validatePaths and validateServes are every route, for the fuzz walk.
var validatePaths = func() []string {
	var out []string
	for _, r := range routes {
		out = append(out, "/pay/"+r.name)
	}
	return out
}()

func validateServes(p *Provider) []gateway.Endpoint[*request, reply] {
	var out []gateway.Endpoint[*request, reply]
	for _, r := range routes {
		serve := r.serve
		out = append(out, func(req *request) reply { return serve(p, req) })
	}
	return out
}
