package report

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nswasi/nswasi/internal/results"
)

// figureBuilder makes one figure, or says why there is nothing to draw.
type figureBuilder func(d *Data) (*Figure, string)

// builders are the report's figures, in report order.
var builders = []figureBuilder{
	throughputFigure,
	hostRatioFigure,
	func(d *Data) (*Figure, string) { return latencyFigure(d, "rr") },
	func(d *Data) (*Figure, string) { return latencyFigure(d, "http") },
	cpuPerGBFigure,
	cpuPer1kFigure,
	idleFigure,
	hostcallsFigure,
	pollCostFigure,
	spuriousFigure,
	isolationFigure,
	fidelityFigure,
	fidelityRatioFigure,
	startFigure,
	memoryFigure,
}

// Figures builds every figure whose data is present and lists the others.
func Figures(d *Data) ([]*Figure, []Skipped) {
	var figs []*Figure
	var skipped []Skipped
	for _, b := range builders {
		f, why := b(d)
		if f == nil {
			title, reason, _ := strings.Cut(why, ": ")
			skipped = append(skipped, Skipped{Title: title, Reason: reason})
			continue
		}
		figs = append(figs, f)
	}
	return figs, skipped
}

const gbit = 1e9 / 8 // bytes/s per Gbit/s

func throughputFigure(d *Data) (*Figure, string) {
	const title = "Stream throughput"
	all := allRuns(d, "stream")
	if !anyOK(all) {
		return nil, title + ": no successful stream runs in the results"
	}
	v := mainVariant(all)
	all = onlyVariant(all, v)
	modes, runners, sizes, dirs := modesIn(all), runnersIn(all), sizesIn(all), directionsIn(all)
	styles := stylesFor(runners)
	oneSize := len(sizes) == 1
	f := &Figure{Name: "throughput", Title: title + " against message size (mean, 95% CI)", sharedY: true,
		legend: lineLegend(styles)}
	if oneSize {
		// One point per runner: a line plot would be a column of dots over
		// one tick, so runners sit side by side within each mode instead.
		f.Title = title + " at " + humanBytes(sizes[0]) + " messages (mean, 95% CI)"
		f.legend = dotLegend(styles)
		f.panelW = 4.6 * vg.Inch
	}
	for _, src := range d.benches() {
		srcRuns := onlyVariant(runsOf(src, "stream"), v)
		for _, dir := range dirs {
			runs := onlyDirection(srcRuns, dir)
			if oneSize {
				g := perRunnerMode(runs, modes, runners, sizes[0], false, func(r results.Run) (float64, float64, float64) {
					if !ok(r) {
						return math.NaN(), math.NaN(), math.NaN()
					}
					s := summary(r)
					// A CI reaching below zero cannot be drawn on a log axis; clip it.
					return s.Mean / gbit, math.Max(s.CILow, s.Mean/100) / gbit, s.CIHigh / gbit
				})
				g.dots = true
				if g.empty() {
					f.panels = append(f.panels, []*plot.Plot{nil})
					continue
				}
				f.panels = append(f.panels, []*plot.Plot{groupedPlot(panelTitle(d, src, directionLabel(dir), nil),
					"I/O mode", "throughput (Gbit/s, log)", g, true)})
				continue
			}
			var row []*plot.Plot
			for _, m := range modes {
				p := newPlot(panelTitle(d, src, directionLabel(dir)+" · "+m, failedRunners(runs, m)), "message size", "throughput (Gbit/s, log)")
				drew := false
				for i, r := range runners {
					var pts ciPoints
					for _, sz := range sizes {
						run, found := find(runs, r, m, sz)
						if !found || !ok(run) {
							continue
						}
						s := summary(run)
						// log10 on a linear axis; see groupedPlot. A CI reaching
						// below zero is clipped to a hundredth of the mean.
						lo := math.Max(s.CILow, s.Mean/100)
						pts.xy = append(pts.xy, plotter.XY{X: float64(sz), Y: math.Log10(s.Mean / gbit)})
						pts.lo, pts.hi = append(pts.lo, math.Log10(lo/gbit)), append(pts.hi, math.Log10(s.CIHigh/gbit))
					}
					if len(pts.xy) == 0 {
						continue
					}
					drew = true
					l, _ := plotter.NewLine(pts.xy)
					l.LineStyle = styles[i].lineStyle()
					sc, _ := plotter.NewScatter(pts.xy)
					sc.GlyphStyle = styles[i].glyphStyle()
					eb, _ := plotter.NewYErrorBars(pts)
					eb.LineStyle = styles[i].lineStyle()
					eb.LineStyle.Dashes = nil
					eb.CapWidth = vg.Points(6)
					p.Add(l, eb, sc)
				}
				if !drew {
					row = append(row, nil)
					continue
				}
				p.Add(plotter.NewGrid())
				p.X.Scale = plot.LogScale{}
				p.X.Tick.Marker = sizeTicks(sizes)
				p.X.Min, p.X.Max = float64(sizes[0])/1.5, float64(sizes[len(sizes)-1])*1.5
				p.Y.Tick.Marker = decadeTicks{}
				p.Y.Min, p.Y.Max = p.Y.Min-0.15, p.Y.Max+0.15
				row = append(row, p)
			}
			f.panels = append(f.panels, row)
		}
	}
	if oneSize {
		f.Caption = fmt.Sprintf("Stream throughput (%s, %s messages, untraced runs): one row per direction, runners side by side "+
			"within each I/O mode; log scale, whiskers are the 95%% confidence interval of the mean (Student's t on the repetitions). "+
			"\"failed\" marks a runner whose run there recorded an error and no repetition.", v, humanBytes(sizes[0]))
	} else {
		f.Caption = fmt.Sprintf("Stream throughput (%s, untraced runs) for each message size: one row per direction, one panel per I/O mode, "+
			"one line per runner; whiskers are the 95%% confidence interval of the mean (Student's t on the repetitions). "+
			"A runner named in a panel title as failed has no successful run there.", v)
	}
	return f, ""
}

