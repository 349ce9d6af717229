package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nswasi/nswasi/internal/results"
)

// ratioView is one scenario (with its stream direction) at one size and
// variant, as the host-comparison figure and findings show it.
type ratioView struct {
	scenario, dir string
	size          int
	v             variant
	runs          []results.Run // this scenario, direction, size and variant
}

func (rv ratioView) label() string {
	n := rv.scenario
	if rv.dir != "" {
		n += " " + rv.dir
	}
	if rv.size > 0 {
		n += " · " + humanBytes(rv.size)
	}
	return n
}

// ratioScenarios are the scenarios whose metric is a rate (more is
// better), so that a ratio to native reads as "how fast". Idle CPU is a
// cost and has its own figure.
var ratioScenarios = []string{"stream", "rr", "http", "conn"}

// ratioViews picks, per scenario and direction, the main variant and the
// largest size at which some WASI run has a native counterpart to divide
// by; a view whose WASI runs all failed keeps its largest size, so the
// failures show.
func ratioViews(d *Data) []ratioView {
	var out []ratioView
	for _, sc := range ratioScenarios {
		all := allRuns(d, sc)
		if len(all) == 0 {
			continue
		}
		v := mainVariant(all)
		all = onlyVariant(all, v)
		for _, dir := range directionsIn(all) {
			runs := onlyDirection(all, dir)
			best, fallback := -1, -1
			for _, w := range runs {
				if !w.IsWASI() {
					continue
				}
				fallback = max(fallback, w.Size)
				if !ok(w) {
					continue
				}
				if nat, found := find(runs, nativeCounterpart(w.Runner), w.Mode, w.Size); found && ok(nat) {
					best = max(best, w.Size)
				}
			}
			if best < 0 {
				best = fallback
			}
			if best < 0 {
				continue
			}
			var sized []results.Run
			for _, r := range runs {
				if r.Size == best {
					sized = append(sized, r)
				}
			}
			out = append(out, ratioView{scenario: sc, dir: dir, size: best, v: v, runs: sized})
		}
	}
	return out
}

// nativeRatio is a WASI run against its native counterpart in the same
// source, mode, size and variant: the ratio of their means with Fieller's
// interval. found is false when either run is missing; failed is set when
// the WASI run recorded an error and no repetition.
func nativeRatio(runs []results.Run, w results.Run) (r ratio, found, failed bool) {
	if !ok(w) {
		return ratio{}, w.Error != "", w.Error != ""
	}
	nat, has := find(runs, nativeCounterpart(w.Runner), w.Mode, w.Size)
	if !has || !ok(nat) {
		return ratio{}, false, false
	}
	return fieller(w.Reps, nat.Reps), true, false
}

