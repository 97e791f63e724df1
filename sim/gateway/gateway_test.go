package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

// fake is a protocol whose every step is visible: answers are "kind:detail" text.
type fake struct {
	known, badSign bool
	verified       atomic.Int32 // how often Authenticate was asked to verify
	encoded        atomic.Int32
	encodeGate     chan struct{} // when set, Encode waits on it
}

type fakeReq struct{ body, scenario string }

type fakeAns struct {
	text string
	meta Meta
}

func (a fakeAns) Meta() Meta { return a.meta }

func (*fake) Name() string  { return "fake" }
func (*fake) Title() string { return "Fake" }

func (*fake) Describe(q *fakeReq, path string) Description {
	return Description{Operation: "refund", Merchant: "M", IDs: []string{q.body}}
}
func (*fake) ContentType() string { return "text/plain" }

func (f *fake) Decode(in *Inbound) (*fakeReq, fakeAns, bool) {
	if string(in.Body) == "undecodable" {
		return nil, fakeAns{text: "decode", meta: Meta{Diagnostic: "cannot decode"}}, false
	}
	return &fakeReq{body: string(in.Body), scenario: in.Scenario}, fakeAns{}, true
}

func (f *fake) Authenticate(q *fakeReq, verify bool) (bool, error) {
	if !f.known {
		return false, errors.New("nobody")
	}
	if !verify {
		return true, nil
	}
	f.verified.Add(1)
	if f.badSign {
		return true, errors.New("bad sign")
	}
	return true, nil
}

func (f *fake) Admit(q *fakeReq) (fakeAns, bool) {
	if q.body == "inadmissible" {
		return fakeAns{text: "admit"}, false
	}
	return fakeAns{}, true
}

func (f *fake) Refuse(q *fakeReq, r Refusal) fakeAns {
	return fakeAns{text: fmt.Sprintf("refused %d", r.Kind), meta: Meta{Diagnostic: r.Detail, Code: "E"}}
}

func (f *fake) Encode(q *fakeReq, a fakeAns) []byte {
	if f.encodeGate != nil {
		<-f.encodeGate
	}
	n := f.encoded.Add(1)
	return fmt.Appendf(nil, "%s #%d", a.text, n)
}

func fstestScenarios() fstest.MapFS {
	return fstest.MapFS{"fake-slow.yaml": {Data: []byte("version: 1\nname: fake-slow\noperation: payment\nstates: [{name: a, status: success}]\n")}}
}

func newCore(t *testing.T) *sim.Simulator {
	t.Helper()
	set, err := sim.LoadScenarios(fstestScenarios(), ".", []string{"fake"})
	require.NoError(t, err)
	return sim.New(sim.WithScenarios(set, nil))
}

func post(h http.Handler, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func served(q *fakeReq) fakeAns { return fakeAns{text: "served " + q.body + " " + q.scenario} }

// The verify mode is decided here and nowhere else: strict refuses, log and off serve,
// off never asks for the signature to be checked.
func TestVerifyPolicy(t *testing.T) {
	tests := []struct {
		mode           VerifyMode
		known, badSign bool
		want           string
		verifies       bool
	}{
		{VerifyStrict, true, false, "served body ", true},
		{VerifyStrict, true, true, fmt.Sprintf("refused %d", RefuseBadSignature), true},
		{VerifyStrict, false, false, fmt.Sprintf("refused %d", RefuseUnknownCaller), false},
		{VerifyLog, true, true, "served body ", true},
		{VerifyLog, false, false, "served body ", false},
		{VerifyOff, true, true, "served body ", false},
		{VerifyOff, false, false, "served body ", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s known=%v bad=%v", tt.mode, tt.known, tt.badSign), func(t *testing.T) {
			f := &fake{known: tt.known, badSign: tt.badSign}
			w := post(Handle(New(newCore(t), tt.mode), f, served), "body")
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.want+" #1", w.Body.String())
			assert.Equal(t, tt.verifies, f.verified.Load() > 0)
		})
	}
}

