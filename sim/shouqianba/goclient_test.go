package shouqianba_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim/shouqianba/shouqianbatest"
)

// The README's recipe for the community Go client (pxbin/go-shouqianba), step by step,
// against a stand-in that puts on the wire what that client does: its request members
// and omitempty choices, its constant base URL reached through the README's transport
// redirect, its signature over the json.Marshal bytes it sends, and its typed decoding
// (amounts with `,string`, times as epoch milliseconds). The client itself has no licence,
// so it is described here, not imported.
func TestCommunityGoClientRecipe(t *testing.T) {
	e := newEnv(t)
	target, err := url.Parse(e.srv.URL)
	require.NoError(t, err)
	cfg := &goClientConfig{AppID: "2025061300009239", Code: "00000000", DeviceID: "POS-GO-1",
		VendorSN: shouqianbatest.VendorSN, VendorKey: shouqianbatest.VendorKey}
	c := &goClient{cfg: cfg, http: &http.Client{Transport: toPaysim{host: target.Host, next: http.DefaultTransport}}}

	t.Run("activation needs AppID", func(t *testing.T) {
		noApp := &goClient{cfg: &goClientConfig{Code: "1", DeviceID: "d", VendorSN: cfg.VendorSN, VendorKey: cfg.VendorKey}, http: c.http}
		var r goTerminalResponse
		noApp.post(t, "/terminal/activate", goActivateRequest{Code: "1", DeviceID: "d"}, &r)
		assert.Equal(t, "400", r.ResultCode)
		assert.Equal(t, "app_id不可以为空", r.ErrMessage)
	})

	// Activate, then copy the new terminal into Config; the same after a checkin.
	var act goTerminalResponse
	c.post(t, "/terminal/activate", goActivateRequest{AppID: cfg.AppID, Code: cfg.Code, DeviceID: cfg.DeviceID}, &act)
	require.Equal(t, "200", act.ResultCode, act.ErrMessage)
	cfg.TerminalSN, cfg.TerminalKey = act.BizResponse.TerminalSN, act.BizResponse.TerminalKey
	var ck goTerminalResponse
	c.post(t, "/terminal/checkin", goCheckinRequest{TerminalSN: cfg.TerminalSN, DeviceID: cfg.DeviceID}, &ck)
	require.Equal(t, "200", ck.ResultCode, ck.ErrMessage)
	require.Equal(t, cfg.TerminalSN, ck.BizResponse.TerminalSN)
	cfg.TerminalKey = ck.BizResponse.TerminalKey

	t.Run("pay without WithSubject and WithOperator", func(t *testing.T) {
		var r goAPIResponse
		c.post(t, "/upay/v2/pay", goOrderRequest{TerminalSN: cfg.TerminalSN, ClientSN: id("go"), TotalAmount: "100", DynamicID: wechatCode}, &r)
		assert.Equal(t, "400", r.ResultCode)
		assert.Equal(t, "subject不可以为空；operator不可以为空", r.ErrMessage)
	})

	// NewClient(cfg, WithSubject("…"), WithOperator("…")): every pay, precreate and refund
	// carries them.
	cfg.Subject, cfg.Operator = "测试商品", "go-client-op"
	clientSN := id("go")
	var pay goAPIResponse
	c.post(t, "/upay/v2/pay", goOrderRequest{TerminalSN: cfg.TerminalSN, ClientSN: clientSN, TotalAmount: "100",
		DynamicID: wechatCode, Subject: cfg.Subject, Operator: cfg.Operator}, &pay)
	require.Equal(t, "200", pay.ResultCode, pay.ErrMessage)
	assert.Equal(t, "PAY_SUCCESS", pay.BizResponse.ResultCode)
	assert.Equal(t, int64(100), pay.BizResponse.BizData.TotalAmount)
	require.NotNil(t, pay.BizResponse.BizData.FinishTime)
	assert.False(t, pay.BizResponse.BizData.ChannelFinishTime.After(pay.BizResponse.BizData.FinishTime.Time))

	var q goAPIResponse
	c.post(t, "/upay/v2/query", goQueryRequest{TerminalSN: cfg.TerminalSN, ClientSN: clientSN}, &q)
	assert.Equal(t, "PAID", q.BizResponse.BizData.OrderStatus)

	var rf goAPIResponse
	c.post(t, "/upay/v2/refund", goRefundRequest{TerminalSN: cfg.TerminalSN, SN: pay.BizResponse.BizData.SN, RefundRequestNo: "1",
		Operator: cfg.Operator, RefundAmount: "40"}, &rf)
	assert.Equal(t, "REFUND_IN_PROGRESS", rf.BizResponse.ResultCode, rf.ErrMessage)
	assert.Equal(t, "go-client-op", rf.BizResponse.BizData.Operator)

	var pc goAPIResponse
	pending := id("go")
	c.post(t, "/upay/v2/precreate", goOrderRequest{TerminalSN: cfg.TerminalSN, ClientSN: pending, TotalAmount: "100", Payway: "1",
		SubPayway: "3", Subject: cfg.Subject, Operator: cfg.Operator}, &pc)
	assert.Equal(t, "PRECREATE_SUCCESS", pc.BizResponse.ResultCode, "a WAP order, instead of GetWapURL's hosted cashier")
	assert.NotEmpty(t, pc.BizResponse.BizData.WapPayRequest)

	// Cancel sends "sn":"" (no omitempty): "" counts as absent.
	var cancel goAPIResponse
	c.post(t, "/upay/v2/cancel", goCancelRequest{TerminalSN: cfg.TerminalSN, ClientSN: pending}, &cancel)
	assert.Equal(t, "CANCEL_ABORT_SUCCESS", cancel.BizResponse.ResultCode, cancel.BizResponse.ErrMessage)
}

