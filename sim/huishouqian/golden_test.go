package huishouqian_test

import (
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/simtest"
)

// TestGolden runs one fixed script on one simulator (virtual clock, seed 1) and compares
// every answer, byte for byte, with testdata/golden/huishouqian.txt: the proof that a
// refactoring of the request pipeline changes nothing a client can see. Run it with
// -update only when a change of the answers is intended.
func TestGolden(t *testing.T) {
	var tr simtest.Transcript
	e := newEnv(t, sim.WithSeed(1))

	rec := func(step string, r *huishouqiantest.Response) { tr.Add(step, r.Status, r.Header, r.Body) }
	post := func(step, method string, biz map[string]any) { rec(step, e.post(t, method, biz)) }
	do := func(step, method, path, contentType string, body []byte) {
		t.Helper()
		resp, err := e.client.Do(method, path, contentType, body)
		require.NoError(t, err, "every answer is a signed Huishouqian envelope")
		rec(step, resp)
	}
	advance := func(d time.Duration) {
		t.Helper()
		_, err := e.clock.Advance(d)
		require.NoError(t, err)
	}
	// signedForm signs a form after mutate, the way a client that means it would.
	signedForm := func(method, content string, mutate func(*huishouqiantest.Form)) []byte {
		t.Helper()
		f := huishouqiantest.Form{Method: method, Version: "1.0", Format: "JSON", MerchantNo: huishouqiantest.MerchantNo, SignType: "RSA2", SignContent: content}
		if mutate != nil {
			mutate(&f)
		}
		f, err := e.client.SignForm(f)
		require.NoError(t, err)
		return f.Encode()
	}
	const transX = `{"transNo":"X"}`

	// Main-swept: created PROCESSING, retried, reused with other content, paid on the 1st query.
	post("main-swept WECHAT_JSAPI 1230 fen created", mainSwept, mainSweptBiz("G-MS1", "1230", "WECHAT_JSAPI"))
	post("main-swept identical retry", mainSwept, mainSweptBiz("G-MS1", "1230", "WECHAT_JSAPI"))
	post("main-swept same transNo, other amount", mainSwept, mainSweptBiz("G-MS1", "1240", "WECHAT_JSAPI"))
	post("query main-swept: paid on the 1st query", query, queryBiz("G-MS1"))

	// Be-swept: a barcode pays at once; 1.01 is unknown until the 2nd query.
	post("be-swept WECHAT_MICROPAY 50 fen: paid at once", beSwept, barcodeBiz("G-BS1", "50", "WECHAT_MICROPAY", "134567890123456789"))
	post("be-swept ALI_BARCODEPAY 101 fen: unknown", beSwept, barcodeBiz("G-BS2", "101", "ALI_BARCODEPAY", "284567890123456789"))
	post("query unknown barcode: 1st query still processing", query, queryBiz("G-BS2"))
	post("query unknown barcode: 2nd query paid", query, queryBiz("G-BS2"))

	// Refund: processing, retried, reused, done 30 s after acceptance.
	post("refund 1000 of G-MS1 accepted", refund, refundBiz("G-RF1", "G-MS1", "1000"))
	post("refund identical retry", refund, refundBiz("G-RF1", "G-MS1", "1000"))
	post("refund same transNo, other amount", refund, refundBiz("G-RF1", "G-MS1", "20"))
	post("refund query: 1st query processing", refundQuery, refundQueryBiz("G-RF1"))
	advance(30 * time.Second)
	post("refund query 30 s later: success", refundQuery, refundQueryBiz("G-RF1"))
	post("refund 231 over the 230 left", refund, refundBiz("G-RF2", "G-MS1", "231"))
	post("refund of an unknown order", refund, refundBiz("G-RF3", "NO-SUCH-ORDER", "10"))
	post("refund 3 fen: refund-insufficient-balance by amount", refund, refundBiz("G-RF4", "G-BS1", "3"))
	post("refund query of an unknown refund", refundQuery, refundQueryBiz("NO-SUCH-REFUND"))
	post("query of an unknown order", query, queryBiz("NO-SUCH-ORDER"))

	// Scenarios named by header.
	e.client.Header.Set("X-Paysim-Scenario", "pay-unknown-result")
	post("be-swept 50 fen with header pay-unknown-result", beSwept, barcodeBiz("G-BS3", "50", "ALI_BARCODEPAY", "284567890123456789"))
	e.client.Header.Set("X-Paysim-Scenario", "no-such-scenario")
	post("be-swept with header naming an unknown scenario", beSwept, barcodeBiz("G-BS4", "50", "ALI_BARCODEPAY", "284567890123456789"))
	e.client.Header.Del("X-Paysim-Scenario")

	// An unpaid order expires after 15 minutes.
	post("main-swept DYNAMIC_ALL 100 fen created", mainSwept, mainSweptBiz("G-MS2", "100", "DYNAMIC_ALL"))
	advance(15 * time.Minute)
	post("query 15 min later: expired", query, queryBiz("G-MS2"))

	// Bad input.
	do("GET instead of POST", http.MethodGet, huishouqiantest.Path, "", nil)
	do("empty body", http.MethodPost, huishouqiantest.Path, formType, nil)
	do("JSON instead of a form", http.MethodPost, huishouqiantest.Path, "application/json", []byte(`{"method":"POLYMERIZE_QUERY","merchantNo":"864000000001"}`))
	do("unknown method", http.MethodPost, huishouqiantest.Path, formType, signedForm("POLYMERIZE_CLOSE", transX, nil))
	do("no version", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, transX, func(f *huishouqiantest.Form) { f.Version = "" }))
	do("no format", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, transX, func(f *huishouqiantest.Form) { f.Format = "" }))
	do("no signContent", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, "", nil))
	do("signContent not JSON", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, `transNo=X`, nil))
	do("unknown merchantNo", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, transX, func(f *huishouqiantest.Form) { f.MerchantNo = "864000009999" }))
	do("signType CFCA", http.MethodPost, huishouqiantest.Path, formType, signedForm(query, transX, func(f *huishouqiantest.Form) { f.SignType = "CFCA" }))
	do("unknown path under /api/", http.MethodPost, "/api/acquiring/v2", formType, []byte(`a=b`))

	// Vectors, against the order they name (as vectors_test.go seeds it).
	e.seedPaid(t, vectorOrder, 100)
	tampered := loadVectors(t, "tampered")
	for _, name := range slices.Sorted(maps.Keys(tampered)) {
		rec("tampered vector "+name, e.replay(t, tampered[name]))
	}
	requests := loadVectors(t, "requests")
	for _, name := range slices.Sorted(maps.Keys(requests)) {
		rec("real-client vector "+name, e.replay(t, requests[name]))
	}

	// success as a string, in a second simulator.
	e2 := newEnv(t, sim.WithSeed(1))
	e2.provider.SetSuccessAsString(true)
	e2.seedPaid(t, "G-PAY1", 100)
	content, err := huishouqiantest.SignContent(queryBiz("G-PAY1"))
	require.NoError(t, err)
	f, err := e2.client.NewForm(query, content)
	require.NoError(t, err)
	resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, e2.srv.URL+huishouqiantest.Path,
		http.Header{"Content-Type": {formType}}, nil, f.Encode())
	require.NoError(t, err)
	_, err = huishouqiantest.VerifyStringSuccess(e2.client.Platform(), e2.client.SignKey, raw)
	require.NoError(t, err)
	tr.Add("success as a string: query of a seeded order", resp.StatusCode, resp.Header, raw)

	tr.Check(t, "huishouqian.txt")
}
