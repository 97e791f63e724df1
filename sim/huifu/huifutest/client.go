// Package huifutest is a Huifu client for tests: it signs requests the way the official
// Go SDK does and verifies every response the way the official SDKs do, so that a test
// speaking through it proves paysim is exact on the wire.
package huifutest

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"github.com/paysim/paysim/sim/rsakey"
	"github.com/paysim/paysim/sim/simtest"
)

// Test identity (keys/README.md).
const (
	SysID     = "6666000100000001"
	HuifuID   = "6666000100000002"
	ProductID = "PAYUN"
)

// Client talks to a paysim (or any Huifu-compatible) server.
type Client struct {
	BaseURL   string
	HTTP      *http.Client
	SysID     string
	ProductID string
	// Header is added to every request (e.g. X-Paysim-Scenario).
	Header   http.Header
	merchant *rsa.PrivateKey
	platform *rsa.PublicKey
}

// NewClient loads the merchant private key and platform public key from keys (shaped
// like the project's keys/ folder).
func NewClient(baseURL string, keys fs.FS) (*Client, error) {
	mk, err := rsakey.LoadPrivate(keys, "huifu/merchant_private.pem")
	if err != nil {
		return nil, err
	}
	pk, err := rsakey.LoadPublic(keys, "huifu/platform_public.pem")
	if err != nil {
		return nil, err
	}
	return &Client{BaseURL: baseURL, HTTP: http.DefaultClient, SysID: SysID, ProductID: ProductID,
		Header: http.Header{}, merchant: mk, platform: pk}, nil
}

// Response is a verified Huifu answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Data is the response data; every value is a string, as the SDKs require.
	Data map[string]string
}

// Code is data.resp_code.
func (r *Response) Code() string { return r.Data["resp_code"] }

// SignedBody builds the request body the official Go SDK sends: data sorted and compact
// (Go's encoder sorts map keys), signed with the merchant key.
func (c *Client) SignedBody(data map[string]any) ([]byte, error) {
	text, err := marshalCompact(data)
	if err != nil {
		return nil, err
	}
	return c.SignedDataBody(text)
}

// SignedDataBody wraps data, a JSON object text, in the envelope and signs its bytes as
// they are: for requests no encoder would write (bytes that are not UTF-8, odd spacing).
func (c *Client) SignedDataBody(text []byte) ([]byte, error) {
	sig, err := rsakey.Sign(c.merchant, crypto.SHA256, text)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"sys_id": c.SysID, "product_id": c.ProductID,
		"data": json.RawMessage(text), "sign": base64.StdEncoding.EncodeToString(sig)})
}

// Post signs data and posts it to path.
func (c *Client) Post(path string, data map[string]any) (*Response, error) {
	body, err := c.SignedBody(data)
	if err != nil {
		return nil, err
	}
	return c.PostRaw(path, "application/json", body)
}

// PostRaw posts body as is and verifies the signed answer.
func (c *Client) PostRaw(path, contentType string, body []byte) (*Response, error) {
	return c.Do(http.MethodPost, path, contentType, body)
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
	data, err := Verify(c.platform, raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s answered %d %s: %w", method, path, resp.StatusCode, raw, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: raw, Data: data}, nil
}

// Verify checks a response body the two ways official SDKs do and returns its data:
//   - Go SDK (>= 1.0.27): the signature covers the raw bytes of the data member;
//   - PHP and Python SDKs: decode data, sort keys, re-encode compactly without escaping
//     slashes or non-ASCII, and verify that.
//
// It also enforces the safe subset every SDK parses: both data and sign present, string
// values only, no empty values.
func Verify(platform *rsa.PublicKey, body []byte) (map[string]string, error) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("response is not a JSON object: %w", err)
	}
	if len(env) != 2 || env["data"] == nil || env["sign"] == nil {
		return nil, fmt.Errorf("response must have exactly data and sign, got %d members", len(env))
	}
	var sign string
	if err := json.Unmarshal(env["sign"], &sign); err != nil {
		return nil, fmt.Errorf("sign is not a string: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil {
		return nil, fmt.Errorf("sign is not padded standard base64: %w", err)
	}
	if err := rsakey.Verify(platform, crypto.SHA256, env["data"], sig); err != nil {
		return nil, fmt.Errorf("the Go SDK rule fails: sign does not verify over the raw data bytes: %w", err)
	}
	var loose map[string]any
	if err := json.Unmarshal(env["data"], &loose); err != nil {
		return nil, fmt.Errorf("data is not an object: %w", err)
	}
	data := make(map[string]string, len(loose))
	for k, v := range loose {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("data.%s is %T; SDKs need string values only", k, v)
		}
		if s == "" {
			return nil, fmt.Errorf("data.%s is empty; empty values must be omitted", k)
		}
		data[k] = s
	}
	resorted, err := marshalCompact(loose)
	if err != nil {
		return nil, err
	}
	if err := rsakey.Verify(platform, crypto.SHA256, resorted, sig); err != nil {
		return nil, fmt.Errorf("PHP/Python rule: sign does not verify over the re-sorted re-encoding %s: %w", resorted, err)
	}
	return data, nil
}

// marshalCompact encodes v with sorted keys, no whitespace and no HTML or slash
// escaping: what PHP's json_encode(JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE) of a
// ksorted array and Python's json.dumps(ensure_ascii=False, separators=(',',':')) give.
func marshalCompact(v map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		var item bytes.Buffer
		enc := json.NewEncoder(&item)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(item.Bytes(), "\n"))
		b.WriteByte(':')
		item.Reset()
		if err := enc.Encode(v[k]); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(item.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
