package gateway

import (
	"bytes"
	"path"
	"strings"
)

// OperationOf finds the neutral operation of a request path from a provider's table of
// last path segments, matched case-insensitively ("" when none).
func OperationOf(requestPath string, table map[string]string) string {
	return table[strings.ToLower(path.Base(requestPath))]
}

// TamperField returns body with one character of the JSON string member name changed,
// so that a signature in it still decodes but no longer verifies. Base64 and hex
// signatures stay within their alphabets.
func TamperField(body []byte, name string) []byte {
	marker := []byte(`"` + name + `":"`)
	i := bytes.Index(body, marker)
	if i < 0 || i+len(marker) >= len(body) {
		return body
	}
	out := bytes.Clone(body)
	j := i + len(marker)
	switch c := out[j]; {
	case c == '"':
		return body // an empty signature is already bad
	case c == 'A':
		out[j] = 'B'
	case c == '0':
		out[j] = '1'
	case c >= '1' && c <= '9':
		out[j] = '0'
	default:
		out[j] = 'A'
		if c == 'a' || c == 'A' {
			out[j] = 'b'
		}
	}
	return out
}

// RedactField returns body with the value of every JSON string member name replaced, for
// the journal: secrets a provider hands out (a terminal key) are never kept.
func RedactField(body []byte, name string) []byte {
	marker := []byte(`"` + name + `":"`)
	if !bytes.Contains(body, marker) {
		return body
	}
	var out bytes.Buffer
	rest := body
	for {
		i := bytes.Index(rest, marker)
		if i < 0 {
			out.Write(rest)
			return out.Bytes()
		}
		out.Write(rest[:i+len(marker)])
		rest = rest[i+len(marker):]
		end := 0
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		out.WriteString("[redacted]")
		rest = rest[min(end, len(rest)):]
	}
}
