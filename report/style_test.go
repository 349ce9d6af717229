package report

import (
	"fmt"
	"testing"

	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// everyLabel is every runner-and-host label a result can carry: each
// runner of the registry, a WASI one under each WASI host.
func everyLabel() []string {
	var out []string
	for _, s := range runnerinfo.AllSeries() {
		out = append(out, s.Label())
	}
	return out
}

// The report draws each runner-and-host in the colour and marker the
// registry declares, and the colours of the runners that figures in talks
// already show do not move: a figure made after this change reads like one
// made before it.
func TestStylesComeFromTheRegistry(t *testing.T) {
	for _, s := range runnerinfo.AllSeries() {
		got := mustStyle(t, s.Label())
		if got.color != s.Style.Colour {
			t.Errorf("%s drawn in %v, registry says %v", s.Label(), got.color, s.Style.Colour)
		}
		if g, ok := glyphs[s.Style.Marker]; !ok || fmt.Sprintf("%#v", got.glyph) != fmt.Sprintf("%#v", g) {
			t.Errorf("%s drawn with %#v, registry says %s", s.Label(), got.glyph, s.Style.Marker)
		}
	}
	stable := map[string]string{
		"native": "#0072b2", "netns": "#e69f00", "netns+fw": "#f0e442", "wasi (wazero)": "#cc79a7",
		"wasi (nswasi)": "#009e73", "wasi+netns (wazero)": "#d55e00", "wasi+netns (nswasi)": "#56b4e9",
		"wasi": "#cc79a7", "wasi+netns": "#d55e00", // from files older than the WASI host
	}
	for l, want := range stable {
		c := mustStyle(t, l).color.(color.RGBA)
		if got := fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B); got != want {
			t.Errorf("%s is %s, was %s", l, got, want)
		}
	}
}

// Every marker the registry can name has a glyph here.
func TestEveryRegistryMarkerIsDrawn(t *testing.T) {
	for _, s := range runnerinfo.AllSeries() {
		if _, ok := glyphs[s.Style.Marker]; !ok {
			t.Errorf("%s: marker %q has no glyph", s.Label(), s.Style.Marker)
		}
	}
}

// The style lookup is total over runner × WASI host, and no two
// runner-and-hosts share a colour or a marker: "wasi (wazero)" and
// "wasi (nswasi)" are two series, told apart in colour and in greyscale.
func TestEveryRunnerAndHostHasItsOwnStyle(t *testing.T) {
	labels := everyLabel()
	if len(labels) <= len(runnerinfo.All) {
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
	for _, r := range runnerinfo.All {
		if r.WASI() {
			bare, _ := styleOf(r.Name)
			old, _ := styleOf(results.Label(r.Name, runnerinfo.LegacyHost))
			if bare.color != old.color {
				t.Errorf("%s without a host is drawn as %v, %s as %v", r.Name, bare.color, results.Label(r.Name, runnerinfo.LegacyHost), old.color)
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
	names := runnerinfo.Names()
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

// Runner-and-host tick labels fit their slots in the start and memory
// figures: the host goes on a line of its own, and the panel grows with
// the number of categories. Before, "wasi+netns (nswasi)" labels of the
// full experiment's 11 start categories ran into each other.
func TestRunnerAndHostLabelsFitTheirSlots(t *testing.T) {
	if got, want := tickLabel("wasi+netns (nswasi)\nwarm cache"), "wasi+netns\n(nswasi)\nwarm cache"; got != want {
		t.Errorf("tickLabel = %q, want %q", got, want)
	}
	if got, want := tickLabel("nonblocking"), "non-\nblocking"; got != want {
		t.Errorf("tickLabel = %q, want %q", got, want)
	}
	tick := text.Style{Font: font.From(sansFont, 11), Handler: plot.DefaultTextHandler}
	var widest vg.Length
	for _, l := range []string{"wasi+netns", "warm cache", "cold cache", "(nswasi)", "(wazero)", "netns+fw"} {
		widest = max(widest, tick.Width(l))
	}
	// The y axis, its label and ticks take at most this much of a panel.
	const yAxis = 0.8 * vg.Inch
	for _, n := range []int{4, 7, 11, 15} {
		// Categories are one unit apart; a label may use all of it but
		// for a small gap to its neighbours.
		if slot := (slotsWide(n) - yAxis) / vg.Length(n); slot < widest+vg.Points(4) {
			t.Errorf("%d categories: %.0f pt each for labels %.0f pt wide", n, slot.Points(), widest.Points())
		}
	}
}
