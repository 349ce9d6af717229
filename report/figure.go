package report

import (
	"bytes"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one figure of the report: a title, a grid of panels, a legend
// beside the panels (never over the data) and a caption for the text.
type Figure struct {
	// Name is the file stem under plots/.
	Name string
	// Title is drawn above the panels and used as the heading in the text.
	Title string
	// Caption says what the figure shows and how to read it.
	Caption string

	panels         [][]*plot.Plot // rows × columns; nil leaves a tile empty
	legend         []legendEntry
	panelW, panelH vg.Length
	sharedY        bool // one y range over all panels, so heights compare
}

// Skipped is a figure that was not drawn because its data is absent.
type Skipped struct {
	Title  string
	Reason string
}

type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

const titleBand = 0.45 * vg.Inch

var (
	figureTitleStyle = text.Style{Color: color.Black, Font: font.From(sansFont, 15), XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: plot.DefaultTextHandler}
	legendTextStyle = text.Style{Color: color.Black, Font: font.From(sansFont, 12), XAlign: draw.XLeft, YAlign: draw.YBottom,
		Handler: plot.DefaultTextHandler}
)

func (f *Figure) rows() int { return len(f.panels) }
func (f *Figure) cols() int {
	n := 0
	for _, r := range f.panels {
		n = max(n, len(r))
	}
	return n
}

func (f *Figure) legendWidth() vg.Length {
	if len(f.legend) == 0 {
		return 0
	}
	var w vg.Length
	for _, e := range f.legend {
		w = max(w, legendTextStyle.Width(e.name))
	}
	return w + 0.5*vg.Inch + 0.45*vg.Inch
}

// Size is the figure's size: sized for a 16:9 slide at full width.
func (f *Figure) Size() (w, h vg.Length) {
	pw, ph := f.panelW, f.panelH
	if pw == 0 {
		pw = 3.4 * vg.Inch
	}
	if ph == 0 {
		ph = 3.3 * vg.Inch
	}
	return vg.Length(f.cols())*pw + f.legendWidth() + 0.2*vg.Inch, vg.Length(f.rows())*ph + titleBand
}

func (f *Figure) draw(dc draw.Canvas) {
	dc.FillPolygon(color.White, rectPoints(dc.Rectangle))
	dc.FillText(figureTitleStyle, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(8)}, f.Title)
	if f.sharedY {
		shareY(f.panels)
	}
	// Pad every row to the same number of columns for plot.Align.
	cols := f.cols()
	grid := make([][]*plot.Plot, len(f.panels))
	for i, r := range f.panels {
		grid[i] = append(append([]*plot.Plot(nil), r...), make([]*plot.Plot, cols-len(r))...)
	}
	area := dc
	area.Max.Y -= titleBand
	area.Max.X -= f.legendWidth()
	tiles := draw.Tiles{Rows: len(grid), Cols: cols, PadX: vg.Points(14), PadY: vg.Points(14),
		PadTop: vg.Points(2), PadBottom: vg.Points(6), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align(grid, tiles, area)
	for i, r := range grid {
		for j, p := range r {
			if p != nil {
				p.Draw(canvases[i][j])
			}
		}
	}
	if len(f.legend) > 0 {
		l := plot.NewLegend()
		l.TextStyle = legendTextStyle
		l.Top, l.Left = true, true
		l.ThumbnailWidth = 0.5 * vg.Inch
		l.Padding = vg.Points(4)
		for _, e := range f.legend {
			l.Add(e.name, e.thumb)
		}
		lc := dc
		lc.Min.X = area.Max.X + vg.Points(10)
		lc.Max.Y -= titleBand + vg.Points(20)
		l.Draw(lc)
	}
}

// shareY gives every panel the union of their y ranges.
func shareY(panels [][]*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range panels {
		for _, p := range r {
			if p != nil {
				lo, hi = math.Min(lo, p.Y.Min), math.Max(hi, p.Y.Max)
			}
		}
	}
	for _, r := range panels {
		for _, p := range r {
			if p != nil {
				p.Y.Min, p.Y.Max = lo, hi
			}
		}
	}
}

// SVG renders the figure as a standalone SVG document. Fonts are not
// embedded (that would add ~400 kB per figure); text names Liberation Sans,
// which browsers replace with the metric-compatible Arial or Helvetica.
func (f *Figure) SVG() ([]byte, error) {
	w, h := f.Size()
	c := vgsvg.New(w, h)
	f.draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	// Name fallbacks, so a machine without Liberation Sans uses a
	// metric-compatible font rather than the browser's default serif.
	return bytes.ReplaceAll(b.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// pngDPI makes a 12-inch-wide figure about 1800 pixels wide: sharp on a
// projector and on a high-density screen.
const pngDPI = 150

// PNG renders the figure as a PNG image on a white background.
func (f *Figure) PNG() ([]byte, error) {
	w, h := f.Size()
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	f.draw(draw.New(c))
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
