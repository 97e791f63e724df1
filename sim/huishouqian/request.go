package huishouqian

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"

	"github.com/paysim/paysim/sim/gateway"
)

// request is a decoded Huishouqian form: the seven public fields as received (after form
// decoding; signContent is never re-serialised) and, once verified, the parsed business
// parameters.
type request struct {
	method      string
	version     string
	format      string
	merchantNo  string
	signType    string
	signContent string
	sign        string
	biz         *bizContent
	// signer is whose shared secret signs the answer: the merchant merchantNo names, or
	// the test identity while it is unknown.
	signer *Merchant
	// scenario is the X-Paysim-Scenario header.
	scenario string
}

// decodeError is a request the gateway cannot even read, answered with PARAM_ERROR.
type decodeError struct {
	what   string // appended to "参数错误:" in errorMsg
	detail string // for X-Paysim-Diagnostic and the log
}

const (
	formType      = "application/x-www-form-urlencoded"
	multipartType = "multipart/form-data"
)

// decodeBody reads the form. It never looks inside signContent; that is only trusted once
// the signature is checked.
func decodeBody(contentType string, body []byte) (*request, *decodeError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &decodeError{what: "请求内容为空", detail: "the request body is empty; post a form of method, version, format, merchantNo, signType, signContent and sign"}
	}
	mt := gateway.MediaType(contentType)
	if mt == "application/json" || (mt != multipartType && looksLikeJSON(body)) {
		return nil, &decodeError{what: "请求须为表单格式", detail: fmt.Sprintf("the body is JSON (Content-Type %q); the gateway takes an %s form whose signContent field holds the business JSON", contentType, formType)}
	}
	var values url.Values
	var err error
	switch mt {
	case formType, "":
		values, err = url.ParseQuery(string(body))
	case multipartType:
		values, err = parseMultipart(contentType, body)
	default:
		return nil, &decodeError{what: "请求须为表单格式", detail: fmt.Sprintf("Content-Type is %q; the gateway takes %s", contentType, formType)}
	}
	if err != nil {
		return nil, &decodeError{what: "表单格式错误", detail: "the body is not a valid form: " + err.Error()}
	}
	req := &request{
		method: values.Get("method"), version: values.Get("version"), format: values.Get("format"),
		merchantNo: values.Get("merchantNo"), signType: values.Get("signType"),
		signContent: values.Get("signContent"), sign: values.Get("sign"),
	}
	if req.merchantNo == "" {
		return nil, &decodeError{what: "merchantNo", detail: "the form has no merchantNo, so paysim cannot tell whose key verifies it (the test identity is merchantNo " + TestMerchantNo + ")"}
	}
	return req, nil
}

func looksLikeJSON(body []byte) bool {
	t := bytes.TrimSpace(body)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(t)
}

// parseMultipart reads the text fields of a multipart form (what PHP's curl sends for an
// array of POST fields), in memory: the body is already bounded by gateway.MaxBodyBytes.
func parseMultipart(contentType string, body []byte) (url.Values, error) {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return nil, errors.New("multipart Content-Type without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	values := url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return values, nil
		}
		if err != nil {
			return nil, err
		}
		text, err := io.ReadAll(part)
		if err != nil {
			return nil, err
		}
		if name := part.FormName(); name != "" {
			values.Add(name, string(text))
		}
	}
}
