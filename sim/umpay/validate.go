package umpay

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
)

// fieldFormat is a syntactic check on a request member.
type fieldFormat int

const (
	anyText    fieldFormat = iota
	dateTime14             // yyyyMMddHHmmss
	fen                    // amount in fen: digit string or JSON integer
	digits
)

// rule describes one request member of an endpoint.
type rule struct {
	name     string
	required bool
	max      int // in characters; 0: no limit
	format   fieldFormat
	enum     []string
}

// fieldError is a parameter problem: 13 for a missing member, 10 for a wrong type or
// format, 08 for an amount that is a number but not a payable one.
type fieldError struct {
	code   string
	msg    string
	detail string
}

func (e *fieldError) Error() string { return e.detail }

func missing(name string) *fieldError {
	return &fieldError{code: codeMissing, msg: msgMissing + ":" + name, detail: name + " is required and was absent or empty"}
}

func malformed(msg, format string, args ...any) *fieldError {
	return &fieldError{code: codeFormat, msg: msgFormat + ":" + msg, detail: fmt.Sprintf(format, args...)}
}

// maxFenDigits bounds amounts: the docs give txnAmt a length of 13.
const maxFenDigits = 13

// check applies rules to req in order and returns the first problem.
func check(req *request, rules []rule) *fieldError {
	for _, r := range rules {
		m, ok := req.byKey[r.name]
		if !ok || m.empty() {
			if r.required {
				return missing(r.name)
			}
			continue
		}
		if fe := checkType(r, m); fe != nil {
			return fe
		}
		if r.max > 0 && utf8.RuneCountInString(m.text) > r.max {
			return malformed(fmt.Sprintf("%s长度不能超过%d", r.name, r.max), "%s is %d characters long, at most %d allowed", r.name, utf8.RuneCountInString(m.text), r.max)
		}
		switch r.format {
		case dateTime14:
			if _, err := time.Parse("20060102150405", m.text); err != nil || len(m.text) != 14 {
				return malformed(r.name+"格式应为yyyyMMddHHmmss", "%s %q is not a time in the form yyyyMMddHHmmss", r.name, m.text)
			}
		case fen:
			if fe := checkFen(r.name, m.text); fe != nil {
				return fe
			}
		case digits:
			if !sim.IsDigits(m.text) {
				return malformed(r.name+"必须为数字", "%s %q must contain digits only", r.name, m.text)
			}
		}
		if len(r.enum) > 0 && !slices.Contains(r.enum, m.text) {
			return malformed(fmt.Sprintf("%s不支持[%s]", r.name, m.text), "%s %q is not one of %v", r.name, m.text, r.enum)
		}
	}
	return nil
}

// checkType accepts strings everywhere and JSON integers for amounts (protocols 1.1).
func checkType(r rule, m member) *fieldError {
	switch {
	case m.kind == kindString:
		return nil
	case m.kind == kindNumber && r.format == fen:
		return nil
	case r.format == fen:
		return malformed(r.name+"必须为以分为单位的整数", "%s must be an amount in fen (digit string or JSON integer), got %s", r.name, sim.Clip(m.text, 40))
	}
	return malformed(r.name+"必须为字符串", "%s must be a JSON string, got %s", r.name, sim.Clip(m.text, 40))
}

// checkFen separates what is not an amount at all (10) from an amount that cannot be paid
// (08): zero, negative, or longer than the documented 13 digits.
func checkFen(name, text string) *fieldError {
	digitsText := text
	negative := len(text) > 1 && text[0] == '-'
	if negative {
		digitsText = text[1:]
	}
	if !sim.IsDigits(digitsText) {
		return malformed(name+"必须为以分为单位的整数", "%s %q is not a whole number of fen (write 1.00 yuan as 100)", name, text)
	}
	if negative || len(digitsText) > maxFenDigits || allZero(digitsText) {
		return &fieldError{code: codeBadAmount, msg: msgBadAmount,
			detail: fmt.Sprintf("%s %s is not a payable amount: it must be between 1 and %d digits of fen", name, text, maxFenDigits)}
	}
	return nil
}

// amountOf reads an amount that check has accepted.
func amountOf(req *request, name string) sim.Amount {
	a, _ := sim.ParseFen(req.byKey[name].text)
	return a
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
