package report

import (
	"image/color"
	"math"

	"github.com/nswasi/nswasi/internal/runnerinfo"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series styles come in slots. The first slots are the registry's
// runner-and-host series (package runnerinfo), each with the colour and
// marker the registry declares, so a runner-and-host is drawn alike in
// every figure; the registry test keeps them distinct. The slots after
// them are for other series (host calls, tools): Paul Tol's "muted"
// scheme, also safe for colour-vision deficiencies, with markers no runner
// uses. Every slot also has its own dash pattern, so a figure printed in
// greyscale still tells the series apart.
var (
	registrySeries = runnerinfo.AllSeries()
	extraColours   = []color.RGBA{
		{0x33, 0x22, 0x88, 0xff}, // indigo
		{0x88, 0x22, 0x55, 0xff}, // wine
		{0x99, 0x99, 0x33, 0xff}, // olive
		{0x11, 0x77, 0x33, 0xff}, // green
	}
	extraGlyphs  = []draw.GlyphDrawer{draw.PlusGlyph{}, hollowGlyph{polyGlyph{3, 0}}, hollowGlyph{draw.BoxGlyph{}}, polyGlyph{5, 0}}
	palette      = seriesColours()
	seriesGlyphs = seriesMarkers()
	seriesDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1), vg.Points(4)}, {vg.Points(2), vg.Points(2)},
		{vg.Points(4), vg.Points(2), vg.Points(1), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)},
		{vg.Points(12), vg.Points(4)}, {vg.Points(3), vg.Points(5)}, {vg.Points(10), vg.Points(2), vg.Points(2), vg.Points(2)},
		{vg.Points(5), vg.Points(5)}, {vg.Points(14), vg.Points(3), vg.Points(3), vg.Points(3)}}
)

// glyphs draws each of the registry's markers. The runner-and-hosts get
// solid shapes: a thin outline vanishes under a confidence whisker.
var glyphs = map[runnerinfo.Marker]draw.GlyphDrawer{
	runnerinfo.Circle:        draw.CircleGlyph{},
	runnerinfo.Box:           draw.BoxGlyph{},
	runnerinfo.Cross:         draw.CrossGlyph{},
	runnerinfo.TriangleUp:    polyGlyph{3, 0},
	runnerinfo.TriangleDown:  polyGlyph{3, math.Pi},
	runnerinfo.Diamond:       polyGlyph{4, 0},
	runnerinfo.HollowDiamond: hollowGlyph{polyGlyph{4, 0}},
}

func seriesColours() []color.RGBA {
	var out []color.RGBA
	for _, s := range registrySeries {
		out = append(out, s.Style.Colour)
	}
	return append(out, extraColours...)
}

// seriesMarkers is the glyph of each slot; a marker the report cannot
// draw is a circle here and fails TestEveryRegistryMarkerIsDrawn.
func seriesMarkers() []draw.GlyphDrawer {
	var out []draw.GlyphDrawer
	for _, s := range registrySeries {
		g, ok := glyphs[s.Style.Marker]
		if !ok {
			g = draw.CircleGlyph{}
		}
		out = append(out, g)
	}
	return append(out, extraGlyphs...)
}

// polyGlyph is a filled regular polygon with one corner up, turned by
// rot: 3 sides is a triangle, 4 a diamond.
type polyGlyph struct {
	sides int
	rot   float64
}

func (g polyGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.25 // a polygon inside the circle of radius r looks smaller than the circle
	var pts []vg.Point
	for i := range g.sides {
		a := math.Pi/2 + g.rot + 2*math.Pi*float64(i)/float64(g.sides)
		pts = append(pts, vg.Point{X: pt.X + r*vg.Length(math.Cos(a)), Y: pt.Y + r*vg.Length(math.Sin(a))})
	}
	c.FillPolygon(sty.Color, pts)
}

// hollowGlyph draws a filled glyph with a white hole: a thick outline.
type hollowGlyph struct{ inner draw.GlyphDrawer }

func (g hollowGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	g.inner.DrawGlyph(c, sty, pt)
	hole := sty
	hole.Color, hole.Radius = color.White, sty.Radius*0.55
	g.inner.DrawGlyph(c, hole, pt)
}

// runnerOrder is every runner-and-host label a result can carry, in the
// registry's display order.
var runnerOrder = runnerHostLabels()

func runnerHostLabels() []string {
	var out []string
	for _, s := range registrySeries {
		out = append(out, s.Label())
	}
	return out
}

