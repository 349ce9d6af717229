package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nswasi/nswasi/internal/results"
)

// findings derives the report's statements from the data. Each carries the
// number it rests on; a statement whose data is absent is not made.
func findings(d *Data) []string {
	var out []string
	multi := len(d.Sources) > 1
	for _, s := range d.benches() {
		pre := ""
		if multi {
			pre = s.Label + ": "
		}
		add := func(format string, a ...any) { out = append(out, pre+fmt.Sprintf(format, a...)) }
		throughputFindings(s, add)
		hostRatioFindings(s, add)
		cpuFindings(s, add)
		latencyFindings(s, add)
		spuriousFindings(s, add)
		hostcallFindings(s, add)
		tracedCostFinding(s, add)
		peerFindings(s, add)
		for _, p := range s.Bench.Peers {
			if p.Ratio > 0 && p.BPS > 0 {
				add("Fidelity, %s path: nswasi's %s reaches %.2f× the throughput of %s on the same path (medians; %s %s Gbit/s).",
					p.Path, peerCase(p), p.Ratio, p.Tool, p.Tool, num(p.BPS/gbit))
			}
		}
		errorFindings(s, add)
	}
	for _, s := range d.isolations() {
		pre := ""
		if multi {
			pre = s.Label + ": "
		}
		var mism []string
		for _, c := range s.Isolation.Cells {
			if c.Mismatch {
				mism = append(mism, fmt.Sprintf("%s under %s (expected %s, observed %s)", c.Probe, c.Label(), c.Expected, c.Observed))
			}
		}
		n := s.Isolation.Counts()
		ran, notRun := n.Ran, n.NotRun
		switch {
		case ran == 0 && notRun == 0:
			out = append(out, fmt.Sprintf("%sIsolation: the file records no cell.", pre))
		case ran == 0:
			out = append(out, fmt.Sprintf("%sIsolation: no cell ran; all %d could not run.", pre, notRun))
		case len(mism) == 0:
			out = append(out, fmt.Sprintf("%sIsolation: all %d cells that ran matched the expected verdict; %d could not run.", pre, ran, notRun))
		default:
			out = append(out, fmt.Sprintf("%sIsolation: %d of %d cells that ran did not match the expected verdict: %s; %d could not run.",
				pre, len(mism), ran, strings.Join(mism, "; "), notRun))
		}
	}
	return append(out, conformanceFindings(d)...)
}

type pick struct {
	label string
	value float64
}

// extremes returns the smallest and largest of the picks.
func extremes(ps []pick) (lo, hi pick) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].value < ps[j].value })
	return ps[0], ps[len(ps)-1]
}

func rm(r results.Run) string { return r.Label() + " / " + r.Mode }

// caseName names every coordinate that tells a run from the others of its
// scenario: runner and mode, message size, connection count and, for a WASI
// runner, the wazero engine. A finding that picks one run out of several
// quotes it whole, so that the sentence cannot be read as a claim about a
// configuration it does not describe.
func caseName(r results.Run) string {
	parts := []string{rm(r)}
	if r.Size > 0 {
		parts = append(parts, humanBytes(r.Size))
	}
	parts = append(parts, connsName(r.Conns))
	if r.IsWASI() && r.Engine != "" {
		parts = append(parts, "engine "+r.Engine)
	}
	return strings.Join(parts, ", ")
}

