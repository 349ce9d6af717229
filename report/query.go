package report

import (
	"fmt"
	"sort"

	"github.com/nswasi/nswasi/internal/results"
)

// runsOf returns the source's runs of one scenario.
func runsOf(s *Source, scenario string) []results.Run {
	if s.Bench == nil {
		return nil
	}
	var out []results.Run
	for _, r := range s.Bench.Runs {
		if r.Scenario == scenario {
			out = append(out, r)
		}
	}
	return out
}

// variant is the connection count and engine of a run. Figures show one
// variant per scenario: the one with the most runs.
type variant struct {
	conns  int
	engine string
}

func (v variant) String() string {
	s := fmt.Sprintf("%d connection", v.conns)
	if v.conns != 1 {
		s += "s"
	}
	if v.engine != "" {
		s += ", engine " + v.engine
	}
	return s
}

func mainVariant(runs []results.Run) variant {
	n := map[variant]int{}
	var best variant
	for _, r := range runs {
		v := variant{r.Conns, r.Engine}
		n[v]++
		if n[v] > n[best] || (n[v] == n[best] && (v.conns < best.conns || (v.conns == best.conns && v.engine < best.engine))) {
			best = v
		}
	}
	return best
}

// onlyVariant keeps the runs of v.
func onlyVariant(runs []results.Run, v variant) []results.Run {
	var out []results.Run
	for _, r := range runs {
		if r.Conns == v.conns && r.Engine == v.engine {
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
	seen := map[string]bool{}
	for _, r := range runs {
		seen[key(r)] = true
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

func runnerOf(r results.Run) string { return r.Runner }
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

func isWASIRunner(name string) bool { return name == "wasi" || name == "wasi+netns" }

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

// find returns the run with these coordinates, if any.
func find(runs []results.Run, runner, mode string, size int) (results.Run, bool) {
	for _, r := range runs {
		if r.Runner == runner && r.Mode == mode && r.Size == size {
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
