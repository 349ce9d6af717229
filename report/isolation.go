package report

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nswasi/nswasi/internal/results"
)

// Verdict colours: light orange for allowed and dark blue for denied differ
// in lightness as well as hue, so they survive greyscale; every cell also
// says its verdict in words.
var (
	allowedColor = color.RGBA{0xE6, 0x9F, 0x00, 0xff}
	deniedColor  = color.RGBA{0x00, 0x72, 0xB2, 0xff}
	notRunColor  = color.RGBA{0xE0, 0xE0, 0xE0, 0xff}
	mismatchLine = draw.LineStyle{Color: color.Black, Width: vg.Points(2.5)}
	cellLine     = draw.LineStyle{Color: color.White, Width: vg.Points(1.5)}
)

// Text sizes in a cell: the verdict, and the expected verdict under it in
// a mismatch cell that has room for a second line.
const (
	verdictSize  = font.Length(10)
	expectedSize = font.Length(8.5)
)

// isoRowHeight is the least height of a matrix row: room for the verdict
// inside a mismatch frame. The panel grows with the number of probes
// rather than squeezing rows until text and frame overlap.
const isoRowHeight = 0.28 * vg.Inch

// isoGrid draws one source's isolation cells: probes down, runners across.
type isoGrid struct {
	probes  []string
	runners []string
	cells   map[[2]string]results.Cell
	// drawn records the layout of each cell as last drawn, for the tests
	// that check frames and text stay inside their cells.
	drawn []cellLayout
}

// cellLayout is where one cell's parts go on the canvas.
type cellLayout struct {
	probe, runner string
	cell          vg.Rectangle // the whole cell, white separators included
	fill          vg.Rectangle // what stays coloured inside the separators
	frame         vg.Rectangle // the mismatch frame's centre line; zero without one
	lines         []textLine   // text, top to bottom
}

type textLine struct {
	text  string
	style text.Style
	at    vg.Point // centre of the text
}

// box is the rectangle a line's text covers.
func (l textLine) box() vg.Rectangle {
	w, h := l.style.Width(l.text), l.style.Height(l.text)
	return vg.Rectangle{Min: vg.Point{X: l.at.X - w/2, Y: l.at.Y - h/2}, Max: vg.Point{X: l.at.X + w/2, Y: l.at.Y + h/2}}
}

func inset(r vg.Rectangle, d vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: r.Min.X + d, Y: r.Min.Y + d}, Max: vg.Point{X: r.Max.X - d, Y: r.Max.Y - d}}
}

// layoutCell places a cell's frame and text. The frame's stroke lies
// wholly on the cell's fill, neither on the white separator nor on the
// neighbour, and the text lies wholly inside the frame: the verdict with
// "!" always, the expected verdict under it only where both lines fit
// (the verdicts are two, so a framed "allowed !" says "expected denied").
func layoutCell(r vg.Rectangle, label string, ink color.Color, mismatch bool, expected string) cellLayout {
	l := cellLayout{cell: r, fill: inset(r, cellLine.Width/2)}
	center := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
	main := textLine{text: label, style: cellText(verdictSize, ink), at: center}
	if !mismatch {
		l.lines = []textLine{main}
		return l
	}
	l.frame = inset(l.fill, mismatchLine.Width/2)
	inner := inset(l.fill, mismatchLine.Width)
	main.text = label + " !"
	second := textLine{text: "expected " + expected, style: cellText(expectedSize, ink)}
	h1, h2 := main.style.Height(main.text), second.style.Height(second.text)
	pad := vg.Points(1.5)
	if h1+h2+2*pad <= inner.Max.Y-inner.Min.Y && second.style.Width(second.text)+2*pad <= inner.Max.X-inner.Min.X {
		top := center.Y + (h1+h2)/2
		main.at.Y = top - h1/2
		second.at = vg.Point{X: center.X, Y: top - h1 - h2/2}
		l.lines = []textLine{main, second}
		return l
	}
	l.lines = []textLine{main}
	return l
}

func newIsoGrid(iso *results.Isolation) *isoGrid {
	g := &isoGrid{cells: map[[2]string]results.Cell{}}
	for _, p := range iso.Probes {
		g.probes = append(g.probes, p.Name)
	}
	g.runners = isoColumns(iso)
	for _, c := range iso.Cells {
		if indexOf(g.probes, c.Probe) < 0 {
			g.probes = append(g.probes, c.Probe)
		}
		g.cells[[2]string{c.Probe, c.Label()}] = c
	}
	return g
}

