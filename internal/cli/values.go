package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
)

// sizeUnits are the byte units of a size, binary whatever the spelling:
// "K" is what people type and KiB what they mean.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
}

// ParseSize reads a byte count as --sizes and experiment files take it:
// 4096, 64K, 64KiB, 1M, 1MiB, 1.5K (K and KB mean KiB). A fraction must
// come to whole bytes. The error is plain, for the caller to place.
func ParseSize(s string) (int, error) {
	n, err := ParseQuantity(s, sizeUnits)
	if err != nil || n != float64(int64(n)) || n > 1<<40 {
		return 0, fmt.Errorf("%q: want a byte size such as 4096, 64KiB or 1MiB", s)
	}
	return int(n), nil
}

// ParseQuantity reads a non-negative number with one of units after it
// (case and spaces aside), "1.5 KiB" or "100mbit", and returns the number
// times the unit's value. A unit "" makes the unit optional.
func ParseQuantity(s string, units map[string]float64) (float64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := units[unit]
	if !ok || num == "" {
		return 0, fmt.Errorf("%q: unknown unit", s)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || x < 0 {
		return 0, fmt.Errorf("%q: not a number", s)
	}
	return x * mult, nil
}

// SplitList splits a comma-separated flag value, dropping empty fields.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ParseSizes reads a comma-separated list of positive sizes (ParseSize)
// given to the flag named flag.
func ParseSizes(flag, s string) ([]int, error) {
	var out []int
	for _, f := range SplitList(s) {
		n, err := ParseSize(f)
		if err == nil && n <= 0 {
			err = fmt.Errorf("%q: want a size of at least 1 byte", f)
		}
		if err != nil {
			return nil, usage.BadInput("%s %v", flag, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseInts reads a comma-separated list of positive integers.
func ParseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range SplitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, usage.BadInput("%s: %q is not a positive integer", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParsePercent reads "5%" or "0.05" as a fraction; empty is 0.
func ParsePercent(flag, s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if pct {
		f /= 100
	}
	if err != nil || f <= 0 || f >= 1 {
		return 0, usage.BadInput("%s %q: want a percentage between 0 and 100, e.g. 5%%", flag, s)
	}
	return f, nil
}

// ParseShard reads --shard I/N; empty means the whole run (0, 0).
func ParseShard(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usage.BadInput("--shard %q: want I/N with 1 ≤ I ≤ N, e.g. 2/8", s)
	}
	return i, n, nil
}

// IsSet reports whether the flag called name was given on the command
// line, as opposed to holding its default.
func IsSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
