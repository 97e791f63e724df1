package huifu

import (
	"bytes"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
	"github.com/paysim/paysim/sim/jsonscan"
)

// Huifu signs the "canonical data text": the top-level members of data sorted by key and
// written compactly. Each SDK puts different bytes on the wire for the same text (PHP
// escapes "/" and non-ASCII, Python adds spaces, Java keeps hash-map order), so paysim
// rebuilds the text from a parsed tree that keeps every literal as received.

type jsonKind int

const (
	kindObject jsonKind = iota
	kindArray
	kindString
	kindLiteral // number, true, false, null: written back exactly as received
)

type jsonNode struct {
	kind    jsonKind
	text    string // string value (decoded) or literal text
	keys    []string
	members []*jsonNode // object values (parallel to keys) or array items
}

// parseTree parses one JSON value keeping member order and number literals.
func parseTree(data []byte) (*jsonNode, error) {
	v, err := jsonscan.Parse(data)
	if err != nil {
		return nil, err
	}
	return nodeOf(&v), nil
}

// nodeOf is the canonicalisation tree of a parsed value.
func nodeOf(v *jsonscan.Value) *jsonNode {
	switch v.Kind {
	case jsonscan.Object, jsonscan.Array:
		n := &jsonNode{kind: kindObject, keys: v.Keys, members: make([]*jsonNode, len(v.Members))}
		if v.Kind == jsonscan.Array {
			n.kind = kindArray
		}
		for i := range v.Members {
			n.members[i] = nodeOf(&v.Members[i])
		}
		return n
	case jsonscan.String:
		return &jsonNode{kind: kindString, text: v.Text}
	}
	return &jsonNode{kind: kindLiteral, text: v.Text}
}

// canonicalOptions are the variations real clients sign with (see candidates).
type canonicalOptions struct {
	sortNested    bool // sort nested objects too (Go SDK given real nested maps)
	escapeLineSep bool // write U+2028/U+2029 as \u2028/\u2029 (Go and PHP encoders)
}

// canonical writes an object with its top-level keys sorted bytewise, compactly. When a
// key occurs twice the last one wins, as in every client's map.
func canonical(n *jsonNode, opt canonicalOptions) []byte {
	var b bytes.Buffer
	writeObject(&b, n, true, opt)
	return b.Bytes()
}

// canonicalValue writes any value compactly, nested order kept.
func canonicalValue(n *jsonNode) []byte {
	var b bytes.Buffer
	writeNode(&b, n, canonicalOptions{})
	return b.Bytes()
}

func writeObject(b *bytes.Buffer, n *jsonNode, sorted bool, opt canonicalOptions) {
	idx := make([]int, 0, len(n.keys))
	last := map[string]int{}
	for i, k := range n.keys {
		last[k] = i
	}
	for i, k := range n.keys {
		if last[k] == i {
			idx = append(idx, i)
		}
	}
	if sorted {
		sort.SliceStable(idx, func(a, c int) bool { return n.keys[idx[a]] < n.keys[idx[c]] })
	}
	b.WriteByte('{')
	for j, i := range idx {
		if j > 0 {
			b.WriteByte(',')
		}
		writeString(b, n.keys[i], opt.escapeLineSep)
		b.WriteByte(':')
		writeNode(b, n.members[i], opt)
	}
	b.WriteByte('}')
}

func writeNode(b *bytes.Buffer, n *jsonNode, opt canonicalOptions) {
	switch n.kind {
	case kindObject:
		writeObject(b, n, opt.sortNested, opt)
	case kindArray:
		b.WriteByte('[')
		for i, m := range n.members {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, m, opt)
		}
		b.WriteByte(']')
	case kindString:
		writeString(b, n.text, opt.escapeLineSep)
	default:
		b.WriteString(n.text)
	}
}

const hexDigits = "0123456789abcdef"

// writeString quotes s with minimal escaping: only '"', '\\' and control characters are
// escaped; '/', '<', '>', '&' and non-ASCII text go out raw. That is the one form PHP
// (UNESCAPED_SLASHES|UNESCAPED_UNICODE), Python (ensure_ascii=False) and Go (raw data
// bytes) all reproduce.
func writeString(b *bytes.Buffer, s string, escapeLineSep bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				b.WriteString(`\"`)
			case '\\':
				b.WriteString(`\\`)
			case '\b':
				b.WriteString(`\b`)
			case '\f':
				b.WriteString(`\f`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				if c < 0x20 {
					b.WriteString(`\u00`)
					b.WriteByte(hexDigits[c>>4])
					b.WriteByte(hexDigits[c&0xf])
				} else {
					b.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if escapeLineSep && (r == '\u2028' || r == '\u2029') {
			b.WriteString(`\u202`)
			b.WriteByte(hexDigits[r&0xf])
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// encodeNotifyData writes notification resp_data: like encodeData, plus the documented
// integer members (notify_type) as JSON numbers, as the gateway sends them.
func encodeNotifyData(fields map[string]string, ints map[string]int) []byte {
	if len(ints) == 0 {
		return encodeData(fields)
	}
	text := encodeData(fields)
	keys := make([]string, 0, len(ints))
	for k := range ints {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	tree, err := parseTree(text)
	if err != nil {
		panic(err) // encodeData always writes a valid object
	}
	for _, k := range keys {
		tree.keys = append(tree.keys, k)
		tree.members = append(tree.members, &jsonNode{kind: kindLiteral, text: strconv.Itoa(ints[k])})
	}
	return canonical(tree, canonicalOptions{})
}

// encodeData writes response data: string values only, keys sorted, compact, minimal
// escaping, free text scrubbed. This is the one form every official SDK verifies.
func encodeData(fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Grow(64 * len(keys))
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(&b, k, false)
		b.WriteByte(':')
		writeString(&b, sim.ScrubText(fields[k]), false)
	}
	b.WriteByte('}')
	return b.Bytes()
}
