package huifu

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/paysim/paysim/sim"
)

// fieldFormat is a syntactic check on a data member.
type fieldFormat int

const (
	anyText fieldFormat = iota
	dateYMD             // yyyyMMdd
	yuan                // amount in yuan, up to two decimals (HF-A2)
	digits
	dateTime // yyyyMMddHHmmss
)

// rule describes one data member of an endpoint.
type rule struct {
	name     string
	required bool
	max      int // in characters; 0: no limit
	format   fieldFormat
	enum     []string
}

// fieldError is a parameter problem, answered with resp_code 10000000 (or 21000000 for
// missing locators) and the gateway's own wording.
type fieldError struct {
	code   string
	desc   string
	detail string
}

func (e *fieldError) Error() string { return e.detail }

func invalid(desc, format string, args ...any) *fieldError {
	return &fieldError{code: codeInvalid, desc: desc, detail: fmt.Sprintf(format, args...)}
}

// check applies rules to req in order and returns the first problem.
func check(req *request, rules []rule) *fieldError {
	for _, r := range rules {
		if k, ok := req.kinds[r.name]; ok {
			return invalid(r.name+"的类型必须为字符串", "%s must be a JSON string, got a %s", r.name, kindName(k))
		}
		v := req.str(r.name)
		if v == "" {
			if r.required {
				return invalid(r.name+"不能为空", "%s is required and was absent or empty", r.name)
			}
			continue
		}
		if r.max > 0 && utf8.RuneCountInString(v) > r.max {
			return invalid(fmt.Sprintf("%s最大长度为%d位", r.name, r.max), "%s is %d characters long, at most %d allowed", r.name, utf8.RuneCountInString(v), r.max)
		}
		switch r.format {
		case dateYMD:
			if _, err := time.Parse("20060102", v); err != nil || len(v) != 8 {
				return invalid(r.name+"不符合yyyyMMdd格式", "%s %q is not a date in the form yyyyMMdd", r.name, v)
			}
		case yuan:
			a, err := sim.ParseYuan(v)
			if err != nil {
				return invalid(r.name+"不符合金额格式", "%s: %v (write yuan with up to two decimals, e.g. \"1.00\")", r.name, err)
			}
			if a <= 0 {
				return invalid(r.name+"必须大于0", "%s must be at least 0.01, got %q", r.name, v)
			}
		case dateTime:
			if _, err := time.Parse(dateTimeLayout, v); err != nil || len(v) != 14 {
				return invalid(r.name+"不符合yyyyMMddHHmmss格式", "%s %q is not a time in the form yyyyMMddHHmmss", r.name, v)
			}
		case digits:
			if !sim.IsDigits(v) {
				return invalid(r.name+"格式不正确", "%s %q must contain digits only", r.name, v)
			}
		}
		if len(r.enum) > 0 && !slices.Contains(r.enum, v) {
			return invalid(fmt.Sprintf("%s的传入枚举[%s]不存在", r.name, v), "%s %q is not one of %v", r.name, v, r.enum)
		}
	}
	return nil
}

// oneOf requires at least one of names, answering 21000000 with the endpoint's wording.
func oneOf(req *request, desc string, names ...string) *fieldError {
	for _, n := range names {
		if req.str(n) != "" {
			return nil
		}
	}
	return &fieldError{code: codeLocatorMissing, desc: desc, detail: fmt.Sprintf("one of %v is required to find the original transaction", names)}
}

func kindName(k jsonKind) string {
	switch k {
	case kindObject:
		return "JSON object (nested data goes in as a JSON string)"
	case kindArray:
		return "JSON array (nested data goes in as a JSON string)"
	}
	return "number or boolean"
}
