package report

import (
	"fmt"
	"sort"
	"strings"

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
		cpuFindings(s, add)
		latencyFindings(s, add)
		spuriousFindings(s, add)
		hostcallFindings(s, add)
		for _, p := range s.Bench.Peers {
			if p.Ratio > 0 {
				add("Fidelity: nswasi's native stream reaches %.2f× the throughput of %s on the %s path (%s Gbit/s for %s).",
					p.Ratio, p.Tool, p.Path, num(p.BPS/gbit), p.Tool)
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
		var notRun, ran int
		for _, c := range s.Isolation.Cells {
			if c.Mismatch {
				mism = append(mism, fmt.Sprintf("%s under %s (expected %s, observed %s)", c.Probe, c.Runner, c.Expected, c.Observed))
			}
			if c.Observed == "" {
				notRun++
			} else {
				ran++
			}
		}
		if len(mism) == 0 {
			out = append(out, fmt.Sprintf("%sIsolation: all %d cells that ran matched the expected verdict; %d could not run.", pre, ran, notRun))
		} else {
			out = append(out, fmt.Sprintf("%sIsolation: %d of %d cells that ran did not match the expected verdict: %s; %d could not run.",
				pre, len(mism), ran, strings.Join(mism, "; "), notRun))
		}
	}
	return out
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

func rm(r results.Run) string { return r.Runner + " / " + r.Mode }

func throughputFindings(s *Source, add func(string, ...any)) {
	runs := runsOf(s, "stream")
	runs = onlyVariant(runs, mainVariant(runs))
	for _, wr := range []string{"wasi", "wasi+netns"} {
		var ps []pick
		for _, w := range runs {
			if w.Runner != wr || !ok(w) {
				continue
			}
			if nat, found := find(runs, "native", w.Mode, w.Size); found && ok(nat) {
				ps = append(ps, pick{fmt.Sprintf("%s, %s", w.Mode, humanBytes(w.Size)), summary(w).Mean / summary(nat).Mean})
			}
		}
		if len(ps) == 0 {
			continue
		}
		lo, hi := extremes(ps)
		add("Stream throughput of %s relative to native ranges from %.2f (%s) to %.2f (%s) over %d mode × size pairs.",
			wr, lo.value, lo.label, hi.value, hi.label, len(ps))
	}
	var best pick
	for _, r := range runs {
		if ok(r) && summary(r).Mean > best.value {
			best = pick{fmt.Sprintf("%s at %s", rm(r), humanBytes(r.Size)), summary(r).Mean}
		}
	}
	if best.value > 0 {
		add("Highest stream throughput: %s, %s Gbit/s (mean).", best.label, num(best.value/gbit))
	}
}

func cpuFindings(s *Source, add func(string, ...any)) {
	runs := runsOf(s, "stream")
	runs = onlyVariant(runs, mainVariant(runs))
	var withCPU []results.Run
	for _, r := range runs {
		if r.CPU != nil && r.CPU.PerGB > 0 {
			withCPU = append(withCPU, r)
		}
	}
	if sz, found := largestSize(withCPU); found {
		var ps []pick
		for _, r := range withCPU {
			if r.Size == sz {
				ps = append(ps, pick{rm(r), r.CPU.PerGB})
			}
		}
		lo, hi := extremes(ps)
		add("CPU per GB at %s messages: highest %s, %s s/GB; lowest %s, %s s/GB.", humanBytes(sz), hi.label, num(hi.value), lo.label, num(lo.value))
	}
	if len(withCPU) > 0 {
		var ps []pick
		for _, r := range withCPU {
			ps = append(ps, pick{fmt.Sprintf("%s at %s", rm(r), humanBytes(r.Size)), r.CPU.PerGB})
		}
		_, hi := extremes(ps)
		add("Highest CPU per GB over all stream runs: %s, %s s/GB.", hi.label, num(hi.value))
	}
	for _, sc := range []string{"rr", "http"} {
		var ps []pick
		for _, r := range runsOf(s, sc) {
			if r.CPU != nil && r.CPU.Per1kReq > 0 {
				ps = append(ps, pick{rm(r), r.CPU.Per1kReq})
			}
		}
		if len(ps) > 0 {
			lo, hi := extremes(ps)
			add("CPU per 1,000 %s requests: highest %s, %s s; lowest %s, %s s.", sc, hi.label, num(hi.value), lo.label, num(lo.value))
		}
	}
	var ps []pick
	for _, r := range runsOf(s, "idle") {
		if ok(r) {
			ps = append(ps, pick{rm(r), summary(r).Mean * 1e3})
		}
	}
	if len(ps) > 0 {
		lo, hi := extremes(ps)
		add("Idle CPU: highest %s, %s ms of CPU per second; lowest %s, %s ms per second.", hi.label, num(hi.value), lo.label, num(lo.value))
	}
}

func latencyFindings(s *Source, add func(string, ...any)) {
	for _, sc := range []string{"rr", "http"} {
		var p50, p999 []pick
		for _, r := range runsOf(s, sc) {
			if r.LatencyNS != nil {
				p50 = append(p50, pick{rm(r), float64(r.LatencyNS.P50) / 1e3})
				p999 = append(p999, pick{rm(r), float64(r.LatencyNS.P999) / 1e3})
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
	type key struct{ runner, mode string }
	sp, waits := map[key]int64{}, map[key]int64{}
	for _, r := range s.Bench.Runs {
		if r.Counters != nil && r.Counters.Waits > 0 {
			k := key{r.Runner, r.Mode}
			sp[k] += r.Counters.Spurious
			waits[k] += r.Counters.Waits
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
		t := fmt.Sprintf("%s / %s %.1f%% of %d waits", k.runner, k.mode, 100*float64(sp[k])/float64(waits[k]), waits[k])
		if isWASIRunner(k.runner) {
			wasi = append(wasi, t)
		} else {
			native = append(native, t)
		}
	}
	if len(wasi) > 0 {
		add("Spurious readiness (waits after which the next I/O call returned EAGAIN) under WASI: %s.", strings.Join(wasi, "; "))
	}
	if len(native) > 0 {
		add("Spurious readiness without WASI: %s.", strings.Join(native, "; "))
	}
}

func hostcallFindings(s *Source, add func(string, ...any)) {
	var parts []string
	for _, r := range s.Bench.Runs {
		if r.Scenario != "rr" {
			continue
		}
		if hc, found := r.Hostcalls["poll_oneoff"]; found && hc.Calls > 0 {
			parts = append(parts, fmt.Sprintf("%s %s µs", rm(r), num(float64(hc.TotalNS)/float64(hc.Calls)/1e3)))
		}
	}
	if len(parts) > 0 {
		add("Mean time per poll_oneoff call in rr: %s.", strings.Join(parts, "; "))
	}
	var pm []pick
	for _, r := range s.Bench.Runs {
		n, perMessage := messages(r)
		if !perMessage || len(r.Hostcalls) == 0 || n == 0 {
			continue
		}
		var calls int64
		for _, hc := range r.Hostcalls {
			calls += hc.Calls
		}
		pm = append(pm, pick{fmt.Sprintf("%s %s%s", r.Scenario, rm(r), sizeSuffix(r)), float64(calls) / float64(n)})
	}
	if len(pm) > 0 {
		lo, hi := extremes(pm)
		add("WASI host calls per message range from %.2f (%s) to %.2f (%s).", lo.value, lo.label, hi.value, hi.label)
	}
}

func sizeSuffix(r results.Run) string {
	if r.Scenario == "stream" && r.Size > 0 {
		return " at " + humanBytes(r.Size)
	}
	return ""
}

func errorFindings(s *Source, add func(string, ...any)) {
	type key struct{ runner, mode string }
	count := map[key]int{}
	first := map[key]string{}
	var keys []key
	total := 0
	for _, r := range s.Bench.Runs {
		if r.Error == "" {
			continue
		}
		total++
		k := key{r.Runner, r.Mode}
		if count[k] == 0 {
			keys = append(keys, k)
			first[k] = r.Error
		}
		count[k]++
	}
	if total == 0 {
		return
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s / %s: %d (e.g. %q)", k.runner, k.mode, count[k], first[k]))
	}
	add("%d of %d runs recorded an error — %s.", total, len(s.Bench.Runs), strings.Join(parts, "; "))
}
