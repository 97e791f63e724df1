//go:debug rsa1024min=0

package control_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/server"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/outbound"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
)

// fuzzCalls are the control-plane calls that take a JSON body, in the order
// FuzzControlBody posts each input to them.
var fuzzCalls = []string{"/scenarios/arm", "/orders", "/clock", "/faults", "/requests/count", "/notifications/n-1/redeliver", "/reset"}

// FuzzControlBody posts arbitrary bodies to every control-plane call that takes one, in
// turn, through the real handler of a simulator of its own (a virtual clock, the embedded
// scenarios, the four providers). Whatever comes in: never a 500, always a JSON object,
// an error message with every 4xx and none with a 2xx.
func FuzzControlBody(f *testing.F) {
	for _, s := range []string{``, ` `, `{}`, `[]`, `null`, `"x"`, `1`, `{"a":1}`, `{} {}`, `{}x`, "\xff",
		`{"scenario":"pay-unknown-result","provider":"huifu","operation":"payment","times":2,"ttl":"10m"}`,
		`{"scenario":"pay-unknown-result","times":-1}`, `{"scenario":"nope","ttl":"-1s"}`, `{"scenario":"refund-insufficient-balance","operation":"payment"}`,
		`{"provider":"huifu","merchant":"6666000100000002","id":"p1","amount":"1.00","fields":{"req_date":"20261122"}}`,
		`{"provider":"umpay","merchant":"42516662","id":"p1","amount":"99999999999.99"}`,
		`{"provider":"shouqianba","merchant":"m","id":"p1","amount":"0.01","fields":null}`, `{"provider":"huishouqian","merchant":"m","id":"p1","amount":"-1"}`,
		`{"advance":"30s"}`, `{"advance":"-1h"}`, `{"advance":"2562047h"}`, `{"set":"2026-11-22T10:00:00+08:00"}`, `{"set":"0001-01-01T00:00:00Z"}`, `{"advance":"1s","set":"x"}`,
		`{"fault":"commit-then-reset","provider":"huifu","operation":"refund","times":1}`, `{"fault":"delay:2s","probability":0.5,"ttl":"1m"}`,
		`{"fault":"http:502","probability":2}`, `{"fault":"nope","times":-5}`,
		`{"provider":"huifu","merchant":"m","order":"o","path":"/v3/x","outcome":"refused","after":-1}`, `{"outcome":"nope"}`, `{"after":1e30}`,
		`{"provider":""}`, `{"provider":"nope"}`, `{"provider":"huifu","extra":1}`} {
		f.Add([]byte(s))
	}
	set, err := sim.LoadScenarios(paysim.DefaultScenarios(), ".", paysim.Providers())
	if err != nil {
		f.Fatal(err)
	}
	keys := simtest.FastPlatformKeys(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		core := sim.New(sim.WithClock(sim.NewVirtualClock(sim.DefaultVirtualStart)), sim.WithScenarios(set, nil), sim.WithSender(outbound.New()))
		var providers []gateway.Provider
		for _, build := range []func(*sim.Simulator) (gateway.Provider, error){
			func(c *sim.Simulator) (gateway.Provider, error) { return huifu.New(c, keys) },
			func(c *sim.Simulator) (gateway.Provider, error) { return huishouqian.New(c, keys) },
			func(c *sim.Simulator) (gateway.Provider, error) { return shouqianba.New(c, keys) },
			func(c *sim.Simulator) (gateway.Provider, error) { return umpay.New(c, keys) },
		} {
			p, err := build(core)
			if err != nil {
				t.Fatal(err)
			}
			providers = append(providers, p)
		}
		h, err := server.New(gateway.New(core, gateway.VerifyStrict, gateway.WithJournalSize(16)), providers, "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range fuzzCalls {
			r := httptest.NewRequest(http.MethodPost, "/__paysim"+call, strings.NewReader(string(body)))
			r.Host = "127.0.0.1:8700" // the owner's loopback, as the guard wants
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("POST %s %q: status %d\n%s", call, body, w.Code, w.Body.Bytes())
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("POST %s %q: Content-Type %q\n%s", call, body, ct, w.Body.Bytes())
			}
			var out map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || out == nil {
				t.Fatalf("POST %s %q: the answer is not a JSON object (%v)\n%s", call, body, err, w.Body.Bytes())
			}
			msg, hasError := out["error"].(string)
			switch {
			case w.Code >= 400 && (!hasError || msg == ""):
				t.Fatalf("POST %s %q: status %d without an error message\n%s", call, body, w.Code, w.Body.Bytes())
			case w.Code < 400 && out["error"] != nil:
				t.Fatalf("POST %s %q: status %d with an error\n%s", call, body, w.Code, w.Body.Bytes())
			}
		}
	})
}