func anyOK(runs []results.Run) bool {
	for _, r := range runs {
		if ok(r) {
			return true
		}
	}
	return false
}

// panelTitle names a panel by its mode, by its host when there are several,
// and lists the runners whose runs failed there.
func panelTitle(d *Data, src *Source, head string, failed []string) string {
	t := head
	if len(d.Sources) > 1 {
		t = src.Label + ": " + head
	}
	if len(failed) > 0 {
		t += "\n(failed: " + strings.Join(failed, ", ") + ")"
	}
	return t
}

// failedRunners lists runners whose every run in this mode failed.
func failedRunners(runs []results.Run, mode string) []string {
	bad, good := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		if r.Mode != mode {
			continue
		}
		if ok(r) {
			good[r.Label()] = true
		} else if r.Error != "" {
			bad[r.Label()] = true
		}
	}
	var out []string
	for _, r := range ordered(runs, runnerOf, runnerOrder) {
		if bad[r] && !good[r] {
			out = append(out, r)
		}
	}
	return out
}

type sizeTicks []int

func (s sizeTicks) Ticks(lo, hi float64) []plot.Tick {
	var t []plot.Tick
	for _, sz := range s {
		t = append(t, plot.Tick{Value: float64(sz), Label: humanBytes(sz)})
	}
	return t
}

// perRunnerMode fills a grouped panel (modes × runners) from value(run).
// value returns NaN when the run has nothing to show.
func perRunnerMode(runs []results.Run, modes, runners []string, size int, anySize bool,
	value func(results.Run) (v, lo, hi float64)) *grouped {
	g := newGrouped(modes, stylesFor(runners))
	for s, r := range runners {
		for m, mode := range modes {
			for _, run := range runs {
				if run.Label() != r || run.Mode != mode || (!anySize && run.Size != size) {
					continue
				}
				if run.Error != "" && !ok(run) {
					g.failed[s][m] = true
					continue
				}
				v, lo, hi := value(run)
				if !math.IsNaN(v) {
					g.set(s, m, v)
					g.setCI(s, m, lo, hi)
				}
			}
		}
	}
	return g
}