// seriesSlot is the fixed slot of a runner-and-host label, or -1 for a
// name that is not one (a host call, a tool). A WASI runner without a host
// is a result from before hosts were recorded: the registry's legacy
// host's.
func seriesSlot(name string) int {
	if s, ok := runnerinfo.SeriesOf(name); ok {
		return indexOf(runnerOrder, s.Label())
	}
	return -1
}

// modeOrder is the order of I/O modes on every axis.
var modeOrder = []string{"blocking", "nonblocking", "poll", "netpoll"}

// seriesStyle is how one series (a runner, a host call, a tool) is drawn.
type seriesStyle struct {
	name  string
	color color.Color
	glyph draw.GlyphDrawer
	dash  []vg.Length
}

// styleAt is slot i's style. Past the palette, colours and markers
// repeat, but with another dash pattern for each round, so the lookup is
// total and two series never look exactly alike.
func styleAt(name string, i int) seriesStyle {
	round := i / len(palette)
	return seriesStyle{name: name, color: palette[i%len(palette)], glyph: seriesGlyphs[i%len(seriesGlyphs)],
		dash: seriesDashes[(i+round)%len(seriesDashes)]}
}

// styleOf is the style of one runner-and-host label wherever it is drawn,
// and ok is false for a name that is not one.
func styleOf(label string) (s seriesStyle, ok bool) {
	if k := seriesSlot(label); k >= 0 {
		return styleAt(label, k), true
	}
	return seriesStyle{}, false
}

// stylesFor gives each name a style: runner-and-host labels keep their
// fixed slot, other names (host calls, tools) take the free ones in order.
func stylesFor(names []string) []seriesStyle {
	out := make([]seriesStyle, len(names))
	used := map[int]bool{}
	for i, n := range names {
		if k := seriesSlot(n); k >= 0 {
			out[i] = styleAt(n, k)
			used[k] = true
		}
	}
	next := 0
	for i, n := range names {
		if out[i].name != "" {
			continue
		}
		for used[next] {
			next++
		}
		out[i] = styleAt(n, next)
		used[next] = true
	}
	return out
}

func (s seriesStyle) lineStyle() draw.LineStyle {
	return draw.LineStyle{Color: s.color, Width: vg.Points(2), Dashes: s.dash}
}

func (s seriesStyle) glyphStyle() draw.GlyphStyle {
	return draw.GlyphStyle{Color: s.color, Radius: vg.Points(4), Shape: s.glyph}
}

// lineThumb is a legend entry for a line series: the dashed line and its marker.
type lineThumb struct{ s seriesStyle }

func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(t.s.lineStyle(), c.Min.X, y, c.Max.X, y)
	c.DrawGlyph(t.s.glyphStyle(), c.Center())
}

// dotThumb is a legend entry for a marker-only series.
type dotThumb struct{ s seriesStyle }

func (t dotThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyph(t.s.glyphStyle(), c.Center()) }

// barThumb is a legend entry for a bar series: the filled box and its marker.
type barThumb struct{ s seriesStyle }

func (t barThumb) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	r.Min.X += (r.Max.X - r.Min.X) / 6
	r.Max.X -= (r.Max.X - r.Min.X) / 6
	c.FillPolygon(t.s.color, c.ClipPolygonXY(rectPoints(r)))
	c.StrokeLines(outline, c.ClipLinesXY(append(rectPoints(r), r.Min))...)
	c.DrawGlyph(markerOnBar(t.s), c.Center())
}

// markerOnBar draws the series marker in white with a black rim on a bar, so
// bars whose colours collapse to the same grey still differ.
func markerOnBar(s seriesStyle) draw.GlyphStyle {
	return draw.GlyphStyle{Color: color.White, Radius: vg.Points(3.5), Shape: outlinedGlyph{s.glyph}}
}

type outlinedGlyph struct{ inner draw.GlyphDrawer }

func (g outlinedGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	big := sty
	big.Color = color.Black
	big.Radius = sty.Radius + vg.Points(1.2)
	g.inner.DrawGlyph(c, big, pt)
	g.inner.DrawGlyph(c, sty, pt)
}

var outline = draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}

func rectPoints(r vg.Rectangle) []vg.Point {
	return []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
}

// sansFont is Liberation Sans (metric-compatible with Arial), which reads
// better on slides than gonum/plot's default serif.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot with slide-sized sans-serif text.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansFont, 13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 12)
		a.Tick.Label.Font = font.From(sansFont, 11)
	}
	p.BackgroundColor = color.White
	return p
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