// hostRatioFigure puts native, WASI on wazero and WASI on nswasi's host side
// by side: per scenario and I/O mode, each WASI runner-and-host's mean as a
// ratio to its native counterpart's, with Fieller intervals.
func hostRatioFigure(d *Data) (*Figure, string) {
	const title = "WASI hosts against native"
	const none = title + ": no WASI runs of a rate scenario (stream, rr, http, conn) with a native counterpart in the results"
	// Views are chosen per source: a ratio is only ever taken inside one
	// source, whose sizes and variants may differ from another's.
	srcViews := map[*Source][]ratioView{}
	var every []results.Run
	for _, src := range d.benches() {
		srcViews[src] = ratioViews(&Data{Sources: []*Source{src}})
		for _, v := range srcViews[src] {
			every = append(every, v.runs...)
		}
	}
	labels := wasiLabelsIn(every)
	if len(labels) == 0 {
		return nil, none
	}
	styles := stylesFor(labels)
	modes := modesIn(every)
	f := &Figure{Name: "wasi-hosts-vs-native", Title: "WASI on each host against native, per scenario and I/O mode (ratio of means, 95% CI)",
		sharedY: true, panelW: 3.9 * vg.Inch}
	f.legend = append(dotLegend(styles), legendEntry{"native counterpart = 1", refThumb{}})
	// Two panels a row for one source, three for several, so the figure
	// keeps a slide's proportions and its text stays legible at page width.
	perRow := 3
	if len(d.benches()) == 1 {
		perRow = 2
	}
	unbounded, drawn := 0, 0
	var vs []string
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, view := range srcViews[src] {
			name := view.label() + ": " + view.v.String()
			if len(d.benches()) > 1 {
				name = src.Label + ", " + name
			}
			vs = append(vs, name)
			g := newGrouped(modes, styles)
			g.dots = true
			for s, l := range labels {
				for m, mode := range modes {
					w, has := find(view.runs, l, mode, view.size)
					if !has {
						continue
					}
					r, found, failed := nativeRatio(view.runs, w)
					if failed {
						g.failed[s][m] = true
					}
					if !found || failed {
						continue
					}
					drawn++
					g.set(s, m, r.value)
					if r.bounded {
						// A lower end at or below zero cannot sit on a log axis.
						g.setCI(s, m, math.Max(r.lo, r.value/100), r.hi)
					} else {
						unbounded++
					}
				}
			}
			if g.empty() && !anyFailed(g) {
				continue
			}
			p := groupedPlot(panelTitle(d, src, view.label(), nil), "I/O mode", "WASI mean ÷ native counterpart's (log)", g, true)
			// Room for the reference line at 1 (log10 = 0).
			p.Y.Min, p.Y.Max = math.Min(p.Y.Min, -0.3), math.Max(p.Y.Max, 0.3)
			p.Y.Tick.Marker = ratioTicks{}
			p.Add(refLine{})
			row = append(row, p)
		}
		if len(row) > 0 {
			f.panels = append(f.panels, wrapRow(row, perRow)...)
		}
	}
	if !anyPanel(f.panels) {
		return nil, none
	}
	f.Caption = "Mean of each WASI runner on each WASI host divided by the mean of its native counterpart in the same results, at the same " +
		"I/O mode, size, connection count and engine: wasi by native, wasi+netns by netns — the pair that differs by WASI alone, so a " +
		"network namespace's own cost is not counted as WASI's. The dashed line at 1 is the native counterpart; below it WASI is slower. " +
		"Untraced runs; rates only (bytes/s for stream, transactions/s for rr and http, connections/s for conn); log scale. " +
		"Whiskers are the 95% confidence interval of the ratio by Fieller's theorem from both runs' repetitions (Student's t with " +
		"min(n)−1 degrees of freedom). \"failed\" marks a WASI run that recorded an error and no repetition. Each panel is one " +
		"scenario at the largest size with ratios: " + strings.Join(vs, "; ") + "."
	if unbounded > 0 {
		f.Caption += fmt.Sprintf(" %d of %d ratios have no whisker: a run with one repetition, or a native mean not told apart from zero.", unbounded, drawn)
	}
	return f, ""
}

// wrapRow breaks one row of panels into rows of at most n.
func wrapRow(row []*plot.Plot, n int) [][]*plot.Plot {
	var out [][]*plot.Plot
	for len(row) > n {
		out = append(out, row[:n])
		row = row[n:]
	}
	return append(out, row)
}

func anyFailed(g *grouped) bool {
	for _, r := range g.failed {
		for _, f := range r {
			if f {
				return true
			}
		}
	}
	return false
}

// refLine is the dashed line at ratio 1 (log10 0): the native counterpart.
type refLine struct{}

var refStyle = draw.LineStyle{Color: color.Black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}

func (refLine) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	y := trY(0)
	c.StrokeLines(refStyle, c.ClipLinesY([]vg.Point{{X: trX(p.X.Min), Y: y}, {X: trX(p.X.Max), Y: y}})...)
}

type refThumb struct{}

func (refThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(refStyle, c.Min.X, y, c.Max.X, y)
}

// ratioTicks label an axis holding log10 of a ratio at 1, 2 and 5 times
// each power of ten, so that ratios between 0.1 and 1 — where WASI's
// usually lie — can be read off; the other integers carry unlabelled ticks.
type ratioTicks struct{}

