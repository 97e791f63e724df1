package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body any provider handler reads. Real requests are
// a few kilobytes; anything near this is a client bug, answered in the provider's shape.
const MaxBodyBytes = 1 << 20

// ErrBodyTooLarge is returned by ReadBody for a body over the limit.
var ErrBodyTooLarge = fmt.Errorf("request body is larger than %d bytes", MaxBodyBytes)

// ReadBody reads the whole request body once, up to MaxBodyBytes. Signature schemes need
// the raw bytes, so no framework binding may run before this.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, ErrBodyTooLarge
	}
	return body, nil
}

// MediaType returns the lower-cased media type of a Content-Type header without its
// parameters: "application/json;charset=UTF-8" and "application/json; charset=utf-8" are
// both "application/json".
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// ScrubText replaces the characters serializers disagree on how to escape (U+2028,
// U+2029, U+0085 and C0 controls other than \n, \r, \t) with a space, so that echoing a
// merchant's free text can never break a client's signature check.
func ScrubText(s string) string {
	if !needsScrub(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if scrubbed(r) {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}

func needsScrub(s string) bool {
	for _, r := range s {
		if scrubbed(r) {
			return true
		}
	}
	return false
}

func scrubbed(r rune) bool {
	return r == '\u2028' || r == '\u2029' || r == '\u0085' || (r < 0x20 && r != '\n' && r != '\r' && r != '\t')
}

// IsBodyTooLarge reports whether err came from a body over the limit.
func IsBodyTooLarge(err error) bool { return errors.Is(err, ErrBodyTooLarge) }

// WriteJSONString appends s to b as a JSON string the way encoding/json writes it, less
// the HTML escaping of <, > and &, which no provider applies: URLs and free text read as
// sent.
func WriteJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // the encoder's newline
}
