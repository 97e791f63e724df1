package umpay_test

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"github.com/stretchr/testify/require"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/simtest"
	"github.com/paysim/paysim/sim/umpay"
	"github.com/paysim/paysim/sim/umpay/umpaytest"
)

// TestConformance runs the invariants every provider holds (sim/simtest/conformance.go)
// through Umpay's official-demo client.
func TestConformance(t *testing.T) {
	platform, err := umpaytest.LoadCertificate(paysim.DefaultKeys(), "umpay/platform_cert.der")
	if err != nil {
		t.Fatal(err)
	}
	// The merchant knows what it charged: a refund's origTxnAmt must be the order's full
	// amount, so Refund takes it from what SeedOrder booked.
	var amounts sync.Map // order id -> sim.Amount
	simtest.Conformance(t, simtest.Adapter{
		Name:     umpay.Name,
		Merchant: umpaytest.MerID,
		Build: func(core *sim.Simulator) (gateway.Provider, error) {
			return umpay.New(core, paysim.DefaultKeys())
		},
		Read: func(status int, h http.Header, body []byte) (simtest.Answer, error) {
			return readAnswer(platform, status, h, body)
		},
		SeedVectors: seedVectors,
		SeedOrder: func(t testing.TB, core *sim.Simulator, p gateway.Provider, id string, amount sim.Amount) {
			t.Helper()
			seedOrder(t, core, p, id, amount, "qrpay")
			amounts.Store(id, amount)
		},
		Refund: func(_ testing.TB, baseURL, order, refundID string, amount sim.Amount) (int, http.Header, []byte) {
			orig, ok := amounts.Load(order)
			if !ok {
				return 0, nil, fmt.Appendf(nil, "order %s was not booked through SeedOrder, so its origTxnAmt is unknown", order)
			}
			return sendSigned(baseURL+pathRefund, refundData(refundID, order, orig.(sim.Amount).Fen(), amount.Fen()))
		},
		Script: script,
	})
}

// processed are the respCodes of a request Umpay served: done (00), the payer still paying
// (02), a close not yet decided (04), a payment result not yet known (01000000). Every
// other code is an error answer: a refusal.
var processed = []string{"00", "02", "04", "01000000"}

// readAnswer reads an answer as the official demo does: a JSON answer whose signature
// verifies with the platform certificate over its values joined by "|" (umpaytest.Verify,
// which also holds paysim to its safe subset), then classifies its respCode; 11 验证签名失败
// is Umpay's signature error.
func readAnswer(platform *rsa.PublicKey, status int, h http.Header, body []byte) (simtest.Answer, error) {
	if status == 0 {
		return simtest.Answer{}, fmt.Errorf("no answer: %s", body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return simtest.Answer{}, fmt.Errorf("answered with Content-Type %q, not JSON", ct)
	}
	fields, _, err := umpaytest.Verify(platform, body)
	if err != nil {
		return simtest.Answer{}, err
	}
	code, ok := fields["respCode"]
	if !ok {
		return simtest.Answer{}, errors.New("the answer has no respCode")
	}
	return simtest.Answer{Refused: !slices.Contains(processed, code), BadSignature: code == "11", Code: code}, nil
}

// signer signs requests as the official demo does; only its key is used, never its URL.
var signer = sync.OnceValues(func() (*umpaytest.Client, error) { return umpaytest.NewClient("", paysim.DefaultKeys()) })

// sendSigned posts fields signed with the merchant key to url and returns the raw answer.
// It runs on many goroutines: a failure is status 0 with the error as body.
func sendSigned(url string, fields map[string]any) (int, http.Header, []byte) {
	c, err := signer()
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	body, err := c.SignedBody(fields)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, url,
		http.Header{"Content-Type": {"application/json; charset=UTF-8"}}, nil, body)
	if err != nil {
		return 0, nil, []byte(err.Error())
	}
	return resp.StatusCode, resp.Header, raw
}

// seedOrder books a paid order as the control plane does; api picks the route it
// pretends the order came through.
func seedOrder(t testing.TB, core *sim.Simulator, p gateway.Provider, orderNo string, fen sim.Amount, api string) sim.PaymentView {
	t.Helper()
	req := sim.PaymentRequest{Key: sim.Key{Provider: umpay.Name, Merchant: umpaytest.MerID, ID: orderNo}, Amount: fen,
		Fields: map[string]string{"api": api}}
	require.NoError(t, p.PrepareSeed(&req))
	v, err := core.SeedPayment(req)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// seedVectors books what the real-client vectors name: the paid order queryOrder asks
// for, and the refund refundQuery asks for, the latter through the provider's own
// pay/refund, as a client would have made it.
func seedVectors(t testing.TB, core *sim.Simulator, p gateway.Provider) {
	t.Helper()
	seedOrder(t, core, p, vectorOrder, 100, "micropay")
	var refund http.Handler
	for _, r := range p.Mount(gateway.New(core, gateway.VerifyStrict)).Routes {
		if slices.Contains(r.Paths, pathRefund) {
			refund = r.Handler
		}
	}
	if refund == nil {
		t.Fatalf("umpay serves no %s", pathRefund)
	}
	c, err := signer()
	if err != nil {
		t.Fatal(err)
	}
	body, err := c.SignedBody(refundData(vectorRefund, vectorOrder, "100", "40"))
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, pathRefund, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	w := httptest.NewRecorder()
	refund.ServeHTTP(w, req)
	platform, err := umpaytest.LoadCertificate(paysim.DefaultKeys(), "umpay/platform_cert.der")
	if err != nil {
		t.Fatal(err)
	}
	fields, _, err := umpaytest.Verify(platform, w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if fields["respCode"] != "00" {
		t.Fatalf("seeding refund %s: respCode %s (%s)", vectorRefund, fields["respCode"], w.Header().Get(gateway.DiagnosticHeader))
	}
}