func (ratioTicks) Ticks(lo, hi float64) []plot.Tick {
	if hi-lo > 2.5 {
		// Over more than two and a half decades 2 and 5 crowd the labels.
		return decadeTicks{}.Ticks(lo, hi)
	}
	var t []plot.Tick
	for e := math.Floor(lo); e <= math.Ceil(hi); e++ {
		for k := 1.0; k <= 9; k++ {
			v := e + math.Log10(k)
			if v < lo || v > hi {
				continue
			}
			tk := plot.Tick{Value: v}
			if k == 1 || k == 2 || k == 5 {
				tk.Label = strconv.FormatFloat(k*math.Pow(10, e), 'f', -1, 64)
			}
			t = append(t, tk)
		}
	}
	return t
}

// pollRuns are the traced runs that called poll_oneoff.
func pollRuns(runs []results.Run) []results.Run {
	var out []results.Run
	for _, r := range runs {
		if hc, found := r.Hostcalls["poll_oneoff"]; found && hc.Calls > 0 {
			out = append(out, r)
		}
	}
	return out
}

// pollCostFigure is poll_oneoff's cost per WASI runner-and-host: the host
// time per call with its interval, and the calls per operation.
func pollCostFigure(d *Data) (*Figure, string) {
	const title = "poll_oneoff cost per WASI host"
	var traced []results.Run
	for _, s := range d.benches() {
		traced = append(traced, pollRuns(s.Bench.Runs)...)
	}
	if len(traced) == 0 {
		return nil, title + ": no traced run called poll_oneoff"
	}
	var views []wasiView
	for _, v := range wasiPanels(d) {
		for _, r := range traced {
			if v.has(r) {
				views = append(views, v)
				break
			}
		}
	}
	labels := runnersIn(traced)
	styles := stylesFor(labels)
	kind := commonDenominator(traced)
	modes := modesIn(traced)
	f := &Figure{Name: "poll-oneoff-cost", Title: "poll_oneoff per WASI host: host time per call (mean, 95% CI) and calls per " +
		denominatorName(kind), legend: dotLegend(styles), panelW: 3.9 * vg.Inch}
	for _, src := range d.benches() {
		var timeRow, callRow []*plot.Plot
		for _, view := range views {
			var mine []results.Run
			for _, r := range pollRuns(src.Bench.Runs) {
				if view.has(r) {
					mine = append(mine, r)
				}
			}
			tg, cg := newGrouped(modes, styles), newGrouped(modes, styles)
			tg.dots, cg.dots = true, true
			for s, l := range labels {
				for m, mode := range modes {
					// A traced run that failed made no call worth dividing.
					for _, r := range src.Bench.Runs {
						if r.Traced && view.has(r) && r.Label() == l && r.Mode == mode && !ok(r) && r.Error != "" {
							tg.failed[s][m], cg.failed[s][m] = true, true
						}
					}
					for _, r := range mine {
						if r.Label() != l || r.Mode != mode {
							continue
						}
						mean, half := r.Hostcalls["poll_oneoff"].MeanCI()
						tg.set(s, m, mean/1e3)
						if half > 0 {
							tg.setCI(s, m, math.Max(mean-half, mean/100)/1e3, (mean+half)/1e3)
						}
						if n, _ := denominator(r, kind); n > 0 {
							cg.set(s, m, float64(r.Hostcalls["poll_oneoff"].Calls)/n)
						}
					}
				}
			}
			if tg.empty() {
				timeRow, callRow = append(timeRow, nil), append(callRow, nil)
				continue
			}
			timeRow = append(timeRow, groupedPlot(panelTitle(d, src, view.label+" · time per call", nil), "I/O mode", "µs per call (log)", tg, true))
			if cg.empty() {
				callRow = append(callRow, nil)
				continue
			}
			callRow = append(callRow, groupedPlot(panelTitle(d, src, view.label+" · calls per "+denominatorName(kind), nil), "I/O mode",
				"calls per "+denominatorName(kind)+" (log)", cg, true))
		}
		f.panels = append(f.panels, timeRow, callRow)
	}
	if !anyPanel(f.panels) {
		return nil, title + ": no traced run called poll_oneoff"
	}
	f.Caption = "poll_oneoff as each WASI host answers it, from the traced runs (host-call accounting on), per WASI runner-and-host and I/O mode: " +
		"above, the host's time per call — mean and 95% confidence interval of the mean over the run's calls (normal approximation from " +
		"the accounted sum of squares; no whisker when the file holds none); below, calls per " + denominatorName(kind) + denominatorNote(kind) +
		". Log scales: a wait that sleeps out its timeout costs milliseconds where an answered one costs microseconds. " +
		"Only workloads and modes in which some traced run called poll_oneoff appear; \"failed\" marks a traced run that recorded an error " +
		"and no repetition. "
	if kind != perReadWrite {
		f.Caption += lifeCaveat(d)
	}
	if pt := pollTimeouts(d); pt != "" {
		f.Caption += " The poll mode's readiness timeout was " + pt + "."
	}
	return f, ""
}

