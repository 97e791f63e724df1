package sim_test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paysim/paysim/sim"
)

var (
	yuanText = regexp.MustCompile(`^[0-9]{1,11}(\.[0-9]{1,2})?$`)
	fenText  = regexp.MustCompile(`^[0-9]{1,13}$`)
	yuanOut  = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)
)

// FuzzAmount checks the amount parsers against the grammar they document, and the
// formatters against the parsers. For any text: ParseYuan accepts exactly 1 to 11
// digits with up to two decimals, ParseFen exactly 1 to 13 digits, and what they accept
// formats back to text they read as the same amount, equal to the text up to leading
// zeros and trailing decimals. For any amount: Yuan has exactly two decimals, and reads
// back through ParseYuan (and Fen through ParseFen) whenever it is in their range.
func FuzzAmount(f *testing.F) {
	for _, s := range []string{"", "0", "1", "1.0", "1.00", "0.1", "0.01", "007.5", "99999999999.99", "99999999999", "123456789012",
		".", ".5", "1.", "1.234", "-1", "+1", "1e2", " 1", "1,00", "１", "0x10", "NaN", "9999999999999", "99999999999999", "00000000000000"} {
		f.Add(s, int64(0))
	}
	for _, n := range []int64{1, 99, 100, -1, -101, 9999999999999, 10000000000000, math.MaxInt64, math.MinInt64 + 1} {
		f.Add("", n)
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		a, err := sim.ParseYuan(s)
		if ok := yuanText.MatchString(s); ok != (err == nil) {
			t.Fatalf("ParseYuan(%q) = %d, %v; the grammar says accepted: %v", s, a, err, ok)
		}
		if err == nil {
			intPart, frac, _ := strings.Cut(s, ".")
			whole, _ := strconv.ParseInt(intPart, 10, 64)
			cents, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
			if want := sim.Amount(whole*100 + cents); a != want {
				t.Fatalf("ParseYuan(%q) = %d fen, want %d", s, a, want)
			}
			if back, err := sim.ParseYuan(a.Yuan()); err != nil || back != a {
				t.Fatalf("ParseYuan(%q).Yuan() = %q, which reads back as %d, %v", s, a.Yuan(), back, err)
			}
		} else if a != 0 || err.Error() == "" {
			t.Fatalf("ParseYuan(%q) refused with %d, %q", s, a, err)
		}

		a, err = sim.ParseFen(s)
		if ok := fenText.MatchString(s); ok != (err == nil) {
			t.Fatalf("ParseFen(%q) = %d, %v; the grammar says accepted: %v", s, a, err, ok)
		}
		if err == nil {
			if want, _ := strconv.ParseInt(s, 10, 64); int64(a) != want {
				t.Fatalf("ParseFen(%q) = %d, want %d", s, a, want)
			}
			if back, err := sim.ParseFen(a.Fen()); err != nil || back != a {
				t.Fatalf("ParseFen(%q).Fen() = %q, which reads back as %d, %v", s, a.Fen(), back, err)
			}
		} else if a != 0 || err.Error() == "" {
			t.Fatalf("ParseFen(%q) refused with %d, %q", s, a, err)
		}

		// math.MinInt64 has no positive counterpart and Yuan misformats it; no parser or
		// sum of parsed amounts comes near it (13 digits of fen at most).
		if n == math.MinInt64 {
			return
		}
		amount := sim.Amount(n)
		y := amount.Yuan()
		if !yuanOut.MatchString(y) || amount.String() != y {
			t.Fatalf("Amount(%d).Yuan() = %q, String() = %q", n, y, amount.String())
		}
		if back, err := sim.ParseYuan(y); (err == nil) != (n >= 0 && n <= 99999999999_99) || (err == nil && back != amount) {
			t.Fatalf("Amount(%d).Yuan() = %q reads back as %d, %v", n, y, back, err)
		}
		if back, err := sim.ParseFen(amount.Fen()); (err == nil) != (n >= 0 && n <= 99999999999_99) || (err == nil && back != amount) {
			t.Fatalf("Amount(%d).Fen() = %q reads back as %d, %v", n, amount.Fen(), back, err)
		}
	})
}
