package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Request text that is not UTF-8 (protocols 1.5) is refused by name rather than stored
// with U+FFFD in place of its bytes, which is what every JSON decoder does to it. The
// check is made once the signature has verified: the signature covers the bytes as sent.

// UTF8Error says which string of a request is not valid UTF-8.
type UTF8Error struct {
	// Field names the string: its path in a JSON text ("remark", "extended.goods_tag",
	// "goods_details[0].name"), or the name given to a whole text that is not JSON. A
	// member name in a path is written with U+FFFD for the bytes that are not UTF-8.
	Field string
	// Name says the bad string is a member's name, not its value.
	Name bool
	// Text is the bad string with its bytes as received.
	Text string
}

func (e *UTF8Error) Error() string {
	if e.Name {
		return fmt.Sprintf("the member name %s is not valid UTF-8 (a decoder reads it as %s); paysim refuses text that is not UTF-8 rather than read it with U+FFFD in place of the bytes: encode the request in UTF-8 (not GBK or Latin-1) before signing it",
			QuoteText(e.Text), e.Field)
	}
	return fmt.Sprintf("%s is not valid UTF-8: %s; paysim refuses text that is not UTF-8 rather than store it with U+FFFD in place of the bytes: encode the value in UTF-8 (not GBK or Latin-1) before signing it",
		e.Field, QuoteText(e.Text))
}

// InvalidUTF8 checks one text field: nil when text is valid UTF-8.
func InvalidUTF8(field, text string) *UTF8Error {
	if utf8.ValidString(text) {
		return nil
	}
	return &UTF8Error{Field: field, Text: text}
}

// InvalidUTF8InJSON checks a JSON text: nil when it is valid UTF-8, else the first
// string, member name or value at any depth, that holds bytes that are not UTF-8. When
// such bytes cannot be placed in a string (text is not JSON), the error names whole.
func InvalidUTF8InJSON[T string | []byte](text T, whole string) *UTF8Error {
	switch t := any(text).(type) {
	case string:
		if utf8.ValidString(t) {
			return nil
		}
	case []byte:
		if utf8.Valid(t) {
			return nil
		}
	}
	raw := []byte(text)
	if e := locateInvalidUTF8(raw); e != nil {
		if e.Field == "" {
			e.Field = whole
		}
		return e
	}
	return &UTF8Error{Field: whole, Text: string(raw)}
}

// jsonFrame is one open object or array while a JSON text is walked.
type jsonFrame struct {
	array   bool
	index   int    // array: the current item, -1 before the first
	key     string // object: the current member's name
	wantKey bool   // object: the next token is a member name
}

// locateInvalidUTF8 walks text token by token and returns the first string whose bytes,
// as received, are not UTF-8; nil if there is none before the text stops being JSON.
func locateInvalidUTF8(text []byte) *UTF8Error {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		raw := text[start:dec.InputOffset()]
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:top]
			if top > 0 && !stack[top-1].array {
				stack[top-1].wantKey = true
			}
			continue
		}
		if top >= 0 && !stack[top].array && stack[top].wantKey {
			name, _ := tok.(string)
			stack[top].key, stack[top].wantKey = name, false
			if !utf8.Valid(raw) {
				return &UTF8Error{Field: jsonPath(stack), Name: true, Text: literalText(raw)}
			}
			continue
		}
		if top >= 0 && stack[top].array {
			stack[top].index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, jsonFrame{wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, jsonFrame{array: true, index: -1})
			continue
		}
		if _, ok := tok.(string); ok && !utf8.Valid(raw) {
			return &UTF8Error{Field: jsonPath(stack), Text: literalText(raw)}
		}
		if top >= 0 && !stack[top].array {
			stack[top].wantKey = true
		}
	}
}

// jsonPath writes the position the frames are at: a.b[0].c.
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}

// literalText is the string a token's raw bytes (separators, spaces and the quoted
// literal) stand for, its bytes kept as received.
func literalText(raw []byte) string {
	if i := bytes.IndexByte(raw, '"'); i >= 0 {
		raw = raw[i:]
	}
	s, err := UnquoteJSON(raw)
	if err != nil {
		return string(raw)
	}
	return s
}

// UnquoteJSON decodes a JSON string literal as encoding/json does, except that bytes
// that are not UTF-8 are kept as received rather than replaced with U+FFFD: a signature
// over the text the client held still verifies, and the value can then be refused by
// name (InvalidUTF8).
func UnquoteJSON(lit []byte) (string, error) {
	if utf8.Valid(lit) {
		var s string
		err := json.Unmarshal(lit, &s)
		return s, err
	}
	lit = bytes.Trim(lit, " \t\r\n")
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", errors.New("not a JSON string")
	}
	in := lit[1 : len(lit)-1]
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"' || c < 0x20:
			return "", fmt.Errorf("invalid character %q in a JSON string", c)
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(in) {
			return "", errors.New("JSON string ends in a backslash")
		}
		switch e := in[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(in[i+2:])
			if !ok {
				return "", errors.New(`invalid \u escape in a JSON string`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; a lone half is U+FFFD, as in encoding/json.
				if i+1 < len(in) && in[i] == '\\' && in[i+1] == 'u' {
					if r2, ok := hex4(in[i+2:]); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			return "", fmt.Errorf(`invalid escape \%c in a JSON string`, e)
		}
		i += 2
	}
	return string(out), nil
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}