// toPaysim is the README's transport: the client's constant https base URL, sent to paysim.
type toPaysim struct {
	host string
	next http.RoundTripper
}

func (t toPaysim) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = "http", t.host, t.host
	return t.next.RoundTrip(r)
}

type goClientConfig struct {
	AppID, Code, DeviceID, VendorSN, VendorKey, TerminalSN, TerminalKey, Subject, Operator string
}

type goClient struct {
	cfg  *goClientConfig
	http *http.Client
}

// post marshals req, signs the bytes with the vendor's key for /terminal/activate and
// the terminal's otherwise, sends them to the vendor's domain and decodes into out.
func (c *goClient) post(t *testing.T, path string, req, out any) {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	sn, key := c.cfg.TerminalSN, c.cfg.TerminalKey
	if strings.Contains(path, "/terminal/activate") {
		sn, key = c.cfg.VendorSN, c.cfg.VendorKey
	}
	sum := md5.Sum(append(body, key...))
	hr, err := http.NewRequest(http.MethodPost, "https://vsi-api.shouqianba.com"+path, bytes.NewReader(body))
	require.NoError(t, err)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", sn+" "+hex.EncodeToString(sum[:]))
	resp, err := c.http.Do(hr)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out), "%s: the client's typed decoding", path)
}

type goActivateRequest struct {
	AppID    string `json:"app_id"`
	Code     string `json:"code"`
	DeviceID string `json:"device_id"`
}

type goCheckinRequest struct {
	TerminalSN string `json:"terminal_sn"`
	DeviceID   string `json:"device_id"`
}

type goOrderRequest struct {
	TerminalSN  string `json:"terminal_sn"`
	ClientSN    string `json:"client_sn"`
	TotalAmount string `json:"total_amount"`
	Payway      string `json:"payway,omitempty"`
	SubPayway   string `json:"sub_payway,omitempty"`
	DynamicID   string `json:"dynamic_id,omitempty"`
	Subject     string `json:"subject"`
	Operator    string `json:"operator,omitempty"`
}

type goRefundRequest struct {
	TerminalSN      string `json:"terminal_sn"`
	SN              string `json:"sn,omitempty"`
	ClientSN        string `json:"client_sn,omitempty"`
	RefundRequestNo string `json:"refund_request_no,omitempty"`
	Operator        string `json:"operator,omitempty"`
	RefundAmount    string `json:"refund_amount"`
}

type goQueryRequest struct {
	TerminalSN string `json:"terminal_sn"`
	SN         string `json:"sn,omitempty"`
	ClientSN   string `json:"client_sn,omitempty"`
}

type goCancelRequest struct {
	TerminalSN string `json:"terminal_sn"`
	SN         string `json:"sn"`
	ClientSN   string `json:"client_sn"`
}

type goTerminalResponse struct {
	ResultCode  string `json:"result_code"`
	ErrCode     string `json:"error_code"`
	ErrMessage  string `json:"error_message"`
	BizResponse struct {
		TerminalSN  string `json:"terminal_sn"`
		TerminalKey string `json:"terminal_key"`
	} `json:"biz_response"`
}

type goAPIResponse struct {
	ResultCode  string `json:"result_code"`
	ErrCode     string `json:"error_code"`
	ErrMessage  string `json:"error_message"`
	BizResponse struct {
		ResultCode string `json:"result_code"`
		ErrCode    string `json:"error_code"`
		ErrMessage string `json:"error_message"`
		BizData    struct {
			SN                string       `json:"sn"`
			OrderStatus       string       `json:"order_status"`
			TotalAmount       int64        `json:"total_amount,string"`
			NetAmount         int64        `json:"net_amount,string"`
			FinishTime        *goTimestamp `json:"finish_time"`
			ChannelFinishTime *goTimestamp `json:"channel_finish_time"`
			Operator          string       `json:"operator"`
			WapPayRequest     string       `json:"wap_pay_request"`
		} `json:"data"`
	} `json:"biz_response"`
}

// goTimestamp reads epoch milliseconds in a string, as the client's Timestamp does.
type goTimestamp struct{ time.Time }

func (ts *goTimestamp) UnmarshalJSON(b []byte) error {
	ms, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		return err
	}
	ts.Time = time.UnixMilli(ms)
	return nil
}
