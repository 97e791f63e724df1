// Package shouqianbatest is a Shouqianba client for tests: it signs requests the way the
// official demos and the community Go client do (`Authorization: <sn> <md5hex(body +
// key)>`, vendor credentials for /terminal/activate) and decodes every answer as
// strictly as the strictest known client, so that a test speaking through it proves
// paysim is exact on the wire. Shouqianba does not sign responses.
package shouqianbatest

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/paysim/paysim/sim/simtest"
)

// Test identities (keys/README.md).
const (
	TerminalSN  = "100000330000000001"
	TerminalKey = "sqb-terminal-key-for-tests"
	VendorSN    = "91800000001"
	VendorKey   = "sqb-vendor-key-for-tests"
)

// Client talks to a paysim (or any Shouqianba-compatible) server.
type Client struct {
	BaseURL     string
	HTTP        *http.Client
	TerminalSN  string
	TerminalKey string
	VendorSN    string
	VendorKey   string
	// Header is added to every request (e.g. X-Paysim-Scenario).
	Header http.Header
}

// NewClient returns a client for the test terminal and vendor.
func NewClient(baseURL string) *Client {
	return &Client{BaseURL: baseURL, HTTP: http.DefaultClient, TerminalSN: TerminalSN, TerminalKey: TerminalKey,
		VendorSN: VendorSN, VendorKey: VendorKey, Header: http.Header{}}
}

// WithTerminal returns a copy of the client acting as another terminal.
func (c *Client) WithTerminal(sn, key string) *Client {
	cp := *c
	cp.TerminalSN, cp.TerminalKey = sn, key
	cp.Header = c.Header.Clone()
	return &cp
}

// Sign is md5hex(body + key), lowercase.
func Sign(body []byte, key string) string {
	sum := md5.Sum(append(append([]byte(nil), body...), key...))
	return hex.EncodeToString(sum[:])
}

// Authorization is the header value for body signed by the client's terminal, or by its
// vendor for /terminal/activate (as the community Go client decides by the URL).
func (c *Client) Authorization(path string, body []byte) string {
	if strings.Contains(path, "/terminal/activate") {
		return c.VendorSN + " " + Sign(body, c.VendorKey)
	}
	return c.TerminalSN + " " + Sign(body, c.TerminalKey)
}

// Body encodes a request as the community Go client does (encoding/json), filling in
// terminal_sn unless the path is activate or the caller set it.
func (c *Client) Body(path string, fields map[string]any) ([]byte, error) {
	if _, ok := fields["terminal_sn"]; !ok && !strings.Contains(path, "/terminal/activate") {
		fields["terminal_sn"] = c.TerminalSN
	}
	return json.Marshal(fields)
}

// Post encodes fields, signs the body and posts it.
func (c *Client) Post(path string, fields map[string]any) (*Response, error) {
	body, err := c.Body(path, fields)
	if err != nil {
		return nil, err
	}
	return c.PostRaw(path, body)
}

// PostRaw signs body as is and posts it.
func (c *Client) PostRaw(path string, body []byte) (*Response, error) {
	return c.Do(http.MethodPost, path, map[string]string{"Content-Type": "application/json",
		"Authorization": c.Authorization(path, body)}, body)
}

// Do sends any request with exactly the given headers (plus c.Header) and decodes the
// answer strictly.
func (c *Client) Do(method, path string, headers map[string]string, body []byte) (*Response, error) {
	header := http.Header{}
	for k, v := range headers {
		header.Set(k, v)
	}
	resp, raw, err := simtest.Exchange(c.HTTP, method, c.BaseURL+path, header, c.Header, body)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		return nil, fmt.Errorf("%s %s answered Content-Type %q, want application/json;charset=UTF-8", method, path, ct)
	}
	out, err := Verify(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s answered %d %s: %w", method, path, resp.StatusCode, raw, err)
	}
	out.Status, out.Header = resp.StatusCode, resp.Header
	return out, nil
}