func TestPipelineRefusals(t *testing.T) {
	core := newCore(t)
	f := &fake{known: true}
	h := Handle(New(core, VerifyStrict), f, func(q *fakeReq) fakeAns {
		if q.body == "boom" {
			panic("endpoint bug")
		}
		return served(q)
	})

	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
	assert.Equal(t, "GET /x: Fake serves POST only", w.Header().Get(DiagnosticHeader))

	w = post(h, strings.Repeat("x", MaxBodyBytes+1))
	assert.Equal(t, fmt.Sprintf("refused %d #2", RefuseBodyTooLarge), w.Body.String())

	w = post(h, "boom")
	assert.Equal(t, http.StatusOK, w.Code, "a panic is answered in the provider's shape")
	assert.Equal(t, fmt.Sprintf("refused %d #3", RefuseInternal), w.Body.String())
	assert.Contains(t, w.Header().Get(DiagnosticHeader), "endpoint bug")

	assert.Equal(t, "decode #4", post(h, "undecodable").Body.String())
	assert.Equal(t, "admit #5", post(h, "inadmissible").Body.String())

	w = post(h, "body", ScenarioHeader, "no-such")
	assert.Equal(t, fmt.Sprintf("refused %d #6", RefuseHeader), w.Body.String())
	assert.Contains(t, w.Header().Get(DiagnosticHeader), `no loaded scenario "no-such"`)

	w = post(h, "body", ScenarioHeader, "fake-slow")
	assert.Equal(t, "served body fake-slow #7", w.Body.String(), "the header travels inside the request")
	assert.Equal(t, "text/plain", w.Header().Get("Content-Type"))
}

// An identical retry that arrives while the first answer is still being signed waits
// for it and gets the same bytes; the answer is rendered once.
func TestStoredAnswerForConcurrentRetries(t *testing.T) {
	f := &fake{known: true, encodeGate: make(chan struct{})}
	core := newCore(t)
	created, err := core.CreatePayment(sim.PaymentRequest{Key: sim.Key{Provider: "fake", Merchant: "M", ID: "P"}, Amount: 1})
	require.NoError(t, err)
	slot := created.Answer
	var calls atomic.Int32
	h := Handle(New(core, VerifyStrict), f, func(q *fakeReq) fakeAns {
		retry := calls.Add(1) > 1
		return fakeAns{text: "created", meta: Meta{Answer: slot, Retry: retry}}
	})
	first := make(chan string)
	go func() { first <- post(h, "a").Body.String() }()
	for calls.Load() < 1 { // until the first request is on its way to Encode, held at the gate
		runtime.Gosched()
	}
	const retries = 8
	var wg sync.WaitGroup
	answers := make([]string, retries)
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = post(h, "a").Body.String()
		}()
	}
	for calls.Load() < retries+1 {
		runtime.Gosched()
	}
	close(f.encodeGate)
	want := <-first
	wg.Wait()
	for _, a := range answers {
		assert.Equal(t, want, a)
	}
	assert.Equal(t, int32(1), f.encoded.Load(), "rendered and signed once")
}

