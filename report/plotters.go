package report

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// grouped draws categories along x (e.g. I/O modes) with one bar — or, on a
// log axis, one marker — per series in each category, and the 95% CI as a
// whisker where there are repetitions. A series whose run failed gets a
// "failed" mark instead of a bar, so a gap is never mistaken for zero.
type grouped struct {
	groups []string
	series []seriesStyle
	val    [][]float64 // [series][group]; NaN: no data
	lo, hi [][]float64 // CI; NaN: none
	failed [][]bool
	// zero marks a value of exactly 0 on a log axis, which cannot be
	// placed: it is written as "0" at the foot, so it is never mistaken
	// for a missing run.
	zero [][]bool
	dots bool // markers instead of bars (log axes have no zero)
}

func newGrouped(groups []string, series []seriesStyle) *grouped {
	g := &grouped{groups: groups, series: series}
	mk := func(v float64) [][]float64 {
		m := make([][]float64, len(series))
		for i := range m {
			m[i] = make([]float64, len(groups))
			for j := range m[i] {
				m[i][j] = v
			}
		}
		return m
	}
	g.val, g.lo, g.hi = mk(math.NaN()), mk(math.NaN()), mk(math.NaN())
	g.failed, g.zero = make([][]bool, len(series)), make([][]bool, len(series))
	for i := range g.failed {
		g.failed[i], g.zero[i] = make([]bool, len(groups)), make([]bool, len(groups))
	}
	return g
}

func (g *grouped) set(s, grp int, v float64) { g.val[s][grp] = v }
func (g *grouped) setCI(s, grp int, lo, hi float64) {
	g.lo[s][grp], g.hi[s][grp] = lo, hi
}

// empty reports whether no series has a value in any group.
func (g *grouped) empty() bool {
	for _, r := range g.val {
		for _, v := range r {
			if !math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

func (g *grouped) slot(s, grp int) (center, width float64) {
	w := 0.8 / float64(len(g.series))
	return float64(grp) - 0.4 + (float64(s)+0.5)*w, w
}

var failStyle = text.Style{Color: color.Black, Font: font.From(sansFont, 9), Rotation: math.Pi / 2, XAlign: draw.XLeft,
	YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}

var zeroStyle = text.Style{Color: color.Black, Font: font.From(sansFont, 10), XAlign: draw.XCenter,
	YAlign: draw.YBottom, Handler: plot.DefaultTextHandler}

var whisker = draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}

func (g *grouped) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	base := trY(math.Max(p.Y.Min, 0))
	if g.dots {
		base = trY(p.Y.Min)
	}
	for s, st := range g.series {
		for grp := range g.groups {
			cx, w := g.slot(s, grp)
			x := trX(cx)
			half := (trX(cx+w/2) - trX(cx-w/2)) / 2
			v := g.val[s][grp]
			if math.IsNaN(v) {
				if g.failed[s][grp] {
					c.FillText(failStyle, vg.Point{X: x, Y: base + vg.Points(3)}, "failed")
				} else if g.zero[s][grp] {
					c.FillText(zeroStyle, vg.Point{X: x, Y: base + vg.Points(3)}, "0")
				}
				continue
			}
			top := trY(v)
			if g.dots {
				// The whisker first, so that it does not hide the marker.
				g.whisker(c, trY, s, grp, x, half)
				c.DrawGlyph(st.glyphStyle(), vg.Point{X: x, Y: top})
				continue
			} else {
				r := vg.Rectangle{Min: vg.Point{X: x - half*0.92, Y: base}, Max: vg.Point{X: x + half*0.92, Y: top}}
				c.FillPolygon(st.color, c.ClipPolygonY(rectPoints(r)))
				c.StrokeLines(outline, c.ClipLinesY(append(rectPoints(r), r.Min))...)
				// The marker sits inside a bar tall enough to hold it,
				// otherwise just above it.
				my := base + vg.Points(7)
				if top-base < vg.Points(16) {
					my = top + vg.Points(7)
				}
				c.DrawGlyph(markerOnBar(st), vg.Point{X: x, Y: my})
			}
			g.whisker(c, trY, s, grp, x, half)
		}
	}
}

// whisker draws one value's confidence interval, if it has one.
func (g *grouped) whisker(c draw.Canvas, trY func(float64) vg.Length, s, grp int, x, half vg.Length) {
	if lo, hi := g.lo[s][grp], g.hi[s][grp]; !math.IsNaN(lo) && hi > lo {
		yl, yh := trY(lo), trY(hi)
		cap := half * 0.5
		c.StrokeLines(whisker, c.ClipLinesY([]vg.Point{{X: x, Y: yl}, {X: x, Y: yh}},
			[]vg.Point{{X: x - cap, Y: yl}, {X: x + cap, Y: yl}}, []vg.Point{{X: x - cap, Y: yh}, {X: x + cap, Y: yh}})...)
	}
}

func (g *grouped) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymin, ymax = math.Inf(1), math.Inf(-1)
	for s := range g.series {
		for grp := range g.groups {
			for _, v := range []float64{g.val[s][grp], g.lo[s][grp], g.hi[s][grp]} {
				if !math.IsNaN(v) {
					ymin, ymax = math.Min(ymin, v), math.Max(ymax, v)
				}
			}
		}
	}
	if !g.dots {
		ymin = math.Min(ymin, 0)
	}
	if math.IsInf(ymin, 1) {
		ymin, ymax = 0, 1
	}
	return -0.5, float64(len(g.groups)) - 0.5, ymin, ymax
}

