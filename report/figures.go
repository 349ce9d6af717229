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
	func(d *Data) (*Figure, string) { return latencyFigure(d, "rr") },
	func(d *Data) (*Figure, string) { return latencyFigure(d, "http") },
	cpuPerGBFigure,
	cpuPer1kFigure,
	idleFigure,
	hostcallsFigure,
	pollTimeFigure,
	spuriousFigure,
	isolationFigure,
	fidelityFigure,
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
	modes := modesIn(onlyVariant(all, v))
	runners := runnersIn(onlyVariant(all, v))
	styles := stylesFor(runners)
	sizes := sizesIn(onlyVariant(all, v))
	f := &Figure{Name: "throughput", Title: title + " against message size (mean, 95% CI)", sharedY: true,
		legend: lineLegend(styles)}
	for _, src := range d.benches() {
		runs := onlyVariant(runsOf(src, "stream"), v)
		var row []*plot.Plot
		for _, m := range modes {
			p := newPlot(panelTitle(d, src, m, failedRunners(runs, m)), "message size", "throughput (Gbit/s, log)")
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
	f.Caption = fmt.Sprintf("Stream throughput (%s) for each message size: one panel per I/O mode, one line per runner; "+
		"whiskers are the 95%% confidence interval of the mean (Student's t on the repetitions). "+
		"A runner named in a panel title as failed has no successful run there.", v)
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
			good[r.Runner] = true
		} else if r.Error != "" {
			bad[r.Runner] = true
		}
	}
	var out []string
	for _, r := range runnerOrder {
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
				if run.Runner != r || run.Mode != mode || (!anySize && run.Size != size) {
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
			row = append(row, groupedPlot(panelTitle(d, src, pc.name, nil), "I/O mode", pc.name+" latency (µs)", g, false))
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = fmt.Sprintf("%s latency (%s) over all repetitions: p50, p99 and p99.9 per runner and I/O mode, in microseconds. "+
		"Percentiles are pooled over the repetitions, so they carry no confidence interval.", scenario, v)
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
	modes, runners, sizes := modesIn(all), runnersIn(all), sizesIn(all)
	f := &Figure{Name: "cpu-per-gb", Title: "Stream: CPU seconds per GB moved, per message size", legend: barLegend(stylesFor(runners))}
	for _, src := range d.benches() {
		runs := onlyVariant(runsOf(src, "stream"), v)
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
			row = append(row, groupedPlot(panelTitle(d, src, humanBytes(sz)+" messages", nil), "I/O mode", "CPU (s per GB)", g, false))
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = fmt.Sprintf("CPU time (user + system) of the sandbox process per 10⁹ bytes moved, in stream runs (%s), "+
		"one panel per message size; each panel has its own scale.", v)
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
	f.Caption = "CPU time (user + system) of the sandbox process per 1,000 requests answered (" + strings.Join(variants, "; ") + ")."
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
		"of wall time (1000 = one core busy); log scale, whiskers are the 95%% CI of the mean.", v)
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

// messages is the denominator of per-message rates: the guest's message
// count when it has one, else its read and write calls.
func messages(r results.Run) (n int64, perMessage bool) {
	if r.Counters == nil {
		return 0, false
	}
	if r.Counters.Messages > 0 {
		return r.Counters.Messages, true
	}
	return r.Counters.Reads + r.Counters.Writes, false
}

// wasiView is one scenario view of the host-call figures.
type wasiView struct {
	scenario string
	size     int
	anySize  bool // every size (rr has one)
	label    string
}

// wasiPanels are the scenario views the host-call figures use: stream at
// its largest size, and rr.
func wasiPanels(d *Data) []wasiView {
	var out []wasiView
	stream := allRuns(d, "stream")
	if sz, found := largestSize(withHostcalls(stream)); found {
		out = append(out, wasiView{"stream", sz, false, "stream " + humanBytes(sz)})
	}
	if len(withHostcalls(allRuns(d, "rr"))) > 0 {
		out = append(out, wasiView{"rr", 0, true, "rr"})
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
	const title = "WASI host calls per message"
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
	allPerMessage := true
	for _, r := range traced {
		if _, pm := messages(r); !pm {
			allPerMessage = false
		}
	}
	unit := "host calls per message"
	if !allPerMessage {
		unit = "host calls per guest read/write"
	}
	f := &Figure{Name: "hostcalls-per-message", Title: "WASI host calls per message, by function", legend: barLegend(styles), panelW: 3.6 * vg.Inch}
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, view := range views {
			runs := withHostcalls(runsOf(src, view.scenario))
			for _, wr := range wasiRunners {
				var mine []results.Run
				for _, r := range runs {
					if r.Runner == wr && (view.anySize || r.Size == view.size) {
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
						n, _ := messages(r)
						if n == 0 {
							continue
						}
						if !allPerMessage {
							n = r.Counters.Reads + r.Counters.Writes
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
							g.set(s, m, float64(calls)/float64(n))
						}
					}
				}
				if g.empty() {
					continue
				}
				row = append(row, groupedPlot(panelTitle(d, src, view.label+" · "+wr, nil), "I/O mode", unit, g, false))
			}
		}
		f.panels = append(f.panels, row)
	}
	if len(f.panels) == 0 || f.cols() == 0 {
		return nil, title + ": no traced run has a message or read/write count to divide by"
	}
	f.Caption = "WASI host calls made per " + strings.TrimPrefix(unit, "host calls per ") +
		", by function (the four most called by name, the rest as \"other\"), for each WASI runner and I/O mode. " +
		"Modes whose runs failed have no bars."
	return f, ""
}

func pollTimeFigure(d *Data) (*Figure, string) {
	const title = "Time per poll_oneoff call"
	views := wasiPanels(d)
	has := func(r results.Run) bool { hc, ok := r.Hostcalls["poll_oneoff"]; return ok && hc.Calls > 0 }
	var traced []results.Run
	for _, s := range d.benches() {
		for _, r := range s.Bench.Runs {
			if has(r) {
				traced = append(traced, r)
			}
		}
	}
	if len(traced) == 0 {
		return nil, title + ": no run traced any poll_oneoff call"
	}
	runners := runnersIn(traced)
	f := &Figure{Name: "poll-oneoff-time", Title: "Mean time per poll_oneoff host call", legend: barLegend(stylesFor(runners))}
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, view := range views {
			runs := runsOf(src, view.scenario)
			var mine []results.Run
			for _, r := range runs {
				if has(r) && (view.anySize || r.Size == view.size) {
					mine = append(mine, r)
				}
			}
			g := perRunnerMode(mine, modesIn(mine), runners, view.size, view.anySize, func(r results.Run) (float64, float64, float64) {
				hc := r.Hostcalls["poll_oneoff"]
				return float64(hc.TotalNS) / float64(hc.Calls) / 1e3, math.NaN(), math.NaN()
			})
			if g.empty() {
				row = append(row, nil)
				continue
			}
			row = append(row, groupedPlot(panelTitle(d, src, view.label, nil), "I/O mode", "µs per poll_oneoff call", g, false))
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = "Total time spent in poll_oneoff divided by its number of calls, per WASI runner and I/O mode " +
		"(only modes that call poll_oneoff appear)."
	return f, ""
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
	type view struct{ scenario, label string }
	var views []view
	var all []results.Run
	for _, sc := range []string{"stream", "rr", "http"} {
		runs := allRuns(d, sc)
		if anyWith(runs, func(r results.Run) bool { _, ok := spurious(r.Counters); return ok }) {
			views = append(views, view{sc, sc})
			all = append(all, runs...)
		}
	}
	if len(views) == 0 {
		return nil, title + ": no run counted readiness waits"
	}
	var withWaits []results.Run
	for _, r := range all {
		if _, ok := spurious(r.Counters); ok {
			withWaits = append(withWaits, r)
		}
	}
	modes, runners := modesIn(withWaits), runnersIn(all)
	f := &Figure{Name: "spurious-readiness", Title: "Spurious readiness: waits that woke to nothing", legend: barLegend(stylesFor(runners))}
	for _, src := range d.benches() {
		var row []*plot.Plot
		for _, vw := range views {
			runs := runsOf(src, vw.scenario)
			g := newGrouped(modes, stylesFor(runners))
			for s, r := range runners {
				for m, mode := range modes {
					var sp, waits int64
					failed := false
					for _, run := range runs {
						if run.Runner != r || run.Mode != mode {
							continue
						}
						if run.Counters != nil {
							sp, waits = sp+run.Counters.Spurious, waits+run.Counters.Waits
						} else if run.Error != "" {
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
			p := groupedPlot(panelTitle(d, src, vw.label, nil), "I/O mode", "spurious wake-ups (% of waits)", g, false)
			p.Y.Max = math.Max(p.Y.Max, 10)
			row = append(row, p)
		}
		f.panels = append(f.panels, row)
	}
	f.Caption = "Share of readiness waits (poll or netpoller wake-ups) after which the guest's next read or write returned EAGAIN, " +
		"from the guest's own counters summed over all repetitions (and, for stream, over all message sizes). " +
		"Only modes that wait for readiness appear; native and WASI runners side by side."
	return f, ""
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
	series := append([]string{"nswasi native"}, tools...)
	styles := stylesFor(series)
	f := &Figure{Name: "fidelity-iperf3", Title: "Fidelity: nswasi native stream vs reference tools on the same path", legend: barLegend(styles)}
	var row []*plot.Plot
	for _, src := range srcs {
		g := newGrouped(paths, styles)
		for _, p := range src.Bench.Peers {
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
	f.Caption = "Throughput of a reference tool and of nswasi's native stream scenario on the same path; " +
		"nswasi's bar is the tool's throughput times the ratio the benchmark recorded (nswasi_ratio)."
	return f, ""
}