// hostRatioFindings state, per scenario view and I/O mode, each WASI
// runner-and-host's ratio to its native counterpart with its interval,
// naming the size, connection count and engine.
func hostRatioFindings(s *Source, add func(string, ...any)) {
	d := &Data{Sources: []*Source{s}}
	for _, view := range ratioViews(d) {
		for _, mode := range modesIn(view.runs) {
			var parts, failed []string
			for _, l := range wasiLabelsIn(view.runs) {
				w, has := find(view.runs, l, mode, view.size)
				if !has {
					continue
				}
				r, found, bad := nativeRatio(view.runs, w)
				if bad {
					failed = append(failed, l)
					continue
				}
				if !found {
					continue
				}
				t := fmt.Sprintf("%s at %s× %s %s", l, ratioCell(r.value), nativeCounterpart(w.Runner), mode)
				if r.bounded {
					t += fmt.Sprintf(" (95%% CI %s–%s)", ratioCell(math.Max(r.lo, 0)), ratioCell(r.hi))
				} else {
					t += " (no bounded CI)"
				}
				parts = append(parts, t)
			}
			if len(parts) == 0 && len(failed) == 0 {
				continue
			}
			where := []string{}
			if view.size > 0 {
				where = append(where, humanBytes(view.size))
			}
			where = append(where, connsName(view.v.conns))
			if view.v.engine != "" {
				where = append(where, "engine "+view.v.engine)
			}
			t := fmt.Sprintf("%s mode, %s (%s): ", upperFirst(mode), scenarioLong(view.scenario, view.dir), strings.Join(where, ", "))
			if len(parts) > 0 {
				t += "WASI ran " + strings.Join(parts, "; ")
			}
			if len(failed) > 0 {
				if len(parts) > 0 {
					t += "; "
				}
				t += "failed under " + strings.Join(failed, ", ")
			}
			add("%s.", t)
		}
	}
}

// scenarioLong names a scenario with its stream direction spelled out.
func scenarioLong(scenario, dir string) string {
	if scenario == "stream" {
		return directionLabel(dir)
	}
	return scenario
}

// pollCostFindings state poll_oneoff's time per call (with its interval)
// and calls per operation for each traced WASI runner-and-host.
func pollCostFindings(s *Source, add func(string, ...any)) {
	traced := pollRuns(s.Bench.Runs)
	if len(traced) == 0 {
		return
	}
	kind := commonDenominator(traced)
	d := &Data{Sources: []*Source{s}}
	for _, view := range wasiPanels(d) {
		var parts []string
		for _, l := range runnersIn(traced) {
			for _, mode := range modeOrder {
				for _, r := range traced {
					if !view.has(r) || r.Label() != l || r.Mode != mode {
						continue
					}
					mean, half := r.Hostcalls["poll_oneoff"].MeanCI()
					t := fmt.Sprintf("%s: %s", caseName(r), durationNS(mean))
					if half > 0 {
						t += " ± " + durationNS(half)
					}
					t += " per call"
					if n, _ := denominator(r, kind); n > 0 {
						t += fmt.Sprintf(", %s calls per %s", num(float64(r.Hostcalls["poll_oneoff"].Calls)/n), denominatorName(kind))
					}
					parts = append(parts, t)
				}
			}
		}
		if len(parts) > 0 {
			add("poll_oneoff in %s (traced runs; time per call as mean ± 95%% CI): %s.", view.label, strings.Join(parts, "; "))
		}
	}
}

// durationNS formats nanoseconds in the unit that keeps them short.
func durationNS(ns float64) string {
	switch {
	case ns >= 1e6:
		return num(ns/1e6) + " ms"
	case ns >= 1e3:
		return num(ns/1e3) + " µs"
	}
	return num(ns) + " ns"
}