func TestCheckOverlaps(t *testing.T) {
	tests := []struct {
		name   string
		mounts map[string]Mounts
		err    string
	}{
		{"disjoint", map[string]Mounts{
			"a": {Routes: []Route{{Paths: []string{"/a/x"}}}, Prefixes: []string{"/a/"}},
			"b": {Routes: []Route{{Paths: []string{"/b/x"}}}, Prefixes: []string{"/b/"}},
		}, ""},
		{"own catch-all under own paths", map[string]Mounts{
			"a": {Routes: []Route{{Paths: []string{"/a/x", "/a/y"}}}, Prefixes: []string{"/a/"}},
		}, ""},
		{"same path", map[string]Mounts{
			"a": {Routes: []Route{{Paths: []string{"/pay"}}}},
			"b": {Routes: []Route{{Paths: []string{"/pay"}}}},
		}, "b claims /pay, which overlaps a's /pay"},
		{"path under another's prefix", map[string]Mounts{
			"hsq": {Routes: []Route{{Paths: []string{"/api/acquiring"}}}, Prefixes: []string{"/api/"}},
			"sqb": {Routes: []Route{{Paths: []string{"/api/v2/pay"}}}, Prefixes: []string{"/api/v2/"}},
		}, "sqb claims /api/v2/pay, which overlaps hsq's /api/*"},
		{"nested prefixes", map[string]Mounts{
			"a": {Prefixes: []string{"/v2/"}},
			"b": {Prefixes: []string{"/v2/trade/"}},
		}, "b claims /v2/trade/*, which overlaps a's /v2/*"},
		{"prefix without slash", map[string]Mounts{"a": {Prefixes: []string{"/v2"}}}, "must end in /"},
		{"one provider twice on a path", map[string]Mounts{
			"a": {Routes: []Route{{Paths: []string{"/x"}}, {Paths: []string{"/x"}}}},
		}, "a claims /x twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckOverlaps(tt.mounts)
			if tt.err == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestHeaderSafe(t *testing.T) {
	tests := map[string]string{
		"plain":           "plain",
		"line\nbreak\r.":  "line break .",
		"汇付":              `\u6c47\u4ed8`,
		"tab\tand\x00nul": `tab\u0009and\u0000nul`,
	}
	for in, want := range tests {
		assert.Equal(t, want, HeaderSafe(in), "%q", in)
	}
}

func TestMediaType(t *testing.T) {
	tests := map[string]string{
		"application/json":                  "application/json",
		"application/json;charset=UTF-8":    "application/json",
		"application/json; charset=utf-8":   "application/json",
		"Application/JSON; Charset=UTF-8":   "application/json",
		"  text/plain  ":                    "text/plain",
		"application/x-www-form-urlencoded": "application/x-www-form-urlencoded",
		"text/plain; charset":               "text/plain", // malformed parameter
		"text/xml;;":                        "text/xml",
		"":                                  "",
	}
	for in, want := range tests {
		assert.Equal(t, want, MediaType(in), "%q", in)
	}
}

func TestParseVerifyMode(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want VerifyMode
		err  bool
	}{
		{"strict", VerifyStrict, false},
		{"log", VerifyLog, false},
		{"off", VerifyOff, false},
		{"", "", true},
		{"STRICT", "", true},
		{"none", "", true},
	} {
		got, err := ParseVerifyMode(tt.in)
		if tt.err {
			assert.Error(t, err, tt.in)
		} else {
			assert.NoError(t, err, tt.in)
		}
		assert.Equal(t, tt.want, got, tt.in)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	tests := []struct {
		name    string
		body    io.Reader
		wantLen int
		tooBig  bool
	}{
		{"small", strings.NewReader("a=1&b=2"), 7, false},
		{"empty", strings.NewReader(""), 0, false},
		{"exactly the limit", strings.NewReader(strings.Repeat("x", MaxBodyBytes)), MaxBodyBytes, false},
		{"one byte over", strings.NewReader(strings.Repeat("x", MaxBodyBytes+1)), 0, true},
		{"far over", strings.NewReader(strings.Repeat("x", 3*MaxBodyBytes)), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", tt.body)
			body, err := readBody(req)
			if tt.tooBig {
				assert.ErrorIs(t, err, errTooLarge)
				assert.Nil(t, body)
				return
			}
			require.NoError(t, err)
			assert.Len(t, body, tt.wantLen)
		})
	}

	body, err := readBody(&http.Request{})
	assert.NoError(t, err)
	assert.Nil(t, body)

	_, err = readBody(httptest.NewRequest(http.MethodPost, "/", failingReader{}))
	require.Error(t, err)
	assert.NotErrorIs(t, err, errTooLarge)
	assert.Contains(t, err.Error(), "connection reset")
}