// isoColumns are the matrix's columns: one per runner-and-host that has
// cells, in the report's order (Isolation.Runners names runners only, and
// one WASI runner runs under each host), then any listed runner without a
// cell, so that it shows as a column of "no cell" rather than vanishing.
func isoColumns(iso *results.Isolation) []string {
	seen := map[string]bool{}
	var labels []string
	for _, c := range iso.Cells {
		if !seen[c.Label()] {
			seen[c.Label()] = true
			labels = append(labels, c.Label())
		}
		seen[c.Runner] = true
	}
	out := orderedNames(labels, runnerOrder)
	for _, r := range iso.Runners {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func cellText(size font.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sansFont, size), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

func (g *isoGrid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(g.probes)
	g.drawn = g.drawn[:0]
	for i, probe := range g.probes {
		y := float64(n - 1 - i)
		for j, runner := range g.runners {
			r := vg.Rectangle{Min: vg.Point{X: trX(float64(j) - 0.5), Y: trY(y - 0.5)}, Max: vg.Point{X: trX(float64(j) + 0.5), Y: trY(y + 0.5)}}
			cell, found := g.cells[[2]string{probe, runner}]
			fill, label, ink := notRunColor, "not run", color.Color(color.Black)
			switch {
			case !found:
				label = "no cell"
			case cell.Observed == results.Allowed:
				fill, label = allowedColor, "allowed"
			case cell.Observed == results.Denied:
				fill, label, ink = deniedColor, "denied", color.White
			}
			l := layoutCell(r, label, ink, found && cell.Mismatch, cell.Expected)
			l.probe, l.runner = probe, runner
			g.drawn = append(g.drawn, l)
			c.FillPolygon(fill, rectPoints(r))
			c.StrokeLines(cellLine, append(rectPoints(r), r.Min))
			if l.frame != (vg.Rectangle{}) {
				// Closed past the first corner, so the corner is mitred, not notched.
				c.StrokeLines(mismatchLine, append(rectPoints(l.frame), l.frame.Min, rectPoints(l.frame)[1]))
			}
			for _, t := range l.lines {
				c.FillText(t.style, t.at, t.text)
			}
		}
	}
}

// isoPanel is one source's matrix panel and the grid it draws.
func isoPanel(d *Data, s *Source) (*plot.Plot, *isoGrid) {
	g := newIsoGrid(s.Isolation)
	head := "observed verdicts"
	if s.Isolation.Partial {
		head += " (PARTIAL run)"
	}
	p := newPlot(panelTitle(d, s, head, nil), "runner (WASI host)", "")
	p.Add(g)
	ticks := make([]string, len(g.runners))
	for i, r := range g.runners {
		// "wasi+netns (nswasi)" on one line would run into its neighbours.
		ticks[i] = strings.Replace(r, " (", "\n(", 1)
	}
	p.NominalX(ticks...)
	rev := make([]string, len(g.probes))
	for i, pr := range g.probes {
		rev[len(g.probes)-1-i] = pr
	}
	p.NominalY(rev...)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = g.DataRange()
	p.X.Tick.Label.Font = font.From(sansFont, 11)
	p.Y.Tick.Label.Font = font.From(sansFont, 11)
	p.X.Label.Padding = vg.Points(8) // clear of a two-word runner name's descenders
	return p, g
}

// isoPanelHeight is the panel height that gives n probe rows isoRowHeight
// each, with room for the panel's title and runner axis.
func isoPanelHeight(n int) vg.Length {
	return vg.Length(n)*isoRowHeight + 1.1*vg.Inch
}

// isoPanelWidth gives each of n columns room for "denied" and for a
// runner-and-host label broken over two lines, beside the probe names.
func isoPanelWidth(n int) vg.Length {
	return vg.Length(n)*0.95*vg.Inch + 2.1*vg.Inch
}

func (g *isoGrid) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(g.runners)) - 0.5, -0.5, float64(len(g.probes)) - 0.5
}

// swatch is a legend entry for a verdict colour.
type swatch struct {
	fill   color.Color
	border draw.LineStyle
}

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	r.Min.X += vg.Points(6)
	r.Max.X -= vg.Points(6)
	c.FillPolygon(s.fill, rectPoints(r))
	c.StrokeLines(s.border, append(rectPoints(r), r.Min, rectPoints(r)[1]))
}

func isolationFigure(d *Data) (*Figure, string) {
	const title = "Isolation matrix"
	srcs := d.isolations()
	if len(srcs) == 0 {
		return nil, title + ": no isolation.json among the result directories"
	}
	f := &Figure{Name: "isolation-matrix", Title: "Isolation matrix: what each sandbox let the guest do",
		panelW: 6.2 * vg.Inch, panelH: 4.6 * vg.Inch}
	var row []*plot.Plot
	var cells, mismatches, notRun int
	for _, s := range srcs {
		p, g := isoPanel(d, s)
		row = append(row, p)
		f.panelH = max(f.panelH, isoPanelHeight(len(g.probes)))
		f.panelW = max(f.panelW, isoPanelWidth(len(g.runners)))
		n := s.Isolation.Counts()
		cells, mismatches, notRun = cells+n.Cells, mismatches+n.Mismatches, notRun+n.NotRun
	}
	f.panels = [][]*plot.Plot{row}
	f.legend = []legendEntry{
		{"allowed", swatch{allowedColor, cellLine}},
		{"denied", swatch{deniedColor, cellLine}},
		{"not run", swatch{notRunColor, cellLine}},
		{"mismatch", swatch{color.White, mismatchLine}},
	}
	f.Caption = fmt.Sprintf("Each cell is one probe under one runner — a WASI runner once per WASI host, e.g. \"wasi (nswasi)\" — coloured by the verdict the oracle outside the sandbox observed. "+
		"A thick black frame and \"!\" mark a mismatch: the oracle observed the opposite of the expected verdict "+
		"(a cell tall enough also says \"expected …\"); grey cells could not run (their reasons are listed below). "+
		"%d cells, %d mismatches, %d not run.", cells, mismatches, notRun)
	return f, ""
}
