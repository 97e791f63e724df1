package huishouqian_test

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"github.com/stretchr/testify/require"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/control"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huishouqian"
	"github.com/paysim/paysim/sim/huishouqian/huishouqiantest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// TestConformance runs the invariants every provider holds (sim/simtest/conformance.go)
// through Huishouqian's wire: answers are read the way the PHP client reads them.
func TestConformance(t *testing.T) {
	platform, secret := platformKey(t)
	simtest.Conformance(t, simtest.Adapter{
		Name:     huishouqian.Name,
		Merchant: huishouqiantest.MerchantNo,
		Build: func(core *sim.Simulator) (gateway.Provider, error) {
			return huishouqian.New(core, paysim.DefaultKeys())
		},
		Read: func(status int, h http.Header, body []byte) (simtest.Answer, error) {
			return readAnswer(platform, secret, status, h, body)
		},
		SeedVectors: func(t testing.TB, core *sim.Simulator, p gateway.Provider) {
			seedOrder(t, core, p, vectorOrder, 100)
		},
		SeedOrder: seedOrder,
		Refund:    conformRefund,
		Script: func(t testing.TB, baseURL string) []string {
			c := newClient(t, baseURL)
			return script(t, func(method string, biz map[string]any) []byte {
				t.Helper()
				resp, err := c.Post(method, biz)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != http.StatusOK {
					t.Fatalf("%s answered HTTP %d", method, resp.Status)
				}
				return resp.Body
			}, func(d time.Duration) { advanceClock(t, baseURL, d) })
		},
	})
}

// platformKey is the platform certificate's key and the shared secret, from the keys
// paysim ships: what a client configured with the test identity verifies answers with.
func platformKey(t testing.TB) (*rsa.PublicKey, string) {
	t.Helper()
	pub, err := rsakey.LoadPublic(paysim.DefaultKeys(), "huishouqian/platform_cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := fs.ReadFile(paysim.DefaultKeys(), "huishouqian/sign_key.txt")
	if err != nil {
		t.Fatal(err)
	}
	return pub, string(secret)
}

// readAnswer verifies an answer as the PHP client does (huishouqiantest.Verify: success
// a JSON boolean, the sign over the rebuilt text checked with the platform certificate)
// and, as the test client does, requires the JSON Content-Type. A success:false envelope
// is a refusal, SIGN_ERROR the signature error; a query miss (success:true, respCode
// 200004, HQ-A2) is a business error answer too.
func readAnswer(platform *rsa.PublicKey, secret string, status int, h http.Header, body []byte) (simtest.Answer, error) {
	if status == 0 {
		return simtest.Answer{}, fmt.Errorf("no answer: %s", body)
	}
	resp, err := huishouqiantest.Verify(platform, secret, body)
	if err != nil {
		return simtest.Answer{}, fmt.Errorf("HTTP %d: %w", status, err)
	}
	if ct := h.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		return simtest.Answer{}, fmt.Errorf("HTTP %d with Content-Type %q, want application/json;charset=UTF-8", status, ct)
	}
	if !resp.Success {
		return simtest.Answer{Refused: true, BadSignature: resp.ErrorCode == "SIGN_ERROR", Code: resp.ErrorCode}, nil
	}
	code := resp.RespCode()
	return simtest.Answer{Refused: code == "200004", Code: code}, nil
}

// seedOrder books a paid order, as the control plane does.
func seedOrder(t testing.TB, core *sim.Simulator, p gateway.Provider, transNo string, amount sim.Amount) {
	t.Helper()
	req := sim.PaymentRequest{Key: sim.Key{Provider: huishouqian.Name, Merchant: huishouqiantest.MerchantNo, ID: transNo}, Amount: amount}
	require.NoError(t, p.PrepareSeed(&req))
	if _, err := core.SeedPayment(req); err != nil {
		t.Fatal(err)
	}
}

// conformRefund posts one signed POLYMERIZE_REFUND and returns the raw answer. It runs on
// many goroutines: every failure is status 0 with the error as body.
func conformRefund(_ testing.TB, baseURL, order, refundID string, amount sim.Amount) (int, http.Header, []byte) {
	fail := func(err error) (int, http.Header, []byte) { return 0, nil, []byte(err.Error()) }
	c, err := huishouqiantest.NewClient(baseURL, paysim.DefaultKeys())
	if err != nil {
		return fail(err)
	}
	content, err := huishouqiantest.SignContent(refundBiz(refundID, order, amount.Fen()))
	if err != nil {
		return fail(err)
	}
	f, err := c.NewForm(refund, content)
	if err != nil {
		return fail(err)
	}
	resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, baseURL+huishouqiantest.Path,
		http.Header{"Content-Type": {formType}}, nil, f.Encode())
	if err != nil {
		return fail(err)
	}
	return resp.StatusCode, resp.Header, raw
}

func newClient(t testing.TB, baseURL string) *huishouqiantest.Client {
	t.Helper()
	c, err := huishouqiantest.NewClient(baseURL, paysim.DefaultKeys())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// advanceClock moves the virtual clock through the control plane, as a CI job would.
func advanceClock(t testing.TB, baseURL string, d time.Duration) {
	t.Helper()
	resp, err := http.Post(baseURL+control.Prefix+"/clock", "application/json", strings.NewReader(fmt.Sprintf(`{"advance":%q}`, d)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatal(errors.New("advancing the clock: " + resp.Status + " " + string(bytes.TrimSpace(body))))
	}
}
