// Package huishouqiantest is a Huishouqian client for tests: it signs requests the way the
// community PHP client does (PHP-escaped signContent, the fixed-order string to sign with
// the shared secret, SHA256withRSA in hex) and verifies every response the way that client
// does, so that a test speaking through it proves paysim is exact on the wire.
package huishouqiantest

import (
	"crypto"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// Test identity (keys/README.md).
const (
	MerchantNo = "864000000001"
	Path       = "/api/acquiring"
)

// Client talks to a paysim (or any Huishouqian-compatible) gateway.
type Client struct {
	BaseURL    string
	HTTP       *http.Client
	MerchantNo string
	// SignKey is the shared secret appended as &key= to every string to sign.
	SignKey  string
	Version  string
	Format   string
	SignType string
	// Header is added to every request (e.g. X-Paysim-Scenario).
	Header   http.Header
	merchant *rsa.PrivateKey
	platform *rsa.PublicKey
}

// NewClient loads the merchant private key (the key inside merchant.pfx), the platform
// certificate and the shared secret from keys (shaped like the project's keys/ folder).
func NewClient(baseURL string, keys fs.FS) (*Client, error) {
	mk, err := rsakey.LoadPrivate(keys, "huishouqian/merchant_private.pem")
	if err != nil {
		return nil, err
	}
	pk, err := rsakey.LoadPublic(keys, "huishouqian/platform_cert.pem")
	if err != nil {
		return nil, err
	}
	secret, err := fs.ReadFile(keys, "huishouqian/sign_key.txt")
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: baseURL, HTTP: http.DefaultClient, MerchantNo: MerchantNo, SignKey: string(secret),
		Version: "1.0", Format: "JSON", SignType: "RSA2", Header: http.Header{}, merchant: mk, platform: pk}, nil
}

// Platform is the platform certificate's key, for verifying answers outside the client.
func (c *Client) Platform() *rsa.PublicKey { return c.platform }

// Form is the seven public fields of a request.
type Form struct {
	Method, Version, Format, MerchantNo, SignType, SignContent, Sign string
}

// SigningText is the fixed-order string to sign: method, version, format, merchantNo,
// signType, signContent, then &key=<secret>, raw values, empty ones included (PHP).
func SigningText(f Form, secret string) string {
	return "method=" + f.Method + "&version=" + f.Version + "&format=" + f.Format + "&merchantNo=" + f.MerchantNo +
		"&signType=" + f.SignType + "&signContent=" + f.SignContent + "&key=" + secret
}

// Encode renders the form as PHP's http_build_query does, in field order.
func (f Form) Encode() []byte {
	var b strings.Builder
	for i, kv := range [][2]string{{"method", f.Method}, {"version", f.Version}, {"format", f.Format},
		{"merchantNo", f.MerchantNo}, {"signType", f.SignType}, {"signContent", f.SignContent}, {"sign", f.Sign}} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return []byte(b.String())
}

// NewForm builds a signed form for method with signContent as given.
func (c *Client) NewForm(method, signContent string) (Form, error) {
	f := Form{Method: method, Version: c.Version, Format: c.Format, MerchantNo: c.MerchantNo, SignType: c.SignType, SignContent: signContent}
	return c.SignForm(f)
}

// SignForm sets f.Sign over f's fields as they are.
func (c *Client) SignForm(f Form) (Form, error) {
	f.Sign = c.SignText(SigningText(f, c.SignKey))
	return f, nil
}

// SignText signs any text with the merchant key, hex: for tests of clients that build the
// string to sign their own way.
func (c *Client) SignText(text string) string {
	sig, err := rsakey.Sign(c.merchant, crypto.SHA256, []byte(text))
	if err != nil {
		panic(err) // an RSA key loaded by NewClient always signs
	}
	return hex.EncodeToString(sig)
}

// Post signs biz (encoded like PHP's json_encode) for method and posts it.
func (c *Client) Post(method string, biz map[string]any) (*Response, error) {
	content, err := SignContent(biz)
	if err != nil {
		return nil, err
	}
	f, err := c.NewForm(method, content)
	if err != nil {
		return nil, err
	}
	return c.PostForm(f)
}

// PostForm posts a form as is and verifies the answer.
func (c *Client) PostForm(f Form) (*Response, error) {
	return c.Do(http.MethodPost, Path, "application/x-www-form-urlencoded", f.Encode())
}

// Response is a verified Huishouqian answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Success is the envelope's success.
	Success bool
	// ResultText is result as received (the signed JSON text); Result its members, every
	// one a string.
	ResultText string
	Result     map[string]string
	ErrorCode  string
	ErrorMsg   string
}

// RespCode is result.respCode ("" on an envelope error).
func (r *Response) RespCode() string { return r.Result["respCode"] }

// OrderStatus is result.orderStatus.
func (r *Response) OrderStatus() string { return r.Result["orderStatus"] }

// Do sends any request and verifies the signed answer.
func (c *Client) Do(method, path, contentType string, body []byte) (*Response, error) {
	header := http.Header{}
	if contentType != "" {
		header.Set("Content-Type", contentType)
	}
	resp, raw, err := simtest.Exchange(c.HTTP, method, c.BaseURL+path, header, c.Header, body)
	if err != nil {
		return nil, err
	}
	out, err := Verify(c.platform, c.SignKey, raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s answered %d %s: %w", method, path, resp.StatusCode, raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		return nil, fmt.Errorf("%s %s answered with Content-Type %q, want application/json;charset=UTF-8", method, path, ct)
	}
	out.Status, out.Header = resp.StatusCode, resp.Header
	return out, nil
}