func latencyFigure(d *Data, scenario string) (*Figure, string) {
	title := scenario + " latency percentiles"
	all := allRuns(d, scenario)
	var with []results.Run
	for _, r := range all {
		if r.LatencyNS != nil || r.Error != "" {
			with = append(with, r)
		}
	}
	if !anyLatency(with) {
		return nil, title + ": no " + scenario + " runs with latency percentiles in the results"
	}
	v := mainVariant(with)
	with = onlyVariant(with, v)
	modes, runners := modesIn(with), runnersIn(with)
	f := &Figure{Name: "latency-" + scenario, Title: scenario + " request/response latency percentiles", legend: barLegend(stylesFor(runners))}
	pcts := []struct {
		name string
		get  func(*results.Latency) int64
	}{{"p50", func(l *results.Latency) int64 { return l.P50 }}, {"p99", func(l *results.Latency) int64 { return l.P99 }},
		{"p99.9", func(l *results.Latency) int64 { return l.P999 }}}
	for _, src := range d.benches() {
		runs := onlyVariant(runsOf(src, scenario), v)
		var row []*plot.Plot
		for _, pc := range pcts {
			g := perRunnerMode(runs, modes, runners, 0, true, func(r results.Run) (float64, float64, float64) {
				if r.LatencyNS == nil {
					return math.NaN(), math.NaN(), math.NaN()
				}
				return float64(pc.get(r.LatencyNS)) / 1e3, math.NaN(), math.NaN()
			})
			if g.empty() {
				row = append(row, nil)
				continue
			}
			// Log scale: tails under WASI reach hundreds of milliseconds while
			// native p50s are tens of microseconds; a linear axis flattens
			// every bar but the largest.
			row = append(row, groupedPlot(panelTitle(d, src, pc.name, nil), "I/O mode", pc.name+" latency (µs, log)", g, true))
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = fmt.Sprintf("%s latency (%s) over all repetitions: p50, p99 and p99.9 per runner and I/O mode, in microseconds. "+
		"Percentiles are pooled over the repetitions of untraced runs, so they carry no confidence interval. The y axes are logarithmic.", scenario, v)
	return f, ""
}

func anyLatency(runs []results.Run) bool {
	for _, r := range runs {
		if r.LatencyNS != nil {
			return true
		}
	}
	return false
}

func cpuPerGBFigure(d *Data) (*Figure, string) {
	const title = "CPU per GB"
	all := allRuns(d, "stream")
	has := func(r results.Run) bool { return r.CPU != nil && r.CPU.PerGB > 0 }
	if !anyWith(all, has) {
		return nil, title + ": no stream runs with CPU per GB in the results"
	}
	v := mainVariant(all)
	all = onlyVariant(all, v)
	modes, runners, sizes, dirs := modesIn(all), runnersIn(all), sizesIn(all), directionsIn(all)
	f := &Figure{Name: "cpu-per-gb", Title: "Stream: CPU seconds per GB moved, per direction and message size", legend: barLegend(stylesFor(runners))}
	if len(sizes) == 1 {
		f.panelW = 4.6 * vg.Inch // one column: room for the title
	}
	for _, src := range d.benches() {
		srcRuns := onlyVariant(runsOf(src, "stream"), v)
		for _, dir := range dirs {
			runs := onlyDirection(srcRuns, dir)
			var row []*plot.Plot
			for _, sz := range sizes {
				g := perRunnerMode(runs, modes, runners, sz, false, func(r results.Run) (float64, float64, float64) {
					if !has(r) {
						return math.NaN(), math.NaN(), math.NaN()
					}
					return r.CPU.PerGB, math.NaN(), math.NaN()
				})
				if g.empty() {
					row = append(row, nil)
					continue
				}
				row = append(row, groupedPlot(panelTitle(d, src, directionLabel(dir)+" · "+humanBytes(sz)+" messages", nil),
					"I/O mode", "CPU (s per GB)", g, false))
			}
			f.panels = append(f.panels, row)
		}
	}
	f.Caption = fmt.Sprintf("CPU time (user + system) of the sandbox process per 10⁹ bytes moved, in untraced stream runs (%s), "+
		"one row per direction, one panel per message size; each panel has its own scale. "+
		"\"failed\" marks a run that recorded an error and no repetition.", v)
	return f, ""
}

func anyWith(runs []results.Run, has func(results.Run) bool) bool {
	for _, r := range runs {
		if has(r) {
			return true
		}
	}
	return false
}

func cpuPer1kFigure(d *Data) (*Figure, string) {
	const title = "CPU per 1,000 requests"
	has := func(r results.Run) bool { return r.CPU != nil && r.CPU.Per1kReq > 0 }
	var scenarios []string
	var all []results.Run
	for _, sc := range []string{"rr", "http"} {
		runs := allRuns(d, sc)
		if anyWith(runs, has) {
			scenarios = append(scenarios, sc)
			all = append(all, runs...)
		}
	}
	if len(scenarios) == 0 {
		return nil, title + ": no rr or http runs with CPU per 1,000 requests in the results"
	}
	modes, runners := modesIn(all), runnersIn(all)
	f := &Figure{Name: "cpu-per-1k-requests", Title: "CPU seconds per 1,000 requests", legend: barLegend(stylesFor(runners))}
	var variants []string
	for _, sc := range scenarios {
		variants = append(variants, sc+": "+mainVariant(allRuns(d, sc)).String())
	}
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, sc := range scenarios {
			runs := onlyVariant(runsOf(src, sc), mainVariant(allRuns(d, sc)))
			g := perRunnerMode(runs, modes, runners, 0, true, func(r results.Run) (float64, float64, float64) {
				if !has(r) {
					return math.NaN(), math.NaN(), math.NaN()
				}
				return r.CPU.Per1kReq, math.NaN(), math.NaN()
			})
			if g.empty() {
				row = append(row, nil)
				continue
			}
			row = append(row, groupedPlot(panelTitle(d, src, sc, nil), "I/O mode", "CPU (s per 1,000 requests)", g, false))
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = "CPU time (user + system) of the sandbox process per 1,000 requests answered, in untraced runs (" + strings.Join(variants, "; ") + ")."
	return f, ""
}

func idleFigure(d *Data) (*Figure, string) {
	const title = "Idle CPU"
	all := allRuns(d, "idle")
	if !anyOK(all) {
		return nil, title + ": no successful idle runs in the results"
	}
	v := mainVariant(all)
	all = onlyVariant(all, v)
	modes, runners := modesIn(all), runnersIn(all)
	f := &Figure{Name: "idle-cpu", Title: "Idle CPU with open connections (mean, 95% CI)", legend: dotLegend(stylesFor(runners)),
		sharedY: true, panelW: 4.6 * vg.Inch}
	for _, src := range d.benches() {
		runs := onlyVariant(runsOf(src, "idle"), v)
		g := perRunnerMode(runs, modes, runners, 0, true, func(r results.Run) (float64, float64, float64) {
			if !ok(r) {
				return math.NaN(), math.NaN(), math.NaN()
			}
			s := summary(r)
			// A CI reaching below zero cannot be drawn on a log axis; clip it.
			return s.Mean * 1e3, math.Max(s.CILow*1e3, s.Mean*1e3/100), s.CIHigh * 1e3
		})
		g.dots = true
		if g.empty() {
			f.panels = append(f.panels, []*plot.Plot{nil})
			continue
		}
		f.panels = append(f.panels, []*plot.Plot{groupedPlot(panelTitle(d, src, "idle", nil), "I/O mode", "CPU (ms per s, log)", g, true)})
	}
	f.Caption = fmt.Sprintf("CPU the sandbox process burns while its connections are idle (%s), in milliseconds of CPU per second "+
		"of wall time (1000 = one core busy), untraced runs; log scale, whiskers are the 95%% CI of the mean. "+
		"A log axis has no zero: a runner that burned no measurable CPU is written as \"0\" at the foot of its slot.", v)
	return f, ""
}

// hostcallFunctions are the host calls shown by name; the rest are summed as "other".
func hostcallFunctions(runs []results.Run) []string {
	total := map[string]int64{}
	for _, r := range runs {
		for name, hc := range r.Hostcalls {
			total[name] += hc.Calls
		}
	}
	var names []string
	for n := range total {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if total[names[i]] != total[names[j]] {
			return total[names[i]] > total[names[j]]
		}
		return names[i] < names[j]
	})
	if len(names) > 4 {
		names = append(names[:4:4], "other")
	}
	return names
}

// Denominators of per-operation host-call rates, best first.
const (
	perMessage   = iota // Counters.Messages: the guest's own count
	perOperation        // Detail.Ops: operations the driver completed in the measured repetitions
	perReadWrite        // the guest's read and write calls
	perNothing
)

// denominator returns what a run's host calls can be divided by, of the
// given kind or the best it has when kind is -1.
func denominator(r results.Run, kind int) (n float64, got int) {
	if (kind < 0 || kind == perMessage) && r.Counters != nil && r.Counters.Messages > 0 {
		return float64(r.Counters.Messages), perMessage
	}
	if kind < 0 || kind == perOperation {
		if r.Detail != nil && r.Detail.Ops > 0 {
			return float64(r.Detail.Ops), perOperation
		}
	}
	if (kind < 0 || kind == perReadWrite) && r.Counters != nil && r.Counters.Reads+r.Counters.Writes > 0 {
		return float64(r.Counters.Reads + r.Counters.Writes), perReadWrite
	}
	return 0, perNothing
}

// commonDenominator is the best kind every run with host calls has, so one
// figure never mixes two.
func commonDenominator(runs []results.Run) int {
	kind := perMessage
	for _, r := range runs {
		if len(r.Hostcalls) == 0 {
			continue
		}
		if _, got := denominator(r, -1); got > kind {
			kind = got
		}
	}
	return kind
}

func denominatorName(kind int) string {
	switch kind {
	case perMessage:
		return "message"
	case perOperation:
		return "operation"
	default:
		return "guest read/write"
	}
}

// lifeCaveat says that host calls cover the guest's whole life while
// operations cover only the measured repetitions, with the warm-up's share
// of the driven time when the configuration records it.
func lifeCaveat(d *Data) string {
	t := "Host calls are counted over the guest's whole life (start-up and warm-up included), operations only over the measured repetitions, " +
		"so a rate is an upper bound"
	for _, s := range d.benches() {
		c := s.Bench.Config
		w, du, reps := c.Warmup.D(), c.Duration.D(), float64(c.Reps)
		if reps > 0 && du > 0 {
			t += fmt.Sprintf(" (%s: the warm-up is %.0f%% of the driven time)", s.Label, 100*w.Seconds()/(w.Seconds()+reps*du.Seconds()))
		}
	}
	return t + "."
}

// wasiView is one scenario view of the host-call figures.
type wasiView struct {
	scenario  string
	direction string
	size      int
	anySize   bool // every size (rr has one)
	label     string
}

func (v wasiView) has(r results.Run) bool {
	return r.Scenario == v.scenario && r.Direction == v.direction && (v.anySize || r.Size == v.size)
}

// wasiPanels are the scenario views the host-call figures use: stream at
// its largest size in each direction, and rr.
func wasiPanels(d *Data) []wasiView {
	var out []wasiView
	stream := withHostcalls(allHostcallRuns(d, "stream"))
	for _, dir := range directionsIn(stream) {
		if sz, found := largestSize(onlyDirection(stream, dir)); found {
			label := "stream"
			if dir != "" {
				label += " " + dir
			}
			out = append(out, wasiView{"stream", dir, sz, false, label + " " + humanBytes(sz)})
		}
	}
	if len(allHostcallRuns(d, "rr")) > 0 {
		out = append(out, wasiView{"rr", "", 0, true, "rr"})
	}
	return out
}

// allHostcallRuns gathers one scenario's runs with host calls over every source.
func allHostcallRuns(d *Data, scenario string) []results.Run {
	var out []results.Run
	for _, s := range d.benches() {
		out = append(out, hostcallRunsOf(s, scenario)...)
	}
	return out
}

func withHostcalls(runs []results.Run) []results.Run {
	var out []results.Run
	for _, r := range runs {
		if len(r.Hostcalls) > 0 {
			out = append(out, r)
		}
	}
	return out
}

func hostcallsFigure(d *Data) (*Figure, string) {
	const title = "WASI host calls per operation"
	views := wasiPanels(d)
	if len(views) == 0 {
		return nil, title + ": no runs with traced host calls in the results"
	}
	var traced []results.Run
	for _, s := range d.benches() {
		traced = append(traced, withHostcalls(s.Bench.Runs)...)
	}
	funcs := hostcallFunctions(traced)
	styles := stylesFor(funcs)
	wasiRunners := runnersIn(traced)
	kind := commonDenominator(traced)
	if kind == perNothing {
		return nil, title + ": no traced run has a message, operation or read/write count to divide by"
	}
	unit := "host calls per " + denominatorName(kind)
	f := &Figure{Name: "hostcalls-per-message", Title: "WASI host calls per " + denominatorName(kind) + ", by function",
		legend: barLegend(styles), panelW: 3.6 * vg.Inch}
	for _, src := range d.benches() {
		for _, view := range views {
			var row []*plot.Plot
			for _, wr := range wasiRunners {
				var mine []results.Run
				for _, r := range withHostcalls(src.Bench.Runs) {
					if r.Label() == wr && view.has(r) {
						mine = append(mine, r)
					}
				}
				modes := modesIn(mine)
				g := newGrouped(modes, styles)
				for m, mode := range modes {
					for _, r := range mine {
						if r.Mode != mode {
							continue
						}
						n, _ := denominator(r, kind)
						if n == 0 {
							continue
						}
						for s, fn := range funcs {
							var calls int64
							if fn == "other" {
								for name, hc := range r.Hostcalls {
									if indexOf(funcs, name) < 0 {
										calls += hc.Calls
									}
								}
							} else if hc, found := r.Hostcalls[fn]; found {
								calls = hc.Calls
							}
							g.set(s, m, float64(calls)/n)
						}
					}
				}
				if g.empty() {
					row = append(row, nil)
					continue
				}
				row = append(row, groupedPlot(panelTitle(d, src, view.label+" · "+wr, nil), "I/O mode", unit, g, false))
			}
			f.panels = append(f.panels, row)
		}
	}
	if !anyPanel(f.panels) {
		return nil, title + ": no traced run has a message, operation or read/write count to divide by"
	}
	f.Caption = "WASI host calls made per " + denominatorName(kind) + denominatorNote(kind) +
		", by function (the four most called by name, the rest as \"other\"), one row per workload, one panel per WASI runner, from the traced runs. " +
		"Modes whose traced runs failed are left out. "
	if kind != perReadWrite {
		f.Caption += lifeCaveat(d)
	}
	return f, ""
}

func anyPanel(panels [][]*plot.Plot) bool {
	for _, r := range panels {
		for _, p := range r {
			if p != nil {
				return true
			}
		}
	}
	return false
}

func denominatorNote(kind int) string {
	switch kind {
	case perOperation:
		return " (what the driver completed: a chunk of the message size for stream, a transaction for rr)"
	case perReadWrite:
		return " (the guest's own read and write calls: the run recorded no message or operation count)"
	}
	return ""
}

// pollTimeouts lists the poll_timeout each source's configuration records.
func pollTimeouts(d *Data) string {
	var out []string
	for _, s := range d.benches() {
		if v := s.Bench.Config.PollTimeout.D(); v > 0 {
			if t := v.String(); indexOf(out, t) < 0 {
				out = append(out, t)
			}
		}
	}
	return strings.Join(out, ", ")
}

// spurious is the fraction of readiness waits after which the next read or
// write found nothing to do (EAGAIN), from the guest's own counters.
func spurious(c *results.Counters) (float64, bool) {
	if c == nil || c.Waits == 0 {
		return math.NaN(), false
	}
	return float64(c.Spurious) / float64(c.Waits), true
}

func spuriousFigure(d *Data) (*Figure, string) {
	const title = "Spurious readiness"
	counted := func(r results.Run) bool { _, has := spurious(r.Counters); return has && ok(r) }
	// One panel per scenario (stream per direction) in which a successful
	// run counted readiness waits.
	var views []string
	var withWaits, all []results.Run
	for _, sc := range []string{"stream", "rr", "conn", "idle", "http"} {
		runs := allRuns(d, sc)
		for _, r := range runs {
			if counted(r) {
				withWaits = append(withWaits, r)
				if n := scenarioName(r); indexOf(views, n) < 0 {
					views = append(views, n)
				}
			}
		}
		all = append(all, runs...)
	}
	if len(views) == 0 {
		return nil, title + ": no successful run counted readiness waits"
	}
	sort.SliceStable(views, func(i, j int) bool { return viewOrder(views[i]) < viewOrder(views[j]) })
	modes, runners := modesIn(withWaits), runnersIn(all)
	f := &Figure{Name: "spurious-readiness", Title: "Spurious readiness: waits that woke to nothing", legend: barLegend(stylesFor(runners))}
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, vw := range views {
			g := newGrouped(modes, stylesFor(runners))
			for s, r := range runners {
				for m, mode := range modes {
					var sp, waits int64
					failed := false
					for _, run := range measuredRuns(src) {
						if scenarioName(run) != vw || run.Label() != r || run.Mode != mode {
							continue
						}
						if counted(run) {
							sp, waits = sp+run.Counters.Spurious, waits+run.Counters.Waits
						} else if !ok(run) && run.Error != "" {
							failed = true
						}
					}
					if waits > 0 {
						g.set(s, m, 100*float64(sp)/float64(waits))
					} else {
						g.failed[s][m] = failed
					}
				}
			}
			if g.empty() {
				row = append(row, nil)
				continue
			}
			p := groupedPlot(panelTitle(d, src, vw, nil), "I/O mode", "spurious wake-ups (% of waits)", g, false)
			p.Y.Max = math.Max(p.Y.Max, 10)
			row = append(row, p)
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = "Share of readiness waits after which the guest's next read, write or accept returned EAGAIN, " +
		"from the guest's own counters summed over the repetitions of successful untraced runs (and, for stream, over all message sizes). " +
		"Only modes whose waits the guest sees appear (poll; in netpoll the waits happen inside the Go runtime); " +
		"\"failed\" marks a run that recorded an error, whose counters are not a rate."
	return f, ""
}

// viewOrder sorts scenario names as the benchmark lists them.
func viewOrder(name string) int {
	for i, n := range []string{"stream", "stream in", "stream out", "rr", "conn", "idle", "http"} {
		if n == name {
			return i
		}
	}
	return 100
}

func fidelityFigure(d *Data) (*Figure, string) {
	const title = "Fidelity against iperf3"
	var srcs []*Source
	var tools, paths []string
	for _, s := range d.benches() {
		if len(s.Bench.Peers) == 0 {
			continue
		}
		srcs = append(srcs, s)
		for _, p := range s.Bench.Peers {
			if p.BPS == 0 {
				continue // not a throughput check, or skipped: see fidelityRatioFigure
			}
			if indexOf(paths, p.Path) < 0 {
				paths = append(paths, p.Path)
			}
			if indexOf(tools, p.Tool) < 0 {
				tools = append(tools, p.Tool)
			}
		}
	}
	if len(srcs) == 0 {
		return nil, title + ": no peer (iperf3) measurements in the results"
	}
	series := append([]string{"nswasi"}, tools...)
	styles := stylesFor(series)
	f := &Figure{Name: "fidelity-iperf3", Title: "Fidelity: nswasi's stream in vs reference tools on the same path", legend: barLegend(styles)}
	var row []*plot.Plot
	for _, src := range srcs {
		g := newGrouped(paths, styles)
		for _, p := range src.Bench.Peers {
			if p.BPS == 0 {
				continue
			}
			pi := indexOf(paths, p.Path)
			g.set(indexOf(series, p.Tool), pi, p.BPS/gbit)
			if p.Ratio > 0 && p.Tool == tools[0] {
				g.set(0, pi, p.Ratio*p.BPS/gbit)
			}
		}
		row = append(row, groupedPlot(panelTitle(d, src, "throughput by path", nil), "path", "throughput (Gbit/s)", g, false))
	}
	f.panels = [][]*plot.Plot{row}
	f.sharedY = true
	var cases []string
	for _, p := range paths {
		cases = append(cases, fmt.Sprintf("on the %s path, %s", p, peerCase(results.Peer{Path: p})))
	}
	f.Caption = "Throughput of a reference tool and of nswasi on the same path: " + strings.Join(cases, "; ") + ". " +
		"nswasi's bar is the tool's throughput times the ratio of the medians the benchmark recorded (nswasi_ratio)."
	return f, ""
}
