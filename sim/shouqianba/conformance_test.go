package shouqianba_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/paysim/paysim"
	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/gateway"
	"github.com/paysim/paysim/sim/shouqianba"
	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
	"github.com/paysim/paysim/sim/simtest"
)

// TestConformance runs the invariants every provider holds (sim/simtest.Conformance)
// through a Shouqianba client.
func TestConformance(t *testing.T) {
	simtest.Conformance(t, simtest.Adapter{
		Name:     shouqianba.Name,
		Merchant: shouqianba.TestMerchantSN,
		Build: func(core *sim.Simulator) (gateway.Provider, error) {
			return shouqianba.New(core, paysim.DefaultKeys())
		},
		Read: readAnswer,
		SeedVectors: func(t testing.TB, core *sim.Simulator, p gateway.Provider) {
			seedVectorOrders(t, core, p.(*shouqianba.Provider))
		},
		SeedOrder: func(t testing.TB, core *sim.Simulator, p gateway.Provider, id string, amount sim.Amount) {
			seedPaid(t, core, p.(*shouqianba.Provider), id, amount, nil)
		},
		Refund: func(_ testing.TB, baseURL, order, refundID string, amount sim.Amount) (int, http.Header, []byte) {
			c := shouqianbatest.NewClient(baseURL)
			body, err := c.Body(pathRefund, refundBody(order, refundID, amount.Fen()))
			if err != nil {
				return 0, nil, []byte(err.Error())
			}
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("Authorization", c.Authorization(pathRefund, body))
			resp, raw, err := simtest.Exchange(c.HTTP, http.MethodPost, baseURL+pathRefund, h, nil, body)
			if err != nil {
				return 0, nil, []byte(err.Error())
			}
			return resp.StatusCode, resp.Header, raw
		},
		Script: func(t testing.TB, baseURL string) []string { return script(t, baseURL) },
	})
}

// readAnswer reads an answer as a strict Shouqianba client does. Shouqianba does not sign
// its answers, so there is no signature to check: the envelope is decoded strictly
// (shouqianbatest.Verify) after the Content-Type the SDKs expect. Refused is a top-level
// error (result_code 400/500) or a business error in biz_response (FAIL, PAY_FAIL,
// REFUND_ERROR and the like, or any error_code); BadSignature is the top-level
// ILLEGAL_SIGN.
func readAnswer(status int, h http.Header, body []byte) (simtest.Answer, error) {
	if status == 0 {
		return simtest.Answer{}, fmt.Errorf("no answer: %s", body)
	}
	if ct := h.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		return simtest.Answer{}, fmt.Errorf("answered %d with Content-Type %q, want application/json;charset=UTF-8", status, ct)
	}
	resp, err := shouqianbatest.Verify(body)
	if err != nil {
		return simtest.Answer{}, err
	}
	if resp.ResultCode != "200" {
		return simtest.Answer{Refused: true, BadSignature: resp.ErrorCode == "ILLEGAL_SIGN", Code: resp.ErrorCode}, nil
	}
	if resp.Biz == nil && resp.ErrorCode == "SUCCESS" {
		return simtest.Answer{Code: "SUCCESS"}, nil // the log upload's answer
	}
	if resp.Biz == nil {
		return simtest.Answer{}, errors.New("result_code 200 without biz_response")
	}
	code := resp.Code()
	refused := resp.Biz.ErrorCode != "" || strings.Contains(resp.Biz.ResultCode, "FAIL") ||
		strings.HasSuffix(resp.Biz.ResultCode, "_ERROR")
	if resp.Biz.ErrorCode != "" {
		code += " " + resp.Biz.ErrorCode
	}
	return simtest.Answer{Refused: refused, Code: code}, nil
}
