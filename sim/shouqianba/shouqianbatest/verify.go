package shouqianbatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Response is a decoded Shouqianba answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// ResultCode is the top-level "200", "400" or "500"; ErrorCode and ErrorMessage are
	// set when it is not "200", and on the log upload's answer (SUCCESS, ok).
	ResultCode   string
	ErrorCode    string
	ErrorMessage string
	Biz          *Biz
}

// Biz is biz_response.
type Biz struct {
	ResultCode   string
	ErrorCode    string
	ErrorMessage string
	Data         *Order
	// Terminal is the flat biz_response of activate and checkin.
	Terminal map[string]string
}

// Order is biz_response.data, decoded the strict way typed clients do.
type Order struct {
	Fields            map[string]string
	PaymentList       []map[string]string
	TotalAmount       int64
	NetAmount         int64
	SettlementAmount  int64
	CTime             time.Time
	FinishTime        time.Time
	ChannelFinishTime time.Time
}

// Code is the business result code, or the top-level error code of a refused request.
func (r *Response) Code() string {
	if r.Biz != nil {
		if r.Biz.ResultCode == "" && r.Biz.Terminal != nil {
			return "TERMINAL"
		}
		return r.Biz.ResultCode
	}
	return r.ErrorCode
}

// BizError is biz_response.error_code.
func (r *Response) BizError() string {
	if r.Biz == nil {
		return ""
	}
	return r.Biz.ErrorCode
}

// Data returns a string member of biz_response.data ("" when absent).
func (r *Response) Data(name string) string {
	if r.Biz == nil || r.Biz.Data == nil {
		return ""
	}
	return r.Biz.Data.Fields[name]
}

// HasData says whether biz_response carries data.
func (r *Response) HasData() bool { return r.Biz != nil && r.Biz.Data != nil }

// Documented values (protocols: Shouqianba codes and states).
var (
	bizResults = []string{"SUCCESS", "FAIL", "PAY_SUCCESS", "PAY_FAIL", "PAY_IN_PROGRESS", "PAY_FAIL_ERROR", "PAY_FAIL_IN_PROGRESS",
		"PRECREATE_SUCCESS", "PRECREATE_FAIL", "PRECREATE_FAIL_ERROR", "PRECREATE_FAIL_IN_PROGRESS",
		"REFUND_SUCCESS", "REFUND_FAIL", "REFUND_IN_PROGRESS", "REFUND_ERROR",
		"CANCEL_SUCCESS", "CANCEL_ERROR", "CANCEL_IN_PROGRESS", "CANCEL_ABORT_SUCCESS", "CANCEL_ABORT_ERROR", "CANCEL_ABORT_IN_PROGRESS"}
	orderStatuses = []string{"CREATED", "PAID", "PAY_CANCELED", "PAY_ERROR", "REFUNDED", "PARTIAL_REFUNDED", "REFUND_INPROGRESS",
		"REFUND_ERROR", "CANCELED", "CANCEL_ERROR", "CANCEL_INPROGRESS"}
	flowStatuses = []string{"SUCCESS", "FAIL_CANCELED", "FAIL_PROTOCOL_1", "FAIL_IO_1", "FAIL_PROTOCOL_2", "FAIL_IO_2", "FAIL_PROTOCOL_3",
		"FAIL_ERROR", "CANCEL_ERROR", "REFUND_ERROR", "IN_PROG", "CREATED"}
	// neverPaid are the order states of an order the payer never paid: no settlement.
	neverPaid = []string{"CREATED", "PAY_ERROR", "PAY_CANCELED"}
	topErrors = map[string]string{"INVALID_PARAMS": "400", "INVALID_TERMINAL": "400", "ILLEGAL_SIGN": "400", "UNKNOWN_SYSTEM_ERROR": "500"}

	snShape     = regexp.MustCompile(`^\d{16}$`)
	millisShape = regexp.MustCompile(`^\d{13}$`)
	digitsShape = regexp.MustCompile(`^\d{1,10}$`)
)

