package report

import (
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/nswasi/nswasi/internal/results"
)

// peerLabel names one fidelity check on a figure's axis.
func peerLabel(p results.Peer) string {
	if p.Tool == "wrk" {
		return "wrk\n" + p.Runner
	}
	return p.Tool + "\n" + p.Path
}

// fidelityRatioFigure draws every peer check's ratio (nswasi over the
// tool, same path, same size, one invocation) with the 95% interval of
// the paired repetitions: 1 is agreement. Checks that were skipped or
// failed are marked, never left out.
func fidelityRatioFigure(d *Data) (*Figure, string) {
	const title = "Fidelity ratios"
	var srcs []*Source
	var labels []string
	for _, s := range d.benches() {
		found := false
		for _, p := range s.Bench.Peers {
			if p.Scenario == "" && p.Skipped == "" {
				continue // written before checks recorded their case and repetitions
			}
			found = true
			if indexOf(labels, peerLabel(p)) < 0 {
				labels = append(labels, peerLabel(p))
			}
		}
		if found {
			srcs = append(srcs, s)
		}
	}
	if len(srcs) == 0 {
		return nil, title + ": no peer checks with repetitions in the results (run nswasi bench with iperf3, sockperf and wrk installed)"
	}
	styles := stylesFor([]string{"nswasi / peer"})
	f := &Figure{Name: "fidelity-ratios", Title: "Fidelity: nswasi / iperf3, sockperf, wrk (1 = agreement)", legend: barLegend(styles),
		panelW: 7 * vg.Inch}
	var row []*plot.Plot
	for _, src := range srcs {
		g := newGrouped(labels, styles)
		var notes []string
		for _, p := range src.Bench.Peers {
			i := indexOf(labels, peerLabel(p))
			if i < 0 {
				continue
			}
			if p.Ratio <= 0 {
				g.failed[0][i] = true
				notes = append(notes, strings.ReplaceAll(peerLabel(p), "\n", " ")) // the findings say why
				continue
			}
			g.set(0, i, p.Ratio)
			if p.RatioCIHigh > p.RatioCILow {
				g.setCI(0, i, p.RatioCILow, p.RatioCIHigh)
			}
		}
		row = append(row, groupedPlot(panelTitle(d, src, "nswasi / peer", notes), "check", "ratio of medians", g, false))
	}
	f.panels = [][]*plot.Plot{row}
	f.sharedY = true
	f.Caption = "Each bar is nswasi's median over the tool's median for the same path, message size and connections, " +
		"repetitions of the two alternating in one invocation; throughput for iperf3 (stream in) and wrk (http requests/s), " +
		"round-trip p50 for sockperf (rr; above 1 means nswasi measures a slower round trip). " +
		"Whiskers: 95% interval of the paired per-repetition ratios. A mark instead of a bar: the check was skipped or failed (listed in the panel title; the findings say why)."
	return f, ""
}

// peerFindings states each check that is not a throughput comparison
// (those have their sentence in findings.go), and each check skipped.
func peerFindings(s *Source, add func(string, ...any)) {
	for _, p := range s.Bench.Peers {
		switch {
		case p.Skipped != "":
			add("Fidelity check %s was skipped: %s.", strings.ReplaceAll(peerLabel(p), "\n", " "), p.Skipped)
		case p.Ratio > 0 && p.Tool == "sockperf":
			add("Fidelity: nswasi's rr (%s, %d B, 1 connection, under %s) measures a median round trip %.2f× sockperf's on the %s path (%s µs against %s µs; 95%% interval of the paired ratios %.2f–%.2f).",
				p.Mode, p.Size, p.Runner, p.Ratio, p.Path, num(p.NswasiSummary.Median/1e3), num(p.PeerSummary.Median/1e3), p.RatioCILow, p.RatioCIHigh)
		case p.Ratio > 0 && p.Tool == "wrk":
			add("Fidelity: against one standalone http guest under %s (%s, %d B bodies, %d connections), nswasi's http driver completes %.2f× the requests per second of wrk (%s/s against %s/s; 95%% interval %.2f–%.2f).",
				p.Runner, p.Mode, p.Size, p.Conns, p.Ratio, num(p.NswasiSummary.Median), num(p.PeerSummary.Median), p.RatioCILow, p.RatioCIHigh)
		case p.Ratio == 0 && p.Detail != "":
			add("Fidelity check %s failed: %s.", strings.ReplaceAll(peerLabel(p), "\n", " "), clip(p.Detail, 160))
		}
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
