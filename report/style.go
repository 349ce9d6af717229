package report

import (
	"image/color"

	"github.com/nswasi/nswasi/sandbox/runners"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// okabeIto is the Okabe-Ito palette (Okabe & Ito 2008), chosen because its
// colours stay distinct under the common colour-vision deficiencies. Black
// is left out: it is used for axes, text and mismatch marks.
var okabeIto = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xff}, // blue
	{0xE6, 0x9F, 0x00, 0xff}, // orange
	{0x00, 0x9E, 0x73, 0xff}, // bluish green
	{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	{0xF0, 0xE4, 0x42, 0xff}, // yellow
}

// Every series also gets its own marker and dash pattern, so a figure
// printed in greyscale still tells the series apart.
var (
	seriesGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{},
		draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}}
	seriesDashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)},
		{vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}, {vg.Points(12), vg.Points(4)}, {vg.Points(1), vg.Points(4)},
		{vg.Points(4), vg.Points(2), vg.Points(1), vg.Points(2)}}
)

// runnerOrder fixes each runner's position, so a runner has the same colour
// and marker in every figure. It is the runner registry's order: a runner
// added there gets its own slot here without a second list to keep in step.
var runnerOrder = runners.Names()

// modeOrder is the order of I/O modes on every axis.
var modeOrder = []string{"blocking", "nonblocking", "poll", "netpoll"}

// seriesStyle is how one series (a runner, a host call, a tool) is drawn.
type seriesStyle struct {
	name  string
	color color.Color
	glyph draw.GlyphDrawer
	dash  []vg.Length
}

func styleAt(name string, i int) seriesStyle {
	return seriesStyle{name: name, color: okabeIto[i%len(okabeIto)], glyph: seriesGlyphs[i%len(seriesGlyphs)],
		dash: seriesDashes[i%len(seriesDashes)]}
}

// stylesFor gives each name a style; known runners keep their fixed slot.
func stylesFor(names []string) []seriesStyle {
	out := make([]seriesStyle, len(names))
	used := map[int]bool{}
	for i, n := range names {
		if k := indexOf(runnerOrder, n); k >= 0 {
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
