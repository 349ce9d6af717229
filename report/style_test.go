package report

import (
	"fmt"
	"testing"

	"github.com/nswasi/nswasi/sandbox/runners"
)

// Every runner the registry knows has one style of its own, whatever else
// a figure shows and in whatever order: netns+fw once had none and took
// whichever slot was free, so its colour changed from figure to figure.
func TestRunnerStylesStableAndDistinct(t *testing.T) {
	names := runners.Names()
	ref := map[string]seriesStyle{}
	for _, s := range stylesFor(names) {
		ref[s.name] = s
	}
	seen := map[string]string{}
	for _, n := range names {
		s := ref[n]
		key := fmt.Sprintf("%v %T", s.color, s.glyph)
		if other, dup := seen[key]; dup {
			t.Errorf("runners %s and %s share colour and marker %s", other, n, key)
		}
		seen[key] = n
	}
	// Subsets in other orders, mixed with names that are not runners.
	cases := [][]string{
		{"netns+fw"},
		{"wasi+netns", "netns+fw", "iperf3"},
		{"fd_read", "netns+fw", "native"},
		{"poll_oneoff", "sock_accept", "fd_write", "wasi", "netns+fw", "netns"},
	}
	for _, c := range cases {
		for _, s := range stylesFor(c) {
			want, isRunner := ref[s.name]
			if !isRunner {
				continue
			}
			if s.color != want.color || s.glyph != want.glyph || fmt.Sprint(s.dash) != fmt.Sprint(want.dash) {
				t.Errorf("in %v, %s is drawn as %v %T, elsewhere as %v %T", c, s.name, s.color, s.glyph, want.color, want.glyph)
			}
		}
	}
	// Colours alone must tell the runners apart (the markers help in greyscale).
	colours := map[string]string{}
	for _, n := range names {
		c := fmt.Sprint(ref[n].color)
		if other, dup := colours[c]; dup {
			t.Errorf("runners %s and %s share colour %s", other, n, c)
		}
		colours[c] = n
	}
}