// Verify decodes an answer and checks everything a strict client relies on:
//   - the envelope: top-level result_code "200" with biz_response and nothing else, or
//     "400"/"500" with error_code and error_message and no biz_response; the log
//     upload's "200" carries error_code SUCCESS and error_message instead;
//   - every value a non-empty string, except payment_list and provider_response;
//   - amounts quoted digit strings (the community Go client's `,string` tags), times
//     13-digit epoch milliseconds, sn 16 digits;
//   - ctime <= channel_finish_time <= finish_time, and no settlement_amount on an order
//     never paid (CREATED, PAY_ERROR, PAY_CANCELED);
//   - documented codes only; a bare FAIL has no data (SQ-A10).
func Verify(body []byte) (*Response, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, fmt.Errorf("answer is not a JSON object: %v", err)
	}
	r := &Response{Body: body}
	var err error
	if r.ResultCode, err = str(top, "result_code"); err != nil {
		return nil, err
	}
	switch r.ResultCode {
	case "200":
		if _, ok := top["biz_response"]; !ok {
			return r, uploadLogAnswer(top, r)
		}
		if err := only(top, "result_code", "biz_response"); err != nil {
			return nil, err
		}
		r.Biz, err = decodeBiz(top["biz_response"])
		return r, err
	case "400", "500":
		if err := only(top, "result_code", "error_code", "error_message"); err != nil {
			return nil, err
		}
		if r.ErrorCode, err = str(top, "error_code"); err != nil {
			return nil, err
		}
		if r.ErrorMessage, err = str(top, "error_message"); err != nil {
			return nil, err
		}
		if want, ok := topErrors[r.ErrorCode]; !ok || want != r.ResultCode {
			return nil, fmt.Errorf("top-level error_code %s with result_code %s is not documented", r.ErrorCode, r.ResultCode)
		}
		return r, nil
	}
	return nil, fmt.Errorf("top-level result_code %q is not 200, 400 or 500", r.ResultCode)
}

// uploadLogAnswer reads the one "200" answer without biz_response: /terminal/uploadLog's
// {"result_code":"200","error_code":"SUCCESS","error_message":"ok"}.
func uploadLogAnswer(top map[string]json.RawMessage, r *Response) error {
	if err := only(top, "result_code", "error_code", "error_message"); err != nil {
		return err
	}
	var err error
	if r.ErrorCode, err = str(top, "error_code"); err != nil {
		return fmt.Errorf("result_code 200 without biz_response: %w", err)
	}
	if r.ErrorMessage, err = str(top, "error_message"); err != nil {
		return err
	}
	if r.ErrorCode != "SUCCESS" {
		return fmt.Errorf("result_code 200 without biz_response has error_code %s; only the log upload's SUCCESS is documented", r.ErrorCode)
	}
	return nil
}

func decodeBiz(raw json.RawMessage) (*Biz, error) {
	var m map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, fmt.Errorf("biz_response is missing or not an object")
	}
	b := &Biz{}
	if _, ok := m["result_code"]; !ok {
		// activate and checkin: the terminal's credentials, flat.
		b.Terminal = map[string]string{}
		for k := range m {
			v, err := str(m, k)
			if err != nil {
				return nil, err
			}
			b.Terminal[k] = v
		}
		if b.Terminal["terminal_sn"] == "" || b.Terminal["terminal_key"] == "" {
			return nil, fmt.Errorf("terminal answer lacks terminal_sn or terminal_key")
		}
		return b, nil
	}
	if err := only(m, "result_code", "error_code", "error_message", "data"); err != nil {
		return nil, err
	}
	var err error
	if b.ResultCode, err = str(m, "result_code"); err != nil {
		return nil, err
	}
	if !slices.Contains(bizResults, b.ResultCode) {
		return nil, fmt.Errorf("biz_response.result_code %q is not documented", b.ResultCode)
	}
	_, hasCode := m["error_code"]
	_, hasMsg := m["error_message"]
	if hasCode != hasMsg {
		return nil, fmt.Errorf("biz_response has error_code without error_message or the reverse")
	}
	if hasCode {
		if b.ErrorCode, err = str(m, "error_code"); err != nil {
			return nil, err
		}
		if b.ErrorMessage, err = str(m, "error_message"); err != nil {
			return nil, err
		}
	}
	if b.ResultCode == "FAIL" && !hasCode {
		return nil, fmt.Errorf("a FAIL must say why (error_code)")
	}
	if data, ok := m["data"]; ok {
		if b.ResultCode == "FAIL" {
			return nil, fmt.Errorf("a bare FAIL has no data (SQ-A10)")
		}
		if b.Data, err = decodeOrder(data); err != nil {
			return nil, err
		}
	} else if b.ResultCode != "FAIL" {
		return nil, fmt.Errorf("%s carries no data", b.ResultCode)
	}
	return b, nil
}

// typedOrder is how the community Go client decodes data: amounts with `,string`.
type typedOrder struct {
	TotalAmount      int64 `json:"total_amount,string"`
	NetAmount        int64 `json:"net_amount,string"`
	SettlementAmount int64 `json:"settlement_amount,string"`
}

