package gateway

import (
	"mime"
	"strconv"
	"strings"
)

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
