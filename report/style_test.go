package report

import (
	"fmt"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/wasirun"
)

// everyLabel is every runner-and-host label a result can carry: each
// runner of the registry, a WASI one under each WASI host.
func everyLabel() []string {
	var out []string
	for _, r := range runners.All {
		if !r.Wasm {
			out = append(out, results.Label(r.Name, ""))
			continue
		}
		for _, h := range wasirun.WASIHosts {
			out = append(out, results.Label(r.Name, h))
		}
	}
	return out
}

// The style lookup is total over runner × WASI host, and no two
// runner-and-hosts share a colour or a marker: "wasi (wazero)" and
// "wasi (nswasi)" are two series, told apart in colour and in greyscale.
func TestEveryRunnerAndHostHasItsOwnStyle(t *testing.T) {
	labels := everyLabel()
	if len(labels) <= len(runners.All) {
		t.Fatalf("labels %v: no WASI runner is listed once per host", labels)
	}
	colours, glyphs := map[string]string{}, map[string]string{}
	for _, l := range labels {
		s, ok := styleOf(l)
		if !ok {
			t.Errorf("%s has no style", l)
			continue
		}
		c, g := fmt.Sprint(s.color), fmt.Sprintf("%#v", s.glyph)
		if other, dup := colours[c]; dup {
			t.Errorf("%s and %s share colour %s", other, l, c)
		}
		if other, dup := glyphs[g]; dup {
			t.Errorf("%s and %s share marker %s", other, l, g)
		}
		colours[c], glyphs[g] = l, l
		// The same wherever it is drawn: alone, or among host calls.
		for _, names := range [][]string{{l}, {"poll_oneoff", "fd_read", l}, append([]string{"iperf3"}, labels...)} {
			for _, got := range stylesFor(names) {
				if got.name == l && (got.color != s.color || fmt.Sprintf("%#v", got.glyph) != g || fmt.Sprint(got.dash) != fmt.Sprint(s.dash)) {
					t.Errorf("%s drawn differently among %v", l, names)
				}
			}
		}
	}
	// A WASI runner without a host comes from a file older than two hosts:
	// it is drawn as wazero's, the host it ran on.
	for _, r := range runners.All {
		if r.Wasm {
			bare, _ := styleOf(r.Name)
			old, _ := styleOf(results.Label(r.Name, wasirun.HostWazero))
			if bare.color != old.color {
				t.Errorf("%s without a host is drawn as %v, %s as %v", r.Name, bare.color, results.Label(r.Name, wasirun.HostWazero), old.color)
			}
		}
	}
	// Past the palette, styles repeat colours but never the whole look.
	seen := map[string]int{}
	for i := range 3 * len(palette) {
		s := styleAt("x", i)
		k := fmt.Sprintf("%v %#v %v", s.color, s.glyph, s.dash)
		if j, dup := seen[k]; dup {
			t.Errorf("slots %d and %d look alike: %s", j, i, k)
		}
		seen[k] = i
	}
	// Other names never take a runner-and-host's colour while one is shown.
	for _, s := range stylesFor([]string{"poll_oneoff", "wasi (nswasi)", "fd_read"}) {
		if s.name != "wasi (nswasi)" && s.color == mustStyle(t, "wasi (nswasi)").color {
			t.Errorf("%s shares wasi (nswasi)'s colour", s.name)
		}
	}
}

func mustStyle(t *testing.T, l string) seriesStyle {
	t.Helper()
	s, ok := styleOf(l)
	if !ok {
		t.Fatalf("%s has no style", l)
	}
	return s
}

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