func connsName(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

// cellCounts counts an isolation file's cells that ran (have an observed
// verdict) and those that could not run.
// peerCase names the nswasi case a reference tool was compared with. Result
// files of this schema do not record it; it is what nswasi's bench has
// always measured against iperf3: stream in, blocking, 128 KiB writes, one
// connection, under native on the loopback path and under netns on the
// veth path (bench/peers.go).
func peerCase(p results.Peer) string {
	runner, mode, size, conns := p.Runner, p.Mode, p.Size, p.Conns
	if runner == "" { // files before the check named its case: iperf3 against blocking stream-in
		runner, mode, size, conns = "native", "blocking", 128<<10, 1
		if p.Path == "veth" {
			runner = "netns"
		}
	}
	return fmt.Sprintf("stream in (driver → guest) under %s (%s, %s, %s)", runner, mode, humanBytes(size), connsName(conns))
}

func throughputFindings(s *Source, add func(string, ...any)) {
	all := runsOf(s, "stream")
	v := mainVariant(all)
	all = onlyVariant(all, v)
	for _, dir := range directionsIn(all) {
		runs := onlyDirection(all, dir)
		// The figures show one variant; so do these findings, and they say which.
		name := directionLabel(dir) + ", " + v.String()
		for _, wr := range wasiLabelsIn(runs) {
			var ps []pick
			base := ""
			for _, w := range runs {
				if w.Label() != wr || !ok(w) {
					continue
				}
				base = nativeCounterpart(w.Runner)
				if nat, found := find(runs, base, w.Mode, w.Size); found && ok(nat) {
					ps = append(ps, pick{fmt.Sprintf("%s, %s", w.Mode, humanBytes(w.Size)), summary(w).Mean / summary(nat).Mean})
				}
			}
			if len(ps) == 0 {
				continue
			}
			lo, hi := extremes(ps)
			add("%s: throughput of %s relative to %s at the same mode and size ranges from %s× (%s) to %s× (%s) over %d mode × size pairs.",
				upperFirst(name), wr, base, ratioCell(lo.value), lo.label, ratioCell(hi.value), hi.label, len(ps))
		}
		var best pick
		for _, r := range runs {
			if ok(r) && summary(r).Mean > best.value {
				best = pick{caseName(r), summary(r).Mean}
			}
		}
		if best.value > 0 {
			add("%s: highest throughput %s Gbit/s (mean) by %s.", upperFirst(name), num(best.value/gbit), best.label)
		}
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func cpuFindings(s *Source, add func(string, ...any)) {
	all := runsOf(s, "stream")
	all = onlyVariant(all, mainVariant(all))
	for _, dir := range directionsIn(all) {
		// Every pick is named in full (caseName): the label carries the variant.
		var withCPU []results.Run
		for _, r := range onlyDirection(all, dir) {
			if r.CPU != nil && r.CPU.PerGB > 0 {
				withCPU = append(withCPU, r)
			}
		}
		sizes := sizesIn(withCPU)
		for _, sz := range sizes {
			var ps []pick
			for _, r := range withCPU {
				if r.Size == sz {
					ps = append(ps, pick{caseName(r), r.CPU.PerGB})
				}
			}
			lo, hi := extremes(ps)
			add("%s: CPU per GB at %s messages: highest %s s/GB (%s); lowest %s s/GB (%s).",
				upperFirst(directionLabel(dir)), humanBytes(sz), num(hi.value), hi.label, num(lo.value), lo.label)
		}
		if len(sizes) > 1 {
			var ps []pick
			for _, r := range withCPU {
				ps = append(ps, pick{caseName(r), r.CPU.PerGB})
			}
			_, hi := extremes(ps)
			add("%s: highest CPU per GB over all sizes: %s s/GB (%s).", upperFirst(directionLabel(dir)), num(hi.value), hi.label)
		}
	}
	for _, sc := range []string{"rr", "http"} {
		var ps []pick
		for _, r := range runsOf(s, sc) {
			if r.CPU != nil && r.CPU.Per1kReq > 0 {
				ps = append(ps, pick{caseName(r), r.CPU.Per1kReq})
			}
		}
		if len(ps) > 0 {
			lo, hi := extremes(ps)
			add("CPU per 1,000 %s requests: highest %s s (%s); lowest %s s (%s).", sc, num(hi.value), hi.label, num(lo.value), lo.label)
		}
	}
	var busy []string
	var ps []pick
	for _, r := range runsOf(s, "idle") {
		if !ok(r) {
			continue
		}
		v := summary(r).Mean * 1e3
		ps = append(ps, pick{caseName(r), v})
		if v >= 100 {
			busy = append(busy, fmt.Sprintf("%s ms/s (%s)", num(v), caseName(r)))
		}
	}
	if len(ps) > 0 {
		t := "Idle CPU (ms of CPU per second of wall time, 1000 = one core): "
		if len(busy) > 0 {
			t += fmt.Sprintf("%d of %d configurations burn at least 100 ms/s — %s", len(busy), len(ps), strings.Join(busy, "; "))
		} else {
			t += fmt.Sprintf("none of %d configurations burns 100 ms/s or more", len(ps))
		}
		lo, _ := extremes(ps)
		add("%s; the lowest is %s ms/s (%s).", t, num(lo.value), lo.label)
	}
}

func latencyFindings(s *Source, add func(string, ...any)) {
	for _, sc := range []string{"rr", "http"} {
		var p50, p999 []pick
		for _, r := range runsOf(s, sc) {
			if r.LatencyNS != nil {
				p50 = append(p50, pick{caseName(r), float64(r.LatencyNS.P50) / 1e3})
				p999 = append(p999, pick{caseName(r), float64(r.LatencyNS.P999) / 1e3})
			}
		}
		if len(p50) == 0 {
			continue
		}
		lo, _ := extremes(p50)
		_, hi := extremes(p999)
		add("%s latency: lowest p50 %s µs (%s); highest p99.9 %s µs (%s).", sc, num(lo.value), lo.label, num(hi.value), hi.label)
	}
}

func spuriousFindings(s *Source, add func(string, ...any)) {
	type key struct {
		runner, mode string
		wasi         bool
	}
	sp, waits := map[key]int64{}, map[key]int64{}
	scen := map[key][]string{}
	for _, r := range measuredRuns(s) {
		// A failed run's counters stop at its failure (often a wait that
		// failed outright): no rate to quote.
		if ok(r) && r.Counters != nil && r.Counters.Waits > 0 {
			k := key{r.Label(), r.Mode, r.IsWASI()}
			sp[k] += r.Counters.Spurious
			waits[k] += r.Counters.Waits
			if n := scenarioName(r); indexOf(scen[k], n) < 0 {
				scen[k] = append(scen[k], n)
			}
		}
	}
	var keys []key
	for k := range waits {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := indexOf(runnerOrder, keys[i].runner), indexOf(runnerOrder, keys[j].runner)
		if ri != rj {
			return ri < rj
		}
		return indexOf(modeOrder, keys[i].mode) < indexOf(modeOrder, keys[j].mode)
	})
	var wasi, native []string
	for _, k := range keys {
		t := fmt.Sprintf("%s / %s %.1f%% of %d waits (%s)", k.runner, k.mode, 100*float64(sp[k])/float64(waits[k]), waits[k],
			strings.Join(scen[k], ", "))
		if k.wasi {
			wasi = append(wasi, t)
		} else {
			native = append(native, t)
		}
	}
	if len(wasi) > 0 {
		add("Spurious readiness (waits after which the next I/O call returned EAGAIN) under WASI, summed over every size and connection count: %s.", strings.Join(wasi, "; "))
	}
	if len(native) > 0 {
		add("Spurious readiness without WASI, summed over every size and connection count: %s.", strings.Join(native, "; "))
	}
}

func hostcallFindings(s *Source, add func(string, ...any)) {
	pollCostFindings(s, add)
	traced := withHostcalls(s.Bench.Runs)
	kind := commonDenominator(traced)
	var pm []pick
	for _, r := range traced {
		n, _ := denominator(r, kind)
		if n == 0 || r.Scenario == "idle" {
			continue // idle completes one operation per repetition: no rate
		}
		var calls int64
		for _, hc := range r.Hostcalls {
			calls += hc.Calls
		}
		pm = append(pm, pick{fmt.Sprintf("%s %s", scenarioName(r), caseName(r)), float64(calls) / n})
	}
	if len(pm) > 0 {
		lo, hi := extremes(pm)
		add("WASI host calls per %s%s range from %.2f (%s) to %.2f (%s); calls include start-up and warm-up.",
			denominatorName(kind), denominatorNote(kind), lo.value, lo.label, hi.value, hi.label)
	}
}

// tracedCostFinding states what the host-call accounting itself costs:
// traced_ratio (traced median / untraced median of the same configuration)
// over the runs whose metric is a rate (more is better), against the width
// of the untraced runs' confidence intervals.
func tracedCostFinding(s *Source, add func(string, ...any)) {
	var ratios, halfWidths []float64
	inside := 0
	for _, t := range s.Bench.Runs {
		if !t.Traced || t.TracedRatio <= 0 || !ok(t) || t.Scenario == "idle" {
			continue
		}
		ratios = append(ratios, t.TracedRatio)
		u, found := untracedTwin(s, t)
		if !found || !ok(u) {
			continue
		}
		us := summary(u)
		if us.N > 1 && us.Mean > 0 {
			halfWidths = append(halfWidths, (us.CIHigh-us.CILow)/2/us.Mean)
			if m := summary(t).Median; m >= us.CILow && m <= us.CIHigh {
				inside++
			}
		}
	}
	if len(ratios) == 0 {
		return
	}
	sort.Float64s(ratios)
	med := results.Median(ratios)
	t := fmt.Sprintf("Cost of host-call accounting: traced runs reached a median %.2f× the untraced median of the same configuration "+
		"(range %.2f–%.2f over %d rate runs; 1 = no cost)", med, ratios[0], ratios[len(ratios)-1], len(ratios))
	if len(halfWidths) > 0 {
		hw := results.Median(halfWidths)
		t += fmt.Sprintf(". The untraced runs' 95%% CIs are ±%.0f%% of the mean (median half-width), and %d of %d traced medians fall inside "+
			"their untraced CI", 100*hw, inside, len(halfWidths))
		if math.Abs(med-1) <= hw {
			t += ", so the cost is within the noise of these repetitions"
		} else {
			t += ", so the cost stands out of the noise"
		}
	}
	add("%s.", t)
}

// untracedTwin is the untraced run of a traced run's configuration.
func untracedTwin(s *Source, t results.Run) (results.Run, bool) {
	for _, r := range s.Bench.Runs {
		if !r.Traced && r.Scenario == t.Scenario && r.Direction == t.Direction && r.Runner == t.Runner && r.WASIHost == t.WASIHost && r.Mode == t.Mode &&
			r.Size == t.Size && r.Conns == t.Conns && r.Engine == t.Engine && r.Metric == t.Metric {
			return r, true
		}
	}
	return results.Run{}, false
}

// errorLimit is how much of an error string a finding or table quotes.
const errorLimit = 150

// conciseError cuts an error to about errorLimit characters at a word
// boundary, with an ellipsis; results.json keeps the whole text.
func conciseError(e string) string { return cutText(e, errorLimit) }

// cutText cuts s to about limit characters at a word boundary.
func cutText(e string, limit int) string {
	e = strings.Join(strings.Fields(e), " ")
	if len(e) <= limit {
		return e
	}
	cut := strings.LastIndexByte(e[:limit], ' ')
	if cut < limit/2 {
		cut = limit
		for cut > 0 && !utf8.RuneStart(e[cut]) {
			cut--
		}
	}
	return strings.TrimRight(e[:cut], " ,;:|") + " …"
}

func errorFindings(s *Source, add func(string, ...any)) {
	type key struct{ runner, mode string }
	count := map[key]int{}
	first := map[key]string{}
	scen := map[key][]string{}
	var keys []key
	total, tracedFailed := 0, 0
	for _, r := range s.Bench.Runs {
		if r.Error == "" {
			continue
		}
		if r.Traced {
			tracedFailed++
			continue
		}
		total++
		k := key{r.Label(), r.Mode}
		if count[k] == 0 {
			keys = append(keys, k)
			first[k] = r.Error
		}
		count[k]++
		if n := scenarioName(r); indexOf(scen[k], n) < 0 {
			scen[k] = append(scen[k], n)
		}
	}
	if total+tracedFailed == 0 {
		return
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s / %s: %d (%s; e.g. “%s”)", k.runner, k.mode, count[k], strings.Join(scen[k], ", "),
			conciseError(first[k])))
	}
	t := fmt.Sprintf("%d of %d untraced runs recorded an error — %s", total, len(measuredRuns(s)), strings.Join(parts, "; "))
	if tracedFailed > 0 {
		t += fmt.Sprintf(". %d traced run(s) also recorded an error", tracedFailed)
	}
	add("%s.", t)
}
