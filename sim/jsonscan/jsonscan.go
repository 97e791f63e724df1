// Package jsonscan parses a JSON document once into a tree that keeps what a signature
// check needs and encoding/json throws away: the order of object members (duplicates
// included), number literals as written, and the exact bytes of every value as received.
// It accepts exactly the documents encoding/json accepts, and decodes strings the way
// encoding/json does (the tests compare the two on every input the fuzzer finds).
package jsonscan

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Kind is the type of a JSON value.
type Kind uint8

const (
	Object Kind = iota + 1
	Array
	String
	Number
	Bool
	Null
)

func (k Kind) String() string {
	switch k {
	case Object:
		return "object"
	case Array:
		return "array"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Null:
		return "null"
	}
	return "invalid"
}

// Value is one parsed JSON value.
type Value struct {
	Kind Kind
	// Raw is the value's bytes as received: a slice of the parsed input, not a copy.
	Raw []byte
	// Text is a string's decoded text, or a number's or a literal's text as written.
	Text string
	// Keys are an object's member names in order, duplicates kept; Members are the values
	// of those members, or an array's elements.
	Keys    []string
	Members []Value
}

// Get returns the last member of an object called name (the one encoding/json would keep).
func (v *Value) Get(name string) (*Value, bool) {
	for i := len(v.Keys) - 1; i >= 0; i-- {
		if v.Keys[i] == name {
			return &v.Members[i], true
		}
	}
	return nil, false
}

// MaxDepth bounds nesting, as encoding/json does, so a hostile body cannot exhaust the stack.
const MaxDepth = 10000

// SyntaxError says where a document stops being JSON.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.Msg, e.Offset) }

// Parse parses data, which must hold one JSON value and nothing else but white space.
func Parse(data []byte) (Value, error) {
	p := parser{data: data}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.space()
	if p.i != len(data) {
		return Value{}, p.fail("unexpected data after the JSON value")
	}
	return v, nil
}

type parser struct {
	data []byte
	i    int
}

func (p *parser) fail(format string, args ...any) error {
	return &SyntaxError{Offset: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.i >= len(p.data) {
		return Value{}, p.fail("unexpected end of JSON input")
	}
	start := p.i
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(start, depth+1)
	case c == '[':
		return p.array(start, depth+1)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return Value{}, err
		}
		return Value{Kind: String, Raw: p.data[start:p.i], Text: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(); err != nil {
			return Value{}, err
		}
		return Value{Kind: Number, Raw: p.data[start:p.i], Text: string(p.data[start:p.i])}, nil
	case c == 't':
		return p.literal(start, "true", Bool)
	case c == 'f':
		return p.literal(start, "false", Bool)
	case c == 'n':
		return p.literal(start, "null", Null)
	default:
		return Value{}, p.fail("invalid character %q looking for beginning of value", c)
	}
}

func (p *parser) literal(start int, word string, kind Kind) (Value, error) {
	if len(p.data)-p.i < len(word) || string(p.data[p.i:p.i+len(word)]) != word {
		return Value{}, p.fail("invalid literal, expected %s", word)
	}
	p.i += len(word)
	return Value{Kind: kind, Raw: p.data[start:p.i], Text: word}, nil
}

func (p *parser) object(start, depth int) (Value, error) {
	return p.container(start, depth, Object, '}', "after object key:value pair")
}

func (p *parser) array(start, depth int) (Value, error) {
	return p.container(start, depth, Array, ']', "after array element")
}

// container reads an object or an array at p.i: members separated by commas up to end;
// an object's members are "key": value.
func (p *parser) container(start, depth int, kind Kind, end byte, afterMember string) (Value, error) {
	if depth > MaxDepth {
		return Value{}, p.fail("exceeded max depth")
	}
	p.i++ // { or [
	v := Value{Kind: kind}
	p.space()
	if p.i < len(p.data) && p.data[p.i] == end {
		p.i++
		v.Raw = p.data[start:p.i]
		return v, nil
	}
	for {
		p.space()
		if kind == Object {
			if p.i >= len(p.data) {
				return Value{}, p.fail("unexpected end of JSON input")
			}
			if p.data[p.i] != '"' {
				return Value{}, p.fail("invalid character %q looking for beginning of object key string", p.data[p.i])
			}
			key, err := p.str()
			if err != nil {
				return Value{}, err
			}
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return Value{}, p.fail("expected ':' after object key")
			}
			p.i++
			p.space()
			v.Keys = append(v.Keys, key)
		}
		m, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		v.Members = append(v.Members, m)
		p.space()
		if p.i >= len(p.data) {
			return Value{}, p.fail("unexpected end of JSON input")
		}
		switch p.data[p.i] {
		case ',':
			p.i++
		case end:
			p.i++
			v.Raw = p.data[start:p.i]
			return v, nil
		default:
			return Value{}, p.fail("invalid character %q %s", p.data[p.i], afterMember)
		}
	}
}

// str reads a string at p.i and returns its decoded text. The common case (no escapes,
// valid UTF-8) is a plain copy; anything else is decoded by encoding/json itself, so that
// escapes, surrogates and invalid bytes come out exactly as it makes them.
func (p *parser) str() (string, error) {
	start := p.i
	p.i++ // "
	escaped := false
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			raw := p.data[start:p.i]
			body := raw[1 : len(raw)-1]
			if !escaped && utf8.Valid(body) {
				return string(body), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", &SyntaxError{Offset: start, Msg: err.Error()}
			}
			return s, nil
		case c == '\\':
			escaped = true
			if p.i+1 >= len(p.data) {
				return "", p.fail("unexpected end of JSON input")
			}
			switch e := p.data[p.i+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if len(p.data)-p.i < 6 || !isHex4(p.data[p.i+2:p.i+6]) {
					return "", p.fail("invalid \\u escape in string")
				}
				p.i += 6
			default:
				return "", p.fail("invalid character %q in string escape code", e)
			}
		case c < 0x20:
			return "", p.fail("invalid character %q in string literal", c)
		default:
			p.i++
		}
	}
	return "", p.fail("unexpected end of JSON input")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p.i.
func (p *parser) number() error {
	digits := func() int {
		n := 0
		for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case digits() == 0:
		return p.fail("invalid number: a digit must follow")
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.fail("invalid number: a digit must follow the decimal point")
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.fail("invalid number: a digit must follow the exponent")
		}
	}
	return nil
}
