package report

import (
	"fmt"
	"image"
	"image/color"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/runners"
)

// isoFixture is an isolation file of n probes under every runner, with a
// mismatch in row 7 under netns and in row n-6 under wasi, like the
// suite's 21 probes.
func isoFixture(n int) *Data {
	iso := &results.Isolation{Runners: runners.Names()}
	for i := range n {
		name := fmt.Sprintf("probe-%02d", i)
		iso.Probes = append(iso.Probes, results.ProbeInfo{Name: name})
		for j, r := range iso.Runners {
			c := results.Cell{Probe: name, Runner: r, Expected: results.Denied, Observed: results.Denied}
			if (i+j)%3 == 0 {
				c.Expected, c.Observed = results.Allowed, results.Allowed
			}
			if (i == 7 && r == "netns") || (i == n-6 && r == "wasi") {
				c.Expected, c.Observed, c.Mismatch = results.Denied, results.Allowed, true
			}
			iso.Cells = append(iso.Cells, c)
		}
	}
	return &Data{Sources: []*Source{{Label: "fixture", Isolation: iso}}}
}

// within reports whether in lies inside out, give or take rounding.
func within(in, out vg.Rectangle) bool {
	const eps = 1e-6
	return in.Min.X >= out.Min.X-eps && in.Min.Y >= out.Min.Y-eps && in.Max.X <= out.Max.X+eps && in.Max.Y <= out.Max.Y+eps
}

// In a mismatch cell the frame is centred on its cell and lies on the
// cell's fill, and the text lies inside the frame: with the suite's 21
// probes the frame once sat off its cell and "allowed !" ran over it.
func TestIsolationMatrixMismatchCells(t *testing.T) {
	hostA, err := Load("testdata/hostA")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		d    *Data
	}{{"21 probes", isoFixture(21)}, {"40 probes", isoFixture(40)}, {"hostA fixture", hostA}} {
		t.Run(tc.name, func(t *testing.T) {
			f, why := isolationFigure(tc.d)
			if f == nil {
				t.Fatal(why)
			}
			p, g := isoPanel(tc.d, tc.d.isolations()[0])
			const dpi = 150
			c := vgimg.NewWith(vgimg.UseWH(f.panelW, f.panelH), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
			p.Draw(draw.New(c))
			img := c.Image()
			framed := 0
			for _, l := range g.drawn {
				if l.frame == (vg.Rectangle{}) {
					for _, line := range l.lines {
						if !within(line.box(), l.fill) {
							t.Errorf("%s/%s: text %q spills out of its cell", l.probe, l.runner, line.text)
						}
					}
					continue
				}
				framed++
				half := mismatchLine.Width / 2
				outer, inner := inset(l.frame, -half), inset(l.frame, half)
				if !within(outer, l.fill) {
					t.Errorf("%s/%s: frame %v reaches out of the cell's fill %v", l.probe, l.runner, outer, l.fill)
				}
				if len(l.lines) == 0 || l.lines[0].text != "allowed !" {
					t.Errorf("%s/%s: mismatch text %v, want \"allowed !\" first", l.probe, l.runner, l.lines)
				}
				for _, line := range l.lines {
					if !within(line.box(), inner) {
						t.Errorf("%s/%s: text %q at %v overlaps the frame (inside %v)", l.probe, l.runner, line.text, line.box(), inner)
					}
				}
				checkFramePixels(t, img, l, dpi)
			}
			if framed != 2 && tc.name != "hostA fixture" {
				t.Errorf("%d framed cells drawn, want 2", framed)
			}
			if framed == 0 {
				t.Error("no framed cell drawn")
			}
		})
	}
}

// checkFramePixels finds the black pixels in a mismatch cell of the
// rendered image: their bounding box (the frame's outer edge) must sit
// inside the cell's fill with equal margins left and right, top and bottom.
func checkFramePixels(t *testing.T, img image.Image, l cellLayout, dpi float64) {
	t.Helper()
	b := img.Bounds()
	px := func(p vg.Point) image.Point {
		return image.Point{X: int(float64(p.X) * dpi / 72), Y: b.Max.Y - int(float64(p.Y)*dpi/72)}
	}
	lo, hi := px(l.fill.Min), px(l.fill.Max) // hi is the top-right corner: smaller Y
	box := image.Rectangle{Min: image.Point{X: b.Max.X, Y: b.Max.Y}}
	for y := hi.Y; y <= lo.Y; y++ {
		for x := lo.X; x <= hi.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0x2000 && g < 0x2000 && bl < 0x2000 {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x), max(box.Max.Y, y)
			}
		}
	}
	if box.Empty() {
		t.Errorf("%s/%s: no frame pixels in the cell", l.probe, l.runner)
		return
	}
	left, right := box.Min.X-lo.X, hi.X-box.Max.X
	top, bottom := box.Min.Y-hi.Y, lo.Y-box.Max.Y
	if abs(left-right) > 2 || abs(top-bottom) > 2 {
		t.Errorf("%s/%s: frame off centre in its cell: margins left %d right %d top %d bottom %d px", l.probe, l.runner, left, right, top, bottom)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
