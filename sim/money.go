package sim

import (
	"fmt"
	"strconv"
)

// Amount is a sum of money in fen (分), the unit every provider settles in. It is the only
// money type inside paysim: yuan strings are converted at the wire edge, never through a
// float, so "0.10" and "0.1" are the same 10 fen and no rounding can ever creep in.
type Amount int64

// maxYuanDigits bounds the integer part of a yuan amount. Eleven digits is what Huifu
// documents for String(14) amount fields ("99999999999.99").
const maxYuanDigits = 11

// ParseYuan parses a decimal yuan string with up to two decimals ("1", "1.0", "1.00").
// Signs, exponents, spaces and a bare "." are rejected.
func ParseYuan(s string) (Amount, error) {
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			if frac == "" {
				return 0, fmt.Errorf("amount %q has a decimal point with no digits after it", s)
			}
			break
		}
	}
	if intPart == "" || len(intPart) > maxYuanDigits || !allDigits(intPart) {
		return 0, fmt.Errorf("amount %q is not a yuan amount of at most %d integer digits", s, maxYuanDigits)
	}
	if len(frac) > 2 || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q has more than two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	yuan, _ := strconv.ParseInt(intPart, 10, 64)
	fen, _ := strconv.ParseInt(frac, 10, 64)
	return Amount(yuan*100 + fen), nil
}

// ParseFen parses a digit string of fen ("100" = 1.00 yuan).
func ParseFen(s string) (Amount, error) {
	if s == "" || len(s) > maxYuanDigits+2 || !allDigits(s) {
		return 0, fmt.Errorf("amount %q is not a whole number of fen", s)
	}
	v, _ := strconv.ParseInt(s, 10, 64)
	return Amount(v), nil
}

// Yuan formats the amount with exactly two decimals, the form every provider emits.
func (a Amount) Yuan() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Fen formats the amount as a plain digit string of fen.
func (a Amount) Fen() string { return strconv.FormatInt(int64(a), 10) }

// String reads as yuan, which is how people talk about money in logs and errors.
func (a Amount) String() string { return a.Yuan() }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
