package report

import (
	"fmt"
	"sort"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// runsOf returns the source's measured runs of one scenario: the untraced
// ones. A traced run repeats an untraced configuration with host-call
// accounting switched on, so its throughput, latency and CPU include the
// accounting's own cost; only the host-call figures use it (hostcallRunsOf).
func runsOf(s *Source, scenario string) []results.Run {
	if s.Bench == nil {
		return nil
	}
	var out []results.Run
	for _, r := range s.Bench.Runs {
		if r.Scenario == scenario && !r.Traced {
			out = append(out, r)
		}
	}
	return out
}

// hostcallRunsOf returns the source's runs of one scenario that counted
// WASI host calls.
func hostcallRunsOf(s *Source, scenario string) []results.Run {
	if s.Bench == nil {
		return nil
	}
	var out []results.Run
	for _, r := range s.Bench.Runs {
		if r.Scenario == scenario && len(r.Hostcalls) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// measuredRuns returns every untraced run of the source.
func measuredRuns(s *Source) []results.Run {
	if s.Bench == nil {
		return nil
	}
	var out []results.Run
	for _, r := range s.Bench.Runs {
		if !r.Traced {
			out = append(out, r)
		}
	}
	return out
}

// directionsIn lists the stream directions present: "in" (driver → guest)
// first, then "out", then any other; "" stands for a file that records none.
func directionsIn(runs []results.Run) []string {
	return ordered(runs, func(r results.Run) string { return r.Direction }, []string{"in", "out"})
}

// onlyDirection keeps the runs of one stream direction.
func onlyDirection(runs []results.Run, dir string) []results.Run {
	var out []results.Run
	for _, r := range runs {
		if r.Direction == dir {
			out = append(out, r)
		}
	}
	return out
}

// directionLabel names a stream direction for titles and findings.
func directionLabel(dir string) string {
	switch dir {
	case "in":
		return "stream in (driver → guest)"
	case "out":
		return "stream out (guest → driver)"
	case "":
		return "stream"
	}
	return "stream " + dir
}

// scenarioName is a run's scenario with its stream direction, if any.
func scenarioName(r results.Run) string {
	if r.Direction != "" {
		return r.Scenario + " " + r.Direction
	}
	return r.Scenario
}

// variant is the connection count of a run and, for WASI runners, the
// wazero engine. Figures show one variant per scenario: the most common.
// The engine means nothing to a native runner (the benchmark records
// "native" there), so native runners belong to every variant.
type variant struct {
	conns  int
	engine string // of the WASI runners; "" when there are none
}

func (v variant) String() string {
	s := fmt.Sprintf("%d connection", v.conns)
	if v.conns != 1 {
		s += "s"
	}
	if v.engine != "" {
		s += ", WASI engine " + v.engine
	}
	return s
}

// mainVariant picks the most common connection count, then the most common
// engine among the WASI runs with it; ties go to the smaller count and the
// engine first in alphabetical order.
func mainVariant(runs []results.Run) variant {
	nc := map[int]int{}
	for _, r := range runs {
		nc[r.Conns]++
	}
	var v variant
	best := 0
	for c, n := range nc {
		if n > best || (n == best && c < v.conns) {
			v.conns, best = c, n
		}
	}
	ne := map[string]int{}
	for _, r := range runs {
		if r.Conns == v.conns && r.IsWASI() {
			ne[r.Engine]++
		}
	}
	best = 0
	for e, n := range ne {
		if n > best || (n == best && e < v.engine) {
			v.engine, best = e, n
		}
	}
	return v
}

// onlyVariant keeps the runs of v: native runners at v's connection count
// whatever engine they record, WASI runners also at v's engine.
func onlyVariant(runs []results.Run, v variant) []results.Run {
	var out []results.Run
	for _, r := range runs {
		if r.Conns == v.conns && (!r.IsWASI() || r.Engine == v.engine) {
			out = append(out, r)
		}
	}
	return out
}

// ok reports whether a run has repetitions to show.
func ok(r results.Run) bool { return len(r.Reps) > 0 }

// summary is computed from the raw repetitions, the source of truth.
func summary(r results.Run) results.Summary { return results.Summarize(r.Reps) }

// ordered returns the distinct values of key over runs: the names in order
// first, then any others sorted.
func ordered(runs []results.Run, key func(results.Run) string, order []string) []string {
	var names []string
	for _, r := range runs {
		names = append(names, key(r))
	}
	return orderedNames(names, order)
}

// orderedNames returns the distinct names: those in order first, in its
// order, then any others sorted.
func orderedNames(names []string, order []string) []string {
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	var out []string
	for _, o := range order {
		if seen[o] {
			out = append(out, o)
			delete(seen, o)
		}
	}
	var rest []string
	for k := range seen {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// runnerOf is the run's runner as the report names it: with its WASI
// host, e.g. "wasi (nswasi)". A runner-and-host is the report's unit: two
// hosts are two series, two columns, two cases in a finding.
func runnerOf(r results.Run) string { return r.Label() }
func modeOf(r results.Run) string   { return r.Mode }

func runnersIn(runs []results.Run) []string { return ordered(runs, runnerOf, runnerOrder) }
func modesIn(runs []results.Run) []string   { return ordered(runs, modeOf, modeOrder) }

func sizesIn(runs []results.Run) []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range runs {
		if !seen[r.Size] {
			seen[r.Size] = true
			out = append(out, r.Size)
		}
	}
	sort.Ints(out)
	return out
}

// allRuns gathers one scenario's runs over every source.
func allRuns(d *Data, scenario string) []results.Run {
	var out []results.Run
	for _, s := range d.benches() {
		out = append(out, runsOf(s, scenario)...)
	}
	return out
}

// wasiLabelsIn lists the runner-and-host labels of the WASI runs (by the
// kind each run records), in the report's order.
func wasiLabelsIn(runs []results.Run) []string {
	var wasi []results.Run
	for _, r := range runs {
		if r.IsWASI() {
			wasi = append(wasi, r)
		}
	}
	return runnersIn(wasi)
}

// nativeCounterpart is the native runner a WASI runner is measured against:
// the registry's counterpart, which differs from it by WASI alone. wasi
// runs its host process as a plain child, like native; wasi+netns runs it
// in a network namespace set up as netns sets up its guest's. Ratios to
// native always pair them so, so that the network namespace's own cost
// does not count as WASI's. A runner the registry does not know is
// measured against the unsandboxed control.
func nativeCounterpart(runner string) string {
	if c := runnerinfo.Counterpart(runner); c != runner {
		return c
	}
	for _, r := range runnerinfo.All {
		if r.Kind == runnerinfo.Native {
			return r.Name
		}
	}
	return runner
}

// humanBytes formats a message size: 64 B, 1 KiB, 128 KiB, 1 MiB.
func humanBytes(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// find returns the run with these coordinates, if any; runner is a
// runner-and-host label (a native runner's label is its name).
func find(runs []results.Run, runner, mode string, size int) (results.Run, bool) {
	for _, r := range runs {
		if r.Label() == runner && r.Mode == mode && r.Size == size {
			return r, true
		}
	}
	return results.Run{}, false
}

// largestSize is the largest message size with a successful run.
func largestSize(runs []results.Run) (int, bool) {
	best, found := 0, false
	for _, r := range runs {
		if ok(r) && (!found || r.Size > best) {
			best, found = r.Size, true
		}
	}
	return best, found
}
