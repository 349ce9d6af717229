package report

import (
	"strings"

	"gonum.org/v1/plot"

	"github.com/nswasi/nswasi/internal/results"
)

// startGroup names a start run on the axis: the runner, and for WASI
// runners the compilation cache's state.
func startGroup(r results.Run) string {
	if r.Direction == "" {
		return r.Label()
	}
	return r.Label() + "\n" + r.Direction + " cache"
}

// startFigure draws launch-to-first-answer per runner (WASI cold and
// warm cache), median with the 95% interval, on a log axis: native
// starts take milliseconds, a cold WASI compile seconds.
func startFigure(d *Data) (*Figure, string) {
	const title = "Start-up"
	all := allRuns(d, "start")
	if !anyOK(all) {
		return nil, title + ": no successful start runs in the results (nswasi bench --scenarios start)"
	}
	var groups []string
	for _, r := range all {
		if indexOf(groups, startGroup(r)) < 0 {
			groups = append(groups, startGroup(r))
		}
	}
	styles := stylesFor([]string{"launch to first answer"})
	f := &Figure{Name: "start", Title: "Start-up: launch to the first HTTP answer served (median, 95% CI)", legend: barLegend(styles),
		panelW: slotsWide(len(groups))}
	var row []*plot.Plot
	for _, src := range d.benches() {
		runs := runsOf(src, "start")
		if len(runs) == 0 {
			continue
		}
		g := newGrouped(groups, styles)
		var failed []string
		for _, r := range runs {
			i := indexOf(groups, startGroup(r))
			if !ok(r) {
				g.failed[0][i] = true
				failed = append(failed, strings.ReplaceAll(startGroup(r), "\n", " "))
				continue
			}
			s := summary(r)
			g.set(0, i, s.Median*1e3)
			if s.N > 1 {
				g.setCI(0, i, max(s.CILow*1e3, 1e-3), s.CIHigh*1e3)
			}
		}
		row = append(row, groupedPlot(panelTitle(d, src, "start-up", failed), "runner (WASI: compilation cache)", "milliseconds (log)", g, true))
	}
	f.panels = [][]*plot.Plot{row}
	f.sharedY = true
	f.Caption = "Time from asking the runner to start the http guest (one granted listener) to the end of its first answer: " +
		"namespace and veth creation, the host process, compilation or the cache load, instantiation and the guest's own start. " +
		"cold: an empty compilation cache for every start; warm: a cache filled by an unrecorded start."
	return f, ""
}

// memoryFigure draws the resident memory of the whole sandbox (process
// and descendants) idle after the first answer, and its peak after one
// second of http load, per runner.
func memoryFigure(d *Data) (*Figure, string) {
	const title = "Memory"
	all := allRuns(d, "memory")
	if !anyOK(all) {
		return nil, title + ": no successful memory runs in the results (nswasi bench --scenarios start)"
	}
	runners := runnersIn(all)
	series := []string{"idle", "load"}
	styles := stylesFor([]string{"idle (RSS)", "after 1 s of http load (peak RSS)"})
	f := &Figure{Name: "memory", Title: "Memory of the whole sandbox per runner (median, 95% CI)", legend: barLegend(styles),
		panelW: slotsWide(len(runners))}
	var row []*plot.Plot
	for _, src := range d.benches() {
		runs := runsOf(src, "memory")
		if len(runs) == 0 {
			continue
		}
		g := newGrouped(runners, styles)
		var failed []string
		for _, r := range runs {
			s, i := indexOf(series, r.Direction), indexOf(runners, r.Label())
			if s < 0 || i < 0 {
				continue
			}
			if !ok(r) {
				g.failed[s][i] = true
				failed = append(failed, r.Label()+" "+r.Direction)
				continue
			}
			sum := summary(r)
			g.set(s, i, sum.Median/(1<<20))
			if sum.N > 1 {
				g.setCI(s, i, sum.CILow/(1<<20), sum.CIHigh/(1<<20))
			}
		}
		row = append(row, groupedPlot(panelTitle(d, src, "resident memory", failed), "runner", "MiB", g, false))
	}
	f.panels = [][]*plot.Plot{row}
	f.sharedY = true
	f.Caption = "Resident memory summed over the sandbox's processes (the guest, and for WASI the wazero host holding it; " +
		"shims included), idle after the first answer and at its peak after one second of http load with 4 connections. " +
		"WASI runs use a warm compilation cache; the engine is the run's."
	return f, ""
}
