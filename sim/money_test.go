package sim_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysim/paysim/sim"
)

func TestParseYuanAccepted(t *testing.T) {
	tests := []struct {
		in   string
		want sim.Amount
	}{
		{"0", 0},
		{"1", 100},
		{"1.0", 100},
		{"1.00", 100},
		{"0.1", 10},
		{"0.10", 10},
		{"0.01", 1},
		{"0.03", 3},
		{"1.01", 101},
		{"12.34", 1234},
		{"007.5", 750},
		{"99999999999.99", 9999999999999},
		{"99999999999", 9999999999900},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sim.ParseYuan(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseYuanRejected(t *testing.T) {
	tests := []string{
		"",
		".",
		".5",
		"1.",
		"1.234",
		"1.001",
		"-1",
		"-0.01",
		"+1",
		"1e2",
		"1E2",
		" 1",
		"1 ",
		"1. 0",
		"1,00",
		"1.0.0",
		"１", // full-width digit
		"0x10",
		"abc",
		"1.a",
		"123456789012",
		"123456789012.00",
		"NaN",
		"Inf",
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			got, err := sim.ParseYuan(in)
			assert.Error(t, err, "ParseYuan(%q) = %d, want an error", in, got)
			assert.Zero(t, got)
		})
	}
}

func TestParseFen(t *testing.T) {
	tests := []struct {
		in      string
		want    sim.Amount
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "1", want: 1},
		{in: "100", want: 100},
		{in: "0100", want: 100},
		{in: "9999999999999", want: 9999999999999}, // 13 digits: the largest yuan amount in fen
		{in: "", wantErr: true},
		{in: "99999999999999", wantErr: true}, // 14 digits
		{in: "-1", wantErr: true},
		{in: "+1", wantErr: true},
		{in: "1.00", wantErr: true},
		{in: "1e2", wantErr: true},
		{in: " 1", wantErr: true},
		{in: "1 ", wantErr: true},
		{in: "abc", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := sim.ParseFen(tt.in)
			if tt.wantErr {
				assert.Error(t, err)
				assert.Zero(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAmountFormatting(t *testing.T) {
	tests := []struct {
		a    sim.Amount
		yuan string
		fen  string
	}{
		{0, "0.00", "0"},
		{1, "0.01", "1"},
		{10, "0.10", "10"},
		{99, "0.99", "99"},
		{100, "1.00", "100"},
		{101, "1.01", "101"},
		{123456, "1234.56", "123456"},
		{9999999999999, "99999999999.99", "9999999999999"},
		{math.MaxInt64, "92233720368547758.07", "9223372036854775807"},
		{-1, "-0.01", "-1"},
		{-12345, "-123.45", "-12345"},
	}
	for _, tt := range tests {
		t.Run(tt.fen, func(t *testing.T) {
			assert.Equal(t, tt.yuan, tt.a.Yuan())
			assert.Equal(t, tt.yuan, tt.a.String())
			assert.Equal(t, tt.fen, tt.a.Fen())
		})
	}
}

// Every formatted amount parses back to itself, through both representations.
func TestAmountRoundTrip(t *testing.T) {
	for _, a := range []sim.Amount{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 123456789, 9999999999999} {
		y, err := sim.ParseYuan(a.Yuan())
		require.NoError(t, err, a.Yuan())
		assert.Equal(t, a, y)
		f, err := sim.ParseFen(a.Fen())
		require.NoError(t, err, a.Fen())
		assert.Equal(t, a, f)
	}
}