// Verify checks an answer the way the PHP client does and returns it decoded:
//   - success is a JSON boolean (the client branches on `if ($r['success'])`);
//   - success: rebuild result=<decoded result>&success=true&key=<secret>; failure: rebuild
//     errorCode=<code>&errorMsg=<msg>&success=false&key=<secret>;
//   - verify the hex sign with the platform certificate, SHA256withRSA.
//
// It also enforces what paysim promises on top: sign always present in lowercase hex,
// errorCode/errorMsg null on success and non-empty on failure, result a JSON object of
// string values with amounts as digit strings.
func Verify(platform *rsa.PublicKey, secret string, body []byte) (*Response, error) {
	return verify(platform, secret, body, false)
}

// VerifyStringSuccess checks an answer the way the C# client does, which reads success
// into a string and signs that string: it verifies answers made with the
// success_as_string switch (HQ-A1).
func VerifyStringSuccess(platform *rsa.PublicKey, secret string, body []byte) (*Response, error) {
	return verify(platform, secret, body, true)
}

func verify(platform *rsa.PublicKey, secret string, body []byte, stringSuccess bool) (*Response, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("response is not a JSON object: %w", err)
	}
	out := &Response{Body: body}
	successText, err := successOf(env["success"], stringSuccess)
	if err != nil {
		return nil, err
	}
	out.Success = successText == "true"
	var sign string
	if err := json.Unmarshal(env["sign"], &sign); err != nil || sign == "" {
		return nil, fmt.Errorf("sign is missing or not a string: %s", env["sign"])
	}
	if sign != strings.ToLower(sign) {
		return nil, errors.New("sign is not lowercase hex")
	}
	sig, err := hex.DecodeString(sign)
	if err != nil {
		return nil, fmt.Errorf("sign is not hex: %w", err)
	}
	var signed string
	if out.Success {
		if string(env["errorCode"]) != "null" || string(env["errorMsg"]) != "null" {
			return nil, fmt.Errorf("a success must carry errorCode and errorMsg as null, got %s / %s", env["errorCode"], env["errorMsg"])
		}
		if err := json.Unmarshal(env["result"], &out.ResultText); err != nil || out.ResultText == "" {
			return nil, fmt.Errorf("result must be a non-empty JSON string, got %s", env["result"])
		}
		if out.Result, err = resultFields(out.ResultText); err != nil {
			return nil, err
		}
		signed = "result=" + out.ResultText + "&success=" + successText + "&key=" + secret
	} else {
		if r, ok := env["result"]; ok && string(r) != "null" {
			return nil, fmt.Errorf("a failure carries no result, got %s", r)
		}
		if err := json.Unmarshal(env["errorCode"], &out.ErrorCode); err != nil || out.ErrorCode == "" {
			return nil, fmt.Errorf("a failure needs a non-empty errorCode, got %s", env["errorCode"])
		}
		if err := json.Unmarshal(env["errorMsg"], &out.ErrorMsg); err != nil || out.ErrorMsg == "" {
			return nil, fmt.Errorf("a failure needs a non-empty errorMsg, got %s", env["errorMsg"])
		}
		signed = "errorCode=" + out.ErrorCode + "&errorMsg=" + out.ErrorMsg + "&success=" + successText + "&key=" + secret
	}
	if err := rsakey.Verify(platform, crypto.SHA256, []byte(signed), sig); err != nil {
		return nil, fmt.Errorf("sign does not verify with the platform certificate over %q: %w", strings.Replace(signed, secret, "<key>", 1), err)
	}
	return out, nil
}

func successOf(raw json.RawMessage, asString bool) (string, error) {
	if asString {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || (s != "true" && s != "false") {
			return "", fmt.Errorf("success must be the string \"true\" or \"false\" for the C# client, got %s", raw)
		}
		return s, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil || string(raw) == "null" || len(raw) == 0 {
		return "", fmt.Errorf("success must be a JSON boolean (a string \"false\" reads as true in PHP), got %s", raw)
	}
	return strconv.FormatBool(b), nil
}

// amountFields are emitted as digit strings of fen.
var amountFields = []string{"orderAmt", "origOrderAmt"}

func resultFields(text string) (map[string]string, error) {
	var loose map[string]any
	if err := json.Unmarshal([]byte(text), &loose); err != nil || loose == nil {
		return nil, fmt.Errorf("result is not a JSON object: %q", text)
	}
	out := make(map[string]string, len(loose))
	for k, v := range loose {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("result.%s is %T; every result value is a string", k, v)
		}
		out[k] = s
	}
	for _, k := range amountFields {
		if v, ok := out[k]; ok && (v == "" || strings.Trim(v, "0123456789") != "") {
			return nil, fmt.Errorf("result.%s %q is not a digit string of fen", k, v)
		}
	}
	return out, nil
}

// SignContent encodes biz like PHP's json_encode with default flags: non-ASCII as \uXXXX,
// slashes as \/, no HTML escaping. Keys are sorted (PHP keeps insertion order; any order
// signs the same since the gateway verifies the text as received).
func SignContent(biz map[string]any) (string, error) {
	var b strings.Builder
	if err := phpEncode(&b, biz); err != nil {
		return "", err
	}
	return b.String(), nil
}

func phpEncode(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		phpString(b, x)
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case json.Number:
		b.WriteString(string(x))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			phpString(b, k)
			b.WriteByte(':')
			if err := phpEncode(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(raw)
	}
	return nil
}

func phpString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '/':
			b.WriteString(`\/`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}
