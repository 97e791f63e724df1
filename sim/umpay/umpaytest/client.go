// Package umpaytest is an Umpay client for tests: it signs requests the way the official
// Java demo does and verifies every response the way protocols 5.3 describes, with the
// platform X.509 certificate, so that a test speaking through it proves paysim is exact
// on the wire.
package umpaytest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// Test identity (keys/README.md).
const (
	SpID  = "Y000000001"
	MerID = "42516662"
)

// Client talks to a paysim (or any Umpay-compatible) server.
type Client struct {
	BaseURL string
	HTTP    *http.Client
	// Header is added to every request (e.g. X-Paysim-Scenario).
	Header http.Header
	// KeepEmpty signs empty string values as "k=", as the official demo does
	// (TreeMap.toString()); otherwise they are left out of the signed text, as the docs say.
	KeepEmpty bool
	merchant  *rsa.PrivateKey
	platform  *rsa.PublicKey
}

// NewClient loads the merchant's PKCS#8 DER key (merchant_private.p8, what the demo
// loads) and the platform certificate (platform_cert.der, the demo's .crt) from keys.
func NewClient(baseURL string, keys fs.FS) (*Client, error) {
	der, err := fs.ReadFile(keys, "umpay/merchant_private.p8")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("umpay/merchant_private.p8: %w", err)
	}
	mk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("umpay/merchant_private.p8 holds a %T, not an RSA key", k)
	}
	platform, err := LoadCertificate(keys, "umpay/platform_cert.der")
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: baseURL, HTTP: http.DefaultClient, Header: http.Header{}, KeepEmpty: true,
		merchant: mk, platform: platform}, nil
}

// LoadCertificate reads a DER X.509 certificate and returns its RSA key, as the demo's
// CertificateFactory.getInstance("X.509") does.
func LoadCertificate(keys fs.FS, name string) (*rsa.PublicKey, error) {
	der, err := fs.ReadFile(keys, name)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	pk, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: certificate key is %T, not RSA", name, cert.PublicKey)
	}
	return pk, nil
}

// Response is a verified Umpay answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Fields holds every member but signature; numbers as their JSON literal.
	Fields map[string]string
	// Numbers names the members that were JSON numbers.
	Numbers map[string]bool
}

// Code is respCode.
func (r *Response) Code() string { return r.Fields["respCode"] }

// SignText builds the text the client signs: the members but signature, sorted by key,
// as k=v&....
func (c *Client) SignText(fields map[string]any) (string, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		if fields[k] == nil {
			continue // a Java map holds no null value here
		}
		v, err := valueText(fields[k])
		if err != nil {
			return "", fmt.Errorf("%s: %w", k, err)
		}
		if v == "" && !c.KeepEmpty {
			continue
		}
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, "&"), nil
}

func valueText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int, int64, json.Number, bool:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("unsupported value type %T", v)
}

// SignString signs text as it is (SHA1withRSA, merchant key) and returns the signature in
// padded base64: for tests that build a body no encoder would write, such as one holding
// bytes that are not UTF-8.
func (c *Client) SignString(text string) (string, error) {
	sig, err := rsakey.Sign(c.merchant, crypto.SHA1, []byte(text))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// SignedBody signs fields with the merchant key and returns the JSON body.
func (c *Client) SignedBody(fields map[string]any) ([]byte, error) {
	text, err := c.SignText(fields)
	if err != nil {
		return nil, err
	}
	sig, err := c.SignString(text)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	out["signature"] = sig
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Post signs fields and posts them to path.
func (c *Client) Post(path string, fields map[string]any) (*Response, error) {
	body, err := c.SignedBody(fields)
	if err != nil {
		return nil, err
	}
	return c.Do(http.MethodPost, path, "application/json; charset=UTF-8", body)
}

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
	fields, numbers, err := Verify(c.platform, raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s answered %d %s: %w", method, path, resp.StatusCode, raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return nil, fmt.Errorf("%s %s answered with Content-Type %q", method, path, ct)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw, Fields: fields, Numbers: numbers}, nil
}

// Verify checks a response body the way protocols 5.3 describes: every member but
// signature, sorted by key, null and "" skipped, values joined by "|", SHA1withRSA with
// the platform certificate. It also enforces the safe subset paysim promises (1.3): a
// flat object, no null or empty values, no "|" inside values, txnAmt a JSON number, and
// a padded base64 signature of at most 256 characters.
func Verify(platform *rsa.PublicKey, body []byte) (fields map[string]string, numbers map[string]bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, nil, fmt.Errorf("response is not a JSON object: %w", err)
	}
	sigValue, ok := obj["signature"].(string)
	if !ok || sigValue == "" {
		return nil, nil, errors.New("response has no signature string")
	}
	if len(sigValue) > 256 {
		return nil, nil, fmt.Errorf("signature is %d characters; the documented field holds at most 256", len(sigValue))
	}
	sig, err := base64.StdEncoding.DecodeString(sigValue)
	if err != nil {
		return nil, nil, fmt.Errorf("signature is not padded standard base64: %w", err)
	}
	fields, numbers = map[string]string{}, map[string]bool{}
	keys := make([]string, 0, len(obj))
	for k, v := range obj {
		if k == "signature" {
			continue
		}
		switch x := v.(type) {
		case string:
			if x == "" {
				return nil, nil, fmt.Errorf("%s is empty; empty values must be omitted", k)
			}
			fields[k] = x
		case json.Number:
			fields[k], numbers[k] = x.String(), true
		case nil:
			return nil, nil, fmt.Errorf("%s is null; empty values must be omitted", k)
		default:
			return nil, nil, fmt.Errorf("%s is a %T; responses are flat", k, v)
		}
		if strings.Contains(fields[k], "|") {
			return nil, nil, fmt.Errorf("%s contains |, which makes the signed text ambiguous", k)
		}
		keys = append(keys, k)
	}
	if _, ok := fields["txnAmt"]; ok && !numbers["txnAmt"] {
		return nil, nil, errors.New("txnAmt must be a JSON number in sync responses")
	}
	sort.Strings(keys)
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = fields[k]
	}
	text := strings.Join(values, "|")
	if err := rsakey.Verify(platform, crypto.SHA1, []byte(text), sig); err != nil {
		return nil, nil, fmt.Errorf("signature does not verify over %q: %w", text, err)
	}
	return fields, numbers, nil
}
