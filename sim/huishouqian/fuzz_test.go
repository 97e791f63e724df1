//go:debug rsa1024min=0

package huishouqian

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

// fuzzSeed is one body with the Content-Type it is posted with.
type fuzzSeed struct {
	body        []byte
	contentType string
}

// fuzzSeeds are the seed inputs of both targets: the vectors real clients sent, and
// hand-written forms for every method and for the envelope's edge cases.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	var seeds []fuzzSeed
	for _, body := range simtest.VectorBodies(f, "huishouqian") {
		seeds = append(seeds, fuzzSeed{body, formType})
	}
	const head = `merchantNo=864000000001&version=1.0&format=JSON&signType=RSA2&sign=00&`
	for _, s := range []string{``, `=`, `&&&`, `%`, `{}`, `[]`, `null`, `merchantNo=864000000001`,
		`merchantNo=864000000001&method=POLYMERIZE_QUERY&version=1.0&format=JSON&signType=RSA2&signContent={"transNo":1}&sign=00`,
		`merchantNo=864000000001&signType=CFCA&sign=zz`, "merchantNo=\xff&signContent=%FF%FE", `merchantNo=1&merchantNo=2&sign=&sign=ab`,
		head + `method=POLYMERIZE_MAIN_SWEPTN&signContent={"transNo":"P1","orderAmt":"100","payType":"ALI_JSAPI","goodsInfo":"商品","requestDate":"20260101100000","memo":"{\"timeExpire\":\"20260101110000\"}"}`,
		head + `method=POLYMERIZE_BE_SWEPTN&signContent={"transNo":"B1","orderAmt":3,"payType":"WECHAT_MICROPAY","payCode":"134567890123456789","goodsInfo":"g","requestDate":"20260101100000","memo":{"a":1}}`,
		head + `method=POLYMERIZE_REFUND&signContent={"transNo":"R1","origTransNo":"B1","orderAmt":"1","requestDate":"20260101100000","origOrderAmt":"3"}`,
		head + `method=POLYMERIZE_REFUND_QUERY&signContent={"transNo":"R1"}`,
		head + `method=POLYMERIZE_QUERY&signContent={"transNo":"B1","extra":[1,{"x":null}],"orderAmt":-1}`,
		head + `method=NOPE&signContent=null`, head + `method=POLYMERIZE_QUERY&format=XML&signContent=[]`} {
		seeds = append(seeds, fuzzSeed{[]byte(s), formType})
	}
	seeds = append(seeds,
		fuzzSeed{[]byte("--b\r\nContent-Disposition: form-data; name=\"merchantNo\"\r\n\r\n864000000001\r\n--b--\r\n"), "multipart/form-data; boundary=b"},
		fuzzSeed{[]byte(`{"method":"POLYMERIZE_QUERY"}`), "application/json"},
		fuzzSeed{[]byte(`merchantNo=864000000001`), "text/plain"})
	return seeds
}

// checkDecoded holds for whatever the form decoder accepts: a merchantNo, sign candidates
// ending in the secret, and a fingerprint of signContent that does not depend on map
// order; every rule set checks the parsed signContent without panicking.
func checkDecoded(t *testing.T, contentType string, body []byte, secret string) {
	req, derr := decodeBody(contentType, body)
	if derr != nil {
		if derr.what == "" || derr.detail == "" {
			t.Fatalf("a decode error must say what is wrong: %+v", derr)
		}
		return
	}
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
		for _, rules := range [][]rule{mainRules, barcodeRules, queryRules, refundRules} {
			_ = check(biz, rules)
		}
	}
}

