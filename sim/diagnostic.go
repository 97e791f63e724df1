package sim

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Headers paysim adds to provider answers.
const (
	// DiagnosticHeader says, in English, why paysim refused a request: for a signature
	// failure, the exact text it expected to be signed.
	DiagnosticHeader = "X-Paysim-Diagnostic"
	// ScenarioHeader asks for a scenario on a request, and names the one an answer's new
	// entity got.
	ScenarioHeader = "X-Paysim-Scenario"
)

// maxQuoted bounds the text quoted into a header; the full text goes to the log.
const maxQuoted = 2048

// Annotate sets the diagnostic and scenario headers of an answer, when there are any.
func Annotate(h http.Header, diagnostic, scenario string) {
	if diagnostic != "" {
		h.Set(DiagnosticHeader, HeaderSafe(diagnostic))
	}
	if scenario != "" {
		h.Set(ScenarioHeader, scenario)
	}
}

// HeaderSafe keeps a diagnostic printable ASCII on one line, so every client reads the
// same bytes: non-ASCII and control characters become \uXXXX, line breaks spaces.
func HeaderSafe(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r < 0x20 || r > 0x7e:
			b.WriteString(`\u`)
			hex := strconv.FormatInt(int64(r), 16)
			b.WriteString(strings.Repeat("0", max(0, 4-len(hex))))
			b.WriteString(hex)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// QuoteText renders text as a Go-quoted ASCII string, so that non-ASCII and control
// characters in an expected signed text survive a header and stay unambiguous. Long
// text is cut.
func QuoteText(text string) string {
	if len(text) > maxQuoted {
		return strconv.QuoteToASCII(Clip(text, maxQuoted)) + "(truncated)"
	}
	return strconv.QuoteToASCII(text)
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