// groupedPlot builds a panel around g: category labels on x, headroom on y.
// A log y axis is drawn by plotting log10 of the values on a linear axis
// with decade ticks: gonum/plot's LogScale places a long axis label by the
// linear midpoint of the range, which squeezes the panel.
func groupedPlot(title, xLabel, yLabel string, g *grouped, logY bool) *plot.Plot {
	p := newPlot(title, xLabel, yLabel)
	if logY {
		for s, r := range g.val {
			for i, v := range r {
				g.zero[s][i] = v == 0
			}
		}
		for _, m := range [][][]float64{g.val, g.lo, g.hi} {
			for _, r := range m {
				for i, v := range r {
					r[i] = log10OrNaN(v)
				}
			}
		}
	}
	p.Add(g)
	labels := make([]string, len(g.groups))
	for i, grp := range g.groups {
		labels[i] = tickLabel(grp)
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Font = font.From(sansFont, 11)
	_, _, lo, hi := g.DataRange()
	if logY {
		p.Y.Tick.Marker = decadeTicks{}
		// At least one labelled decade on each side of the data.
		p.Y.Min, p.Y.Max = math.Min(lo-0.3, math.Floor(lo)), math.Max(hi+0.3, math.Ceil(hi))
	} else {
		p.Y.Min, p.Y.Max = 0, hi*1.08
		p.Y.Tick.Marker = plainTicks{}
	}
	p.Add(plotter.NewGrid())
	return p
}

// tickLabel breaks a category name where it is too wide for its slot:
// "nonblocking", the one wide mode name, and a runner-and-host
// ("wasi+netns (nswasi)"), whose host goes on a line of its own.
func tickLabel(group string) string {
	l := strings.Replace(group, "nonblocking", "non-\nblocking", 1)
	return strings.Replace(l, " (", "\n(", 1)
}

// slotsWide is the panel width that gives each of n categories of
// runner-and-host labels room for its longest line ("wasi+netns"), beside
// the y axis.
func slotsWide(n int) vg.Length {
	return max(3.4*vg.Inch, vg.Length(n)*1.05*vg.Inch+0.8*vg.Inch)
}

func log10OrNaN(v float64) float64 {
	if v > 0 {
		return math.Log10(v)
	}
	return math.NaN()
}

// decadeTicks labels an axis that holds log10 of the data: a labelled tick
// at each power of ten, unlabelled ones at 2…9 times it.
type decadeTicks struct{}

func (decadeTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		if e >= lo && e <= hi {
			t = append(t, plot.Tick{Value: e, Label: strconv.FormatFloat(math.Pow(10, e), 'f', -1, 64)})
		}
		for k := 2.0; k <= 9; k++ {
			if v := e + math.Log10(k); v >= lo && v <= hi {
				t = append(t, plot.Tick{Value: v})
			}
		}
	}
	return t
}

// ciPoints is a line series with 95% CI whiskers.
type ciPoints struct {
	xy     plotter.XYs
	lo, hi []float64
}

func (c ciPoints) Len() int                        { return len(c.xy) }
func (c ciPoints) XY(i int) (float64, float64)     { return c.xy[i].X, c.xy[i].Y }
func (c ciPoints) YError(i int) (float64, float64) { return c.xy[i].Y - c.lo[i], c.hi[i] - c.xy[i].Y }

func barLegend(series []seriesStyle) []legendEntry {
	out := make([]legendEntry, len(series))
	for i, s := range series {
		out[i] = legendEntry{s.name, barThumb{s}}
	}
	return out
}

func lineLegend(series []seriesStyle) []legendEntry {
	out := make([]legendEntry, len(series))
	for i, s := range series {
		out[i] = legendEntry{s.name, lineThumb{s}}
	}
	return out
}

func dotLegend(series []seriesStyle) []legendEntry {
	out := make([]legendEntry, len(series))
	for i, s := range series {
		out[i] = legendEntry{s.name, dotThumb{s}}
	}
	return out
}

// plainTicks are gonum/plot's default ticks with labels in the report's
// number format ("250", not "250.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	t := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range t {
		if t[i].Label != "" {
			t[i].Label = num(t[i].Value)
		}
	}
	return t
}
