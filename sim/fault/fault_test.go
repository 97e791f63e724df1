package fault

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		want   Fault
		serves bool
		err    string
	}{
		{"delay:2s", Fault{Kind: Delay, Delay: 2 * time.Second}, true, ""},
		{" delay:150ms ", Fault{Kind: Delay, Delay: 150 * time.Millisecond}, true, ""},
		{"timeout", Fault{Kind: Timeout}, false, ""},
		{"reset", Fault{Kind: Reset}, false, ""},
		{"empty", Fault{Kind: Empty}, false, ""},
		{"http:502", Fault{Kind: HTTP, Status: 502}, false, ""},
		{"truncate", Fault{Kind: Truncate}, true, ""},
		{"bad-signature", Fault{Kind: BadSignature}, true, ""},
		{"commit-then-reset", Fault{Kind: CommitThenReset}, true, ""},
		{"commit-then-timeout", Fault{Kind: CommitThenTimeout}, true, ""},
		{"commit-then-empty", Fault{Kind: CommitThenEmpty}, true, ""},
		{"delay", Fault{}, false, "delay takes a duration"},
		{"delay:soon", Fault{}, false, "delay takes a duration"},
		{"delay:0s", Fault{}, false, "more than 0"},
		{"delay:11m", Fault{}, false, "at most 10m0s"},
		{"http:200", Fault{}, false, "from 400 to 599"},
		{"http", Fault{}, false, "from 400 to 599"},
		{"reset:1", Fault{}, false, "takes no argument"},
		{"explode", Fault{}, false, `fault "explode" is not one of delay:<duration>, timeout`},
		{"", Fault{}, false, "is not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.serves, got.Serves())
			again, err := Parse(got.String())
			require.NoError(t, err, "String reads back")
			assert.Equal(t, got, again)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range Names {
		f.Add(s)
	}
	f.Add("delay:1h")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(got.String())
		if err != nil || again != got {
			t.Fatalf("%q parsed as %+v, which reads back as %+v (%v)", s, got, again, err)
		}
	})
}
