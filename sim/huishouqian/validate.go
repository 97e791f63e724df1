package huishouqian

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
)

// bizContent is signContent parsed: the business parameters of one request.
type bizContent struct {
	// values holds strings and numbers as text (a number by its literal, so "100" and 100
	// are the same amount); "" and null count as absent and are not here.
	values map[string]string
	// others holds members that are booleans, objects or arrays, by their raw JSON text.
	others map[string]json.RawMessage
}

func (b *bizContent) str(name string) string { return b.values[name] }

// parseSignContent reads signContent as a JSON object. Number literals are kept as text:
// clients send amounts both as digit strings and as JSON integers.
func parseSignContent(text string) (*bizContent, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &members); err != nil {
		return nil, err
	}
	if members == nil {
		return nil, errors.New("it is null")
	}
	b := &bizContent{values: map[string]string{}, others: map[string]json.RawMessage{}}
	for k, raw := range members {
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, err
			}
			if s != "" {
				b.values[k] = s
			}
		case 'n': // null: absent
		case 't', 'f', '{', '[':
			b.others[k] = raw
		default:
			b.values[k] = string(raw)
		}
	}
	return b, nil
}

// fieldFormat is a syntactic check on a business parameter.
type fieldFormat int

const (
	anyText  fieldFormat = iota
	fen                  // whole fen, > 0: a digit string or a JSON integer
	dateTime             // yyyyMMddHHmmss
	digits
	jsonObject // a JSON object inside a string (memo)
)

// rule describes one business parameter of a method.
type rule struct {
	name     string
	required bool
	max      int // in characters; 0: no limit
	format   fieldFormat
	enum     []string
}

// fieldError is a parameter problem: errorMsg names the field, the diagnostic says why.
type fieldError struct {
	name   string
	detail string
}

func invalid(name, format string, args ...any) *fieldError {
	return &fieldError{name: name, detail: fmt.Sprintf(format, args...)}
}

func (e *fieldError) reply() reply {
	r := failure(codeParam, msgParam+e.name, e.detail)
	r.kind = sim.ErrInvalidParams
	return r
}

// check applies rules in order and returns the first problem.
func check(b *bizContent, rules []rule) *fieldError {
	for _, r := range rules {
		if raw, ok := b.others[r.name]; ok {
			if r.format == jsonObject && raw[0] == '{' {
				continue // a memo sent as an object rather than a string: take it as it is
			}
			return invalid(r.name, "%s must be a string, got %s", r.name, sim.Clip(string(raw), 40))
		}
		v := b.str(r.name)
		if v == "" {
			if r.required {
				return invalid(r.name, "%s is required and was absent or empty", r.name)
			}
			continue
		}
		if r.max > 0 && utf8.RuneCountInString(v) > r.max {
			return invalid(r.name, "%s is %d characters long, at most %d allowed", r.name, utf8.RuneCountInString(v), r.max)
		}
		switch r.format {
		case fen:
			a, err := sim.ParseFen(v)
			if err != nil {
				return invalid(r.name, "%s: %v (send fen as a digit string like \"100\" or a JSON integer)", r.name, err)
			}
			if a <= 0 {
				return invalid(r.name, "%s must be at least 1 fen, got %q", r.name, v)
			}
		case dateTime:
			if _, err := time.ParseInLocation(dateTimeLayout, v, sim.Beijing); err != nil || len(v) != len(dateTimeLayout) {
				return invalid(r.name, "%s %q is not a time in the form yyyyMMddHHmmss", r.name, v)
			}
		case digits:
			if !sim.IsDigits(v) {
				return invalid(r.name, "%s %q must contain digits only", r.name, v)
			}
		case jsonObject:
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(v), &obj); err != nil || obj == nil {
				return invalid(r.name, "%s must be a JSON object inside a string, e.g. {\"openid\":\"...\"}, got %s", r.name, sim.Clip(strings.TrimSpace(v), 40))
			}
		}
		if len(r.enum) > 0 && !slices.Contains(r.enum, v) {
			return invalid(r.name, "%s %q is not one of %v", r.name, v, r.enum)
		}
	}
	return nil
}

// memoText is the memo as the merchant sent it: the string, or the object's raw text.
func memoText(b *bizContent) string {
	if raw, ok := b.others[fMemo]; ok {
		return string(raw)
	}
	return b.str(fMemo)
}

// defaultExpiry is how long an unpaid order waits for its payer (HQ-A4).
const defaultExpiry = 15 * time.Minute

// expiry is how long after now an undecided order closes as FAIL: memo.timeExpire
// (yyyyMMddHHmmss, Beijing time, as the C# client documents it) if given, else 15 minutes
// (HQ-A4).
func expiry(memo string, now time.Time) (time.Duration, *fieldError) {
	if memo == "" {
		return defaultExpiry, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(memo), &m); err != nil {
		return 0, invalid(fMemo, "memo is not a JSON object: %v", err)
	}
	raw, ok := m["timeExpire"]
	if !ok || string(raw) == "null" || string(raw) == `""` {
		return defaultExpiry, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, invalid("memo.timeExpire", "memo.timeExpire is not a string: %v", err)
		}
	}
	at, err := time.ParseInLocation(dateTimeLayout, text, sim.Beijing)
	if err != nil || len(text) != len(dateTimeLayout) {
		return 0, invalid("memo.timeExpire", "memo.timeExpire %q is not a time in the form yyyyMMddHHmmss", text)
	}
	if !at.After(now) {
		return 0, invalid("memo.timeExpire", "memo.timeExpire %s is not after the current time %s", text, now.Format(dateTimeLayout))
	}
	return at.Sub(now), nil
}