// FuzzDecodeRequest feeds arbitrary bodies, with arbitrary Content-Types, to the form
// decoder and through the real pipeline. Whatever comes in: no panic, nothing logged as
// an error (the pipeline answers a panic in Huishouqian's shape and logs it), and the
// answer is always a Huishouqian envelope signed with the platform key, with a diagnostic
// when it refuses. The platform key is a 512-bit one made for the run
// (simtest.FastKeys), so that signing does not eat the run; verification is in mode log,
// so that the signature check runs and fuzzed forms still reach the methods.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.body, s.contentType)
	}
	keys, platform := simtest.FastKeys(f, "huishouqian/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		core, p := env.Provider(t)
		secret := p.fallback.SignKey
		checkDecoded(t, contentType, body, secret)
		w := simtest.NewFuzzServer(core, p, gateway.VerifyLog).Post(t, Path, http.Header{"Content-Type": {contentType}}, body)
		resp, err := huishouqiantest.Verify(&platform.PublicKey, secret, w.Body.Bytes())
		if err != nil {
			t.Fatalf("answer to %q is not a signed Huishouqian envelope: %v\n%s", body, err, w.Body.Bytes())
		}
		if !resp.Success && w.Header().Get("X-Paysim-Diagnostic") == "" {
			t.Fatalf("refusal %s of %q without a diagnostic", resp.ErrorCode, body)
		}
		errs.Check(t, body)
	})
}

// FuzzValidate runs what the pipeline runs between reading the form and signing the
// answer, without HTTP and without RSA: Decode, Describe, Authenticate (signature not
// checked), every refusal, Admit, the X-Paysim-Scenario check, then every method in turn
// on the admitted request, whatever method the form names, each answer rendered as it
// would be signed. Whatever comes in: no panic, nothing logged as an error, and every
// answer is either a result that decodes back to its fields or an error with a code, a
// message and a diagnostic, all valid UTF-8.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.body, s.contentType, "")
	}
	for _, name := range []string{"pay-unknown-result", "refund-insufficient-balance", "nope"} {
		f.Add([]byte(`merchantNo=864000000001&version=1.0&format=JSON&method=POLYMERIZE_BE_SWEPTN&signContent={"transNo":"B1","origTransNo":"B1","orderAmt":"3","payType":"WECHAT_MICROPAY","payCode":"134567890123456789","goodsInfo":"g","requestDate":"20260101100000"}`), formType, name)
	}
	keys, _ := simtest.FastKeys(f, "huishouqian/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	f.Fuzz(func(t *testing.T, body []byte, contentType, scenario string) {
		defer errs.Check(t, body)
		core, p := env.Provider(t)
		checkDecoded(t, contentType, body, p.fallback.SignKey)
		proto := protocol{p}
		simtest.Walk(t, core, proto, &gateway.Inbound{Method: http.MethodPost, Path: Path, Header: http.Header{"Content-Type": {contentType}}, Body: body, Scenario: scenario}, []string{Path}, validateServes(p),
			func(req *request, known bool) bool { return req.signer != nil },
			func(rep reply) { checkReply(t, rep, body) })
	})
}

// checkReply holds for every answer: a result whose text decodes back to its fields
// (empty ones left out, but finishedDate), or an errorCode and errorMsg with a
// diagnostic; every string valid UTF-8.
func checkReply(t *testing.T, rep reply, body []byte) {
	t.Helper()
	if rep.result == nil {
		if rep.errorCode == "" || rep.errorMsg == "" || rep.diagnostic == "" {
			t.Fatalf("a refusal of %q without a code, a message or a diagnostic: %+v", body, rep)
		}
		if !utf8.ValidString(rep.errorCode) || !utf8.ValidString(rep.errorMsg) {
			t.Fatalf("a refusal of %q that is not valid UTF-8: %q %q", body, rep.errorCode, rep.errorMsg)
		}
		return
	}
	text := encodeResult(rep.result)
	if !utf8.Valid(text) {
		t.Fatalf("result for %q is not valid UTF-8: %q", body, text)
	}
	var back map[string]string
	if err := json.Unmarshal(text, &back); err != nil {
		t.Fatalf("result for %q does not decode: %v\n%s", body, err, text)
	}
	want := map[string]string{}
	for k, v := range rep.result {
		if v != "" || slices.Contains(keptEmpty, k) {
			want[k] = v
		}
	}
	if !maps.Equal(back, want) {
		t.Fatalf("result for %q reads back as %v, rendered from %v", body, back, want)
	}
}

// validateServes is every method, for the fuzz walk.
func validateServes(p *Provider) []gateway.Endpoint[*request, reply] {
	var out []gateway.Endpoint[*request, reply]
	for _, m := range Methods() {
		serve := operations[m]
		out = append(out, func(req *request) reply { return serve(p, req) })
	}
	return out
}
