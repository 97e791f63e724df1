//go:debug rsa1024min=0

package huifu

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/simtest"
)

// fuzzSeeds are the seed bodies of both targets: the vectors real clients sent, and
// hand-written bodies for every endpoint and for the envelope's edge cases.
func fuzzSeeds(f *testing.F) [][]byte {
	seeds := simtest.VectorBodies(f, "huifu")
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"sys_id":"6666000100000001","data":"{}","sign":""}`,
		`{"sys_id":"6666000100000001","data":{"a":{"b":[1,{"c":"\u2028"}]}},"sign":"AA=="}`, "{\"data\":{\"\xff\":1}}",
		`{"sys_id":"6666000100000001","product_id":"PAYUN","data":{"req_date":"20260101","req_seq_id":"p1","huifu_id":"6666000100000002","goods_desc":"测试","trade_type":"T_JSAPI","trans_amt":"1.00"},"sign":""}`,
		`{"sys_id":"6666000100000001","data":{"req_date":"20260101","req_seq_id":"m1","huifu_id":"6666000100000002","goods_desc":"g","trans_amt":"0.01","auth_code":"134567890123456789","risk_check_data":"{}"}}`,
		`{"sys_id":"6666000100000001","data":{"req_date":"20260101","req_seq_id":"r1","huifu_id":"6666000100000002","ord_amt":"0.01","org_req_date":"20260101","org_req_seq_id":"p1"}}`,
		`{"sys_id":"6666000100000001","data":"{\"huifu_id\":\"6666000100000002\",\"org_req_date\":\"20260101\",\"org_hf_seq_id\":\"x\"}"}`,
		`{"sys_id":"6666000100000001","data":{"huifu_id":"6666000100000009","trans_amt":1.5,"remark":null,"req_date":"2026-01-01"}}`,
		`{"sys_id":1,"data":{}}`, `{"sys_id":"x","data":[]}`, `{"sys_id":"x","data":"[1]"}`, `{"sys_id":"x","data":{"a":1e400}}`} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkDecoded holds for whatever the decoder accepts: sign candidates are not empty, and
// the canonical text re-parses to itself.
func checkDecoded(t *testing.T, body []byte) {
	req, derr := decodeBody(body)
	if derr != nil {
		if derr.desc == "" || derr.detail == "" {
			t.Fatalf("a decode error without words for %q", body)
		}
		return
	}
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

// fuzzPaths are the routes FuzzDecodeRequest posts every input to: a create, a create on a
// payment and a query. FuzzValidate runs every endpoint.
var fuzzPaths = []string{"/v3/trade/payment/jspay", "/v3/trade/payment/scanpay/refund", "/v2/trade/payment/scanpay/closequery"}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// FuzzDecodeRequest feeds arbitrary bodies to the decoder and through the real pipeline
// of three routes. Whatever comes in: no panic, nothing logged as an error (the pipeline
// answers a panic in Huifu's shape and logs it), a decoded request re-canonicalises
// stably, and every answer is a Huifu response signed with the platform key, with a
// diagnostic when it refuses. The platform key is a 512-bit one made for the run
// (simtest.FastKeys), so that signing does not eat the run; verification is in mode log,
// so that the signature check runs and fuzzed bodies still reach the endpoints.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzDecodeRequest(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body)
	}
	keys, platform := simtest.FastKeys(f, "huifu/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecoded(t, body)
		core, p := env.Provider(t)
		srv := simtest.NewFuzzServer(core, p, gateway.VerifyLog)
		for _, path := range fuzzPaths {
			w := srv.Post(t, path, jsonHeader, body)
			data, err := huifutest.Verify(&platform.PublicKey, w.Body.Bytes())
			if err != nil {
				t.Fatalf("answer on %s to %q is not a signed Huifu response: %v\n%s", path, body, err, w.Body.Bytes())
			}
			if code := data["resp_code"]; code != codeOK && code != codeProcessing && w.Header().Get("X-Paysim-Diagnostic") == "" {
				t.Fatalf("refusal %s on %s without a diagnostic for %q", code, path, body)
			}
			errs.Check(t, body)
		}
	})
}

// FuzzValidate runs what the pipeline runs between reading the body and signing the
// answer, without HTTP and without RSA: Decode, Describe, Authenticate (signature not
// checked), every refusal, Admit, the X-Paysim-Scenario check, then every endpoint in
// turn on the admitted request, each answer's data rendered as it would be signed.
// Whatever comes in: no panic, nothing logged as an error, and every answer is data any
// SDK reads back to the same fields, with a resp_code and, when it refuses, a diagnostic.
//
// Run it as make fuzz does, with -fuzzminimizetime=0: at the default of 60s, minimising
// every input that adds coverage takes the whole run (BENCHMARKS.md, Fuzzing).
func FuzzValidate(f *testing.F) {
	for _, body := range fuzzSeeds(f) {
		f.Add(body, "")
	}
	for _, name := range []string{"pay-unknown-result", "refund-insufficient-balance", "nope"} {
		f.Add([]byte(`{"sys_id":"6666000100000001","data":{"req_date":"20260101","req_seq_id":"p1","huifu_id":"6666000100000002","ord_amt":"0.03","trans_amt":"0.03","goods_desc":"g","trade_type":"A_NATIVE","org_req_date":"20260101","org_req_seq_id":"p1"}}`), name)
	}
	keys, _ := simtest.FastKeys(f, "huifu/platform_private.pem")
	logger, errs := simtest.NewErrorLog()
	env := simtest.NewFuzzEnv(f, keys, logger, New)
	header := http.Header{"Content-Type": {"application/json"}}
	f.Fuzz(func(t *testing.T, body []byte, scenario string) {
		defer errs.Check(t, body)
		checkDecoded(t, body)
		core, p := env.Provider(t)
		proto := protocol{p}
		simtest.Walk(t, core, proto, &gateway.Inbound{Method: http.MethodPost, Path: fuzzPaths[0], Header: header, Body: body, Scenario: scenario}, validatePaths, validateServes(p),
			func(req *request, known bool) bool { return known == (req.merchant != nil) },
			func(rep reply) { checkReply(t, rep, body) })
	})
}

// checkReply holds for every answer: a resp_code, a diagnostic when it refuses, and data
// that decodes back to the fields it was rendered from (free text scrubbed, empty values
// dropped), as valid UTF-8.
func checkReply(t *testing.T, rep reply, body []byte) {
	t.Helper()
	code := rep.fields["resp_code"]
	if code == "" {
		t.Fatalf("an answer without resp_code for %q: %v", body, rep.fields)
	}
	if code != codeOK && code != codeProcessing && rep.diagnostic == "" {
		t.Fatalf("refusal %s without a diagnostic for %q", code, body)
	}
	data := encodeData(rep.fields)
	if !utf8.Valid(data) {
		t.Fatalf("answer data for %q is not valid UTF-8: %q", body, data)
	}
	var back map[string]string
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("answer data for %q does not decode: %v\n%s", body, err, data)
	}
	want := map[string]string{}
	for k, v := range rep.fields {
		if v != "" {
			want[k] = sim.ScrubText(v)
		}
	}
	if !maps.Equal(back, want) {
		t.Fatalf("answer data for %q reads back as %v, rendered from %v", body, back, want)
	}
}

// validatePaths and validateServes are every route, for the fuzz walk.
var validatePaths = Paths()

func validateServes(p *Provider) []gateway.Endpoint[*request, reply] {
	var out []gateway.Endpoint[*request, reply]
	for _, r := range routes {
		serve := r.serve
		out = append(out, func(req *request) reply { return serve(p, req) })
	}
	return out
}