func decodeOrder(raw json.RawMessage) (*Order, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("data is not an object")
	}
	o := &Order{Fields: map[string]string{}}
	for k, v := range m {
		switch k {
		case "payment_list":
			if err := json.Unmarshal(v, &o.PaymentList); err != nil {
				return nil, fmt.Errorf("payment_list must be an array of objects of strings: %v", err)
			}
			for _, item := range o.PaymentList {
				if item["type"] == "" || !digitsShape.MatchString(item["amount_total"]) {
					return nil, fmt.Errorf("payment_list item %v lacks type or a digit-string amount_total", item)
				}
			}
		case "provider_response":
			var obj map[string]any
			if err := json.Unmarshal(v, &obj); err != nil {
				return nil, fmt.Errorf("provider_response must be an object")
			}
		default:
			s, err := str(m, k)
			if err != nil {
				return nil, err
			}
			o.Fields[k] = s
		}
	}
	var typed typedOrder
	if err := json.Unmarshal(raw, &typed); err != nil {
		return nil, fmt.Errorf("typed decode (amounts as quoted integers) fails: %w", err)
	}
	o.TotalAmount, o.NetAmount, o.SettlementAmount = typed.TotalAmount, typed.NetAmount, typed.SettlementAmount
	for _, k := range []string{"sn", "client_sn", "terminal_sn", "status", "order_status", "total_amount", "net_amount", "ctime"} {
		if o.Fields[k] == "" {
			return nil, fmt.Errorf("data lacks %s", k)
		}
	}
	if !snShape.MatchString(o.Fields["sn"]) {
		return nil, fmt.Errorf("sn %q is not 16 digits", o.Fields["sn"])
	}
	for _, k := range []string{"total_amount", "net_amount", "settlement_amount"} {
		if v, ok := o.Fields[k]; ok && !digitsShape.MatchString(v) {
			return nil, fmt.Errorf("%s %q is not a digit string of fen", k, v)
		}
	}
	if !slices.Contains(orderStatuses, o.Fields["order_status"]) {
		return nil, fmt.Errorf("order_status %q is not documented", o.Fields["order_status"])
	}
	if !slices.Contains(flowStatuses, o.Fields["status"]) {
		return nil, fmt.Errorf("status %q is not documented", o.Fields["status"])
	}
	for k, dst := range map[string]*time.Time{"ctime": &o.CTime, "finish_time": &o.FinishTime, "channel_finish_time": &o.ChannelFinishTime} {
		v, ok := o.Fields[k]
		if !ok {
			continue
		}
		if !millisShape.MatchString(v) {
			return nil, fmt.Errorf("%s %q is not epoch milliseconds", k, v)
		}
		ms, _ := strconv.ParseInt(v, 10, 64)
		*dst = time.UnixMilli(ms)
	}
	if _, ok := o.Fields["finish_time"]; ok != (o.Fields["channel_finish_time"] != "") {
		return nil, fmt.Errorf("finish_time and channel_finish_time come together")
	}
	if _, ok := o.Fields["finish_time"]; ok && (o.ChannelFinishTime.Before(o.CTime) || o.FinishTime.Before(o.ChannelFinishTime)) {
		return nil, fmt.Errorf("times out of order: want ctime %s <= channel_finish_time %s <= finish_time %s",
			o.Fields["ctime"], o.Fields["channel_finish_time"], o.Fields["finish_time"])
	}
	if _, ok := o.Fields["settlement_amount"]; ok && slices.Contains(neverPaid, o.Fields["order_status"]) {
		return nil, fmt.Errorf("settlement_amount on an order that was never paid (%s)", o.Fields["order_status"])
	}
	if o.NetAmount > o.TotalAmount {
		return nil, fmt.Errorf("net_amount %d exceeds total_amount %d", o.NetAmount, o.TotalAmount)
	}
	return o, nil
}

func str(m map[string]json.RawMessage, k string) (string, error) {
	raw, ok := m[k]
	if !ok {
		return "", fmt.Errorf("%s is missing", k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s is %s, not a string", k, raw)
	}
	if s == "" {
		return "", fmt.Errorf("%s is empty; absent values must be omitted", k)
	}
	return s, nil
}

func only(m map[string]json.RawMessage, allowed ...string) error {
	var extra []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("unexpected members %s (allowed: %s)", strings.Join(extra, ", "), strings.Join(allowed, ", "))
	}
	return nil
}
