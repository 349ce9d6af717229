package cli

import (
	"testing"

	"github.com/nswasi/nswasi/internal/usage"
)

// One size grammar serves --sizes and experiment files.
func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{
		"0": 0, "64": 64, "4096": 4096, "64K": 64 << 10, "64k": 64 << 10, "64KiB": 64 << 10, "64 KB": 64 << 10,
		"1M": 1 << 20, "1MiB": 1 << 20, "1.5K": 1536, "7B": 7, " 2kib ": 2048,
	} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "K", "lots", "-1", "1.3", "1.0001K", "64G", "1e3", "2 TiB", "1..2"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func TestParseSizes(t *testing.T) {
	got, err := ParseSizes("--sizes", "64, 1K,,1MiB")
	if err != nil || len(got) != 3 || got[0] != 64 || got[1] != 1024 || got[2] != 1<<20 {
		t.Errorf("ParseSizes = %v, %v", got, err)
	}
	for _, in := range []string{"0", "64,x"} {
		if _, err := ParseSizes("--sizes", in); !usage.IsBadInput(err) {
			t.Errorf("ParseSizes(%q): %v, want an InputError", in, err)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, ok := range []struct {
		in   string
		i, n int
	}{{"", 0, 0}, {"1/1", 1, 1}, {"2/8", 2, 8}, {"8/8", 8, 8}} {
		if i, n, err := ParseShard(ok.in); err != nil || i != ok.i || n != ok.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", ok.in, i, n, err)
		}
	}
	for _, bad := range []string{"0/2", "3/2", "2", "a/b", "1/0", "-1/2"} {
		if _, _, err := ParseShard(bad); !usage.IsBadInput(err) {
			t.Errorf("ParseShard(%q): %v, want an InputError", bad, err)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for in, want := range map[string]float64{"": 0, "5%": 0.05, "0.05": 0.05, " 2.5% ": 0.025} {
		if got, err := ParsePercent("--target-ci", in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "100%", "x", "-5%"} {
		if _, err := ParsePercent("--target-ci", in); !usage.IsBadInput(err) {
			t.Errorf("ParsePercent(%q): %v, want an InputError", in, err)
		}
	}
}
