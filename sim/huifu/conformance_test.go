package huifu_test

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/huifu"
	"github.com/paysim/paysim/sim/huifu/huifutest"
	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// TestConformance runs the invariants every provider holds (sim/simtest/conformance.go)
// against Huifu.
func TestConformance(t *testing.T) {
	platform, err := rsakey.LoadPublic(paysim.DefaultKeys(), "huifu/platform_public.pem")
	require.NoError(t, err)
	// signer only signs request bodies (its base URL is unused): one key load for all
	// the refunds the suite sends at once.
	signer, err := huifutest.NewClient("", paysim.DefaultKeys())
	require.NoError(t, err)

	simtest.Conformance(t, simtest.Adapter{
		Name:     huifu.Name,
		Merchant: huifutest.HuifuID,
		Build: func(core *sim.Simulator) (gateway.Provider, error) {
			hf, err := huifu.New(core, paysim.DefaultKeys())
			if err != nil {
				return nil, err
			}
			return hf, nil
		},
		Read: func(status int, _ http.Header, body []byte) (simtest.Answer, error) {
			return readAnswer(platform, status, body)
		},
		SeedVectors: func(t testing.TB, core *sim.Simulator, p gateway.Provider) {
			seedPaidOrder(t, core, asHuifu(t, p), vectorOrder, 100, captureDay)
		},
		SeedOrder: func(t testing.TB, core *sim.Simulator, p gateway.Provider, id string, amount sim.Amount) {
			seedPaidOrder(t, core, asHuifu(t, p), id, amount, today)
		},
		Refund: func(_ testing.TB, baseURL, order, refundID string, amount sim.Amount) (int, http.Header, []byte) {
			body, err := signer.SignedBody(refundData(refundID, order, amount.Yuan()))
			if err != nil {
				return 0, nil, []byte(err.Error())
			}
			resp, raw, err := simtest.Exchange(http.DefaultClient, http.MethodPost, baseURL+pathRefund,
				http.Header{"Content-Type": {"application/json"}}, nil, body)
			if err != nil {
				return 0, nil, []byte(err.Error())
			}
			return resp.StatusCode, resp.Header, raw
		},
		Script: func(t testing.TB, baseURL string) []string {
			client, err := huifutest.NewClient(baseURL, paysim.DefaultKeys())
			require.NoError(t, err)
			return script(t, client, func(d time.Duration) { advanceByControlPlane(t, baseURL, d) })
		},
	})
}

// readAnswer reads an answer as the official SDKs do: it must be a Huifu envelope whose
// sign verifies with the platform key both ways the SDKs check it (huifutest.Verify).
// Huifu answers HTTP 200, or 404/405 with the same signed body for a path or method it
// does not serve; the SDKs give up on any other status. Outcomes are read from resp_code:
// 00000000 (done) and 00000100 (accepted, processing) are served, every other code is a
// refusal, and 10000000 验签不通过 is the signature error (HF-A1).
func readAnswer(platform *rsa.PublicKey, status int, body []byte) (simtest.Answer, error) {
	switch status {
	case http.StatusOK, http.StatusNotFound, http.StatusMethodNotAllowed:
	default:
		return simtest.Answer{}, fmt.Errorf("HTTP status %d: a Huifu answer is 200 (404/405 for a path or method not served)", status)
	}
	data, err := huifutest.Verify(platform, body)
	if err != nil {
		return simtest.Answer{}, err
	}
	code := data["resp_code"]
	if code == "" {
		return simtest.Answer{}, fmt.Errorf("data has no resp_code")
	}
	served := status == http.StatusOK && (code == "00000000" || code == "00000100")
	return simtest.Answer{
		Code:         code,
		Refused:      !served,
		BadSignature: status == http.StatusOK && code == "10000000" && data["resp_desc"] == "验签不通过",
	}, nil
}

func asHuifu(t testing.TB, p gateway.Provider) *huifu.Provider {
	t.Helper()
	hf, ok := p.(*huifu.Provider)
	if !ok {
		t.Fatalf("provider is %T, not *huifu.Provider", p)
	}
	return hf
}

// advanceByControlPlane moves the virtual clock through POST /__paysim/clock, as a CI job
// would.
func advanceByControlPlane(t testing.TB, baseURL string, d time.Duration) {
	t.Helper()
	resp, err := http.Post(baseURL+"/__paysim/clock", "application/json",
		bytes.NewReader([]byte(fmt.Sprintf(`{"advance":%q}`, d.String()))))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "advancing the clock by %s", d)
}
