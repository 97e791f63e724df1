package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

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

// WriteJSONString appends s to b as a JSON string the way encoding/json writes it, less
// the HTML escaping of <, > and &, which no provider applies: URLs and free text read as
// sent.
func WriteJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // the encoder's newline
}

// maxQuoted bounds the text quoted into a header; the full text goes to the log.
const maxQuoted = 2048

// QuoteText Go-quotes an expected signed text for a diagnostic, printable Unicode kept as
// it is, so that the request journal and the console show 测试 as 测试; the gateway writes
// it as \u6d4b\u8bd5 into the X-Paysim-Diagnostic header, which stays ASCII. Characters
// beyond U+FFFF are escaped here (\U0001f600), since the header's four-digit escapes
// cannot spell them; control characters and bytes that are not UTF-8 are escaped as
// strconv.Quote does. Long text is cut.
func QuoteText(text string) string {
	suffix := ""
	if len(text) > maxQuoted {
		text, suffix = Clip(text, maxQuoted), "(truncated)"
	}
	q := strconv.Quote(text)
	var b strings.Builder
	b.Grow(len(q) + len(suffix))
	for _, r := range q {
		if r > 0xFFFF {
			fmt.Fprintf(&b, `\U%08x`, r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteString(suffix)
	return b.String()
}

// Clip cuts s to at most n bytes on a rune boundary, marking a cut with "…".
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// IsDigits reports whether s is one or more ASCII digits: amounts in fen, codes, ids.
func IsDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// JSONText renders v as compact JSON, for a JSON value a provider carries inside a
// string field (pay_info, wallet parameters). v is a map or struct of strings built by
// paysim itself, which always marshals; anything else renders as "{}" rather than fail
// an answer.
func JSONText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
