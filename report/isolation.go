package report

import (
	"fmt"
	"image/color"

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
	mismatchLine = draw.LineStyle{Color: color.Black, Width: vg.Points(3.5)}
	cellLine     = draw.LineStyle{Color: color.White, Width: vg.Points(1.5)}
)

// isoGrid draws one source's isolation cells: probes down, runners across.
type isoGrid struct {
	probes  []string
	runners []string
	cells   map[[2]string]results.Cell
}

func newIsoGrid(iso *results.Isolation) *isoGrid {
	g := &isoGrid{cells: map[[2]string]results.Cell{}}
	for _, p := range iso.Probes {
		g.probes = append(g.probes, p.Name)
	}
	g.runners = append(g.runners, iso.Runners...)
	for _, c := range iso.Cells {
		if indexOf(g.probes, c.Probe) < 0 {
			g.probes = append(g.probes, c.Probe)
		}
		if indexOf(g.runners, c.Runner) < 0 {
			g.runners = append(g.runners, c.Runner)
		}
		g.cells[[2]string{c.Probe, c.Runner}] = c
	}
	return g
}

func cellText(size font.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(sansFont, size), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: plot.DefaultTextHandler}
}

func (g *isoGrid) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	n := len(g.probes)
	for i, probe := range g.probes {
		y := float64(n - 1 - i)
		for j, runner := range g.runners {
			r := vg.Rectangle{Min: vg.Point{X: trX(float64(j) - 0.5), Y: trY(y - 0.5)}, Max: vg.Point{X: trX(float64(j) + 0.5), Y: trY(y + 0.5)}}
			center := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
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
			c.FillPolygon(fill, rectPoints(r))
			c.StrokeLines(cellLine, append(rectPoints(r), r.Min))
			if found && cell.Mismatch {
				in := vg.Points(2)
				box := vg.Rectangle{Min: vg.Point{X: r.Min.X + in, Y: r.Min.Y + in}, Max: vg.Point{X: r.Max.X - in, Y: r.Max.Y - in}}
				c.StrokeLines(mismatchLine, append(rectPoints(box), box.Min, rectPoints(box)[1]))
				c.FillText(cellText(10, ink), vg.Point{X: center.X, Y: center.Y + vg.Points(6)}, label+" !")
				c.FillText(cellText(8.5, ink), vg.Point{X: center.X, Y: center.Y - vg.Points(6)}, "expected "+cell.Expected)
				continue
			}
			c.FillText(cellText(10, ink), center, label)
		}
	}
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
		g := newIsoGrid(s.Isolation)
		head := "observed verdicts"
		if s.Isolation.Partial {
			head += " (PARTIAL run)"
		}
		p := newPlot(panelTitle(d, s, head, nil), "runner", "")
		p.Add(g)
		p.NominalX(g.runners...)
		rev := make([]string, len(g.probes))
		for i, pr := range g.probes {
			rev[len(g.probes)-1-i] = pr
		}
		p.NominalY(rev...)
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = g.DataRange()
		p.X.Tick.Label.Font = font.From(sansFont, 11)
		p.Y.Tick.Label.Font = font.From(sansFont, 11)
		row = append(row, p)
		for _, c := range s.Isolation.Cells {
			cells++
			if c.Mismatch {
				mismatches++
			}
			if c.Observed == "" {
				notRun++
			}
		}
	}
	f.panels = [][]*plot.Plot{row}
	f.legend = []legendEntry{
		{"allowed", swatch{allowedColor, cellLine}},
		{"denied", swatch{deniedColor, cellLine}},
		{"not run", swatch{notRunColor, cellLine}},
		{"mismatch", swatch{color.White, mismatchLine}},
	}
	f.Caption = fmt.Sprintf("Each cell is one probe under one runner, coloured by the verdict the oracle outside the sandbox observed. "+
		"A thick black frame and \"!\" mark a mismatch with the expected verdict; grey cells could not run (their reasons are listed below). "+
		"%d cells, %d mismatches, %d not run.", cells, mismatches, notRun)
	return f, ""
}
