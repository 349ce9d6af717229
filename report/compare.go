package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"

	"github.com/nswasi/nswasi/internal/results"
)

// Alpha is the significance level of compare.
const Alpha = 0.05

// Change is one metric present in both result sets.
type Change struct {
	// Key names the run: scenario (with stream direction), runner and WASI host, mode, size,
	// connections, engine and whether host calls were traced.
	Key            string
	Metric, Unit   string
	NA, NB         int
	MedianA        float64
	MedianB        float64
	RelativeChange float64 // (MedianB − MedianA) / MedianA
	Test           MannWhitney
	order          string // sorts by scenario, runner, mode, then size as a number
	// Significant is set when the test rejects "no change" at Alpha.
	Significant bool
}

// IsolationChange is a cell whose observed verdict differs between A and B.
type IsolationChange struct {
	// Runner is the runner-and-host label, e.g. "wasi (nswasi)".
	Probe, Runner string
	A, B          string // observed verdicts; "not run" when absent
}

// Comparison is what compare found.
type Comparison struct {
	A, B       *Source
	Changes    []Change
	OnlyA      []string // run keys with repetitions only in A
	OnlyB      []string
	Isolation  []IsolationChange
	IsoCompare bool // both sides had isolation.json
}

func runKey(r results.Run) string {
	k := fmt.Sprintf("%s %s %s", scenarioName(r), r.Label(), r.Mode)
	if r.Size > 0 {
		k += " " + humanBytes(r.Size)
	}
	if r.Conns != 1 {
		k += fmt.Sprintf(" conns=%d", r.Conns)
	}
	if r.Engine != "" {
		k += " " + r.Engine
	}
	if r.Traced {
		k += " traced"
	}
	return k + " " + r.Metric
}

// Compare matches the runs of a and b by scenario, runner, mode, size,
// connections, engine and metric (not by host: comparing two machines is
// a use) and tests each pair of repetition sets with Mann-Whitney U.
func Compare(a, b *Source) *Comparison {
	c := &Comparison{A: a, B: b}
	index := func(s *Source) map[string]results.Run {
		m := map[string]results.Run{}
		if s.Bench != nil {
			for _, r := range s.Bench.Runs {
				if ok(r) {
					m[runKey(r)] = r
				}
			}
		}
		return m
	}
	ia, ib := index(a), index(b)
	for k, ra := range ia {
		rb, found := ib[k]
		if !found {
			c.OnlyA = append(c.OnlyA, k)
			continue
		}
		sa, sb := summary(ra), summary(rb)
		ch := Change{Key: k, Metric: ra.Metric, Unit: ra.Unit, NA: sa.N, NB: sb.N, MedianA: sa.Median, MedianB: sb.Median,
			RelativeChange: math.NaN(), Test: MannWhitneyU(ra.Reps, rb.Reps),
			order: fmt.Sprintf("%s %03d %03d %012d %s", ra.Scenario, rank(runnerOrder, ra.Label()), rank(modeOrder, ra.Mode), ra.Size, k)}
		if sa.Median != 0 {
			ch.RelativeChange = (sb.Median - sa.Median) / sa.Median
		}
		ch.Significant = ch.Test.P < Alpha
		c.Changes = append(c.Changes, ch)
	}
	for k := range ib {
		if _, found := ia[k]; !found {
			c.OnlyB = append(c.OnlyB, k)
		}
	}
	sort.Slice(c.Changes, func(i, j int) bool { return c.Changes[i].order < c.Changes[j].order })
	sort.Strings(c.OnlyA)
	sort.Strings(c.OnlyB)
	if a.Isolation != nil && b.Isolation != nil {
		c.IsoCompare = true
		verdicts := func(iso *results.Isolation) map[[2]string]string {
			m := map[[2]string]string{}
			for _, cell := range iso.Cells {
				v := cell.Observed
				if v == "" {
					v = "not run"
				}
				m[[2]string{cell.Probe, cell.Label()}] = v
			}
			return m
		}
		va, vb := verdicts(a.Isolation), verdicts(b.Isolation)
		for k, x := range va {
			if y, found := vb[k]; found && x != y {
				c.Isolation = append(c.Isolation, IsolationChange{k[0], k[1], x, y})
			}
		}
		sort.Slice(c.Isolation, func(i, j int) bool {
			return c.Isolation[i].Probe+c.Isolation[i].Runner < c.Isolation[j].Probe+c.Isolation[j].Runner
		})
	}
	return c
}

// Verdict says in words whether a change is real.
func (ch Change) Verdict() string {
	switch {
	case ch.Significant:
		return "significant"
	case ch.Test.MinP >= Alpha:
		return fmt.Sprintf("not significant (n=%d+%d cannot reach p<%.2g)", ch.NA, ch.NB, Alpha)
	default:
		return "not significant"
	}
}

// Print writes the comparison as a table, then what could not be compared.
func (c *Comparison) Print(w io.Writer) error {
	fmt.Fprintf(w, "A: %s (%s)\nB: %s (%s)\n", c.A.Dir, c.A.Label, c.B.Dir, c.B.Label)
	fmt.Fprintf(w, "Two-sided Mann-Whitney U on the raw repetitions of each run, significance level %.2g; change is of the median.\n\n", Alpha)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tUNIT\tMEDIAN A\tMEDIAN B\tCHANGE\tp\tVERDICT")
	sig := 0
	for _, ch := range c.Changes {
		change := "—"
		if !math.IsNaN(ch.RelativeChange) {
			change = fmt.Sprintf("%+.1f%%", 100*ch.RelativeChange)
		}
		p := fmt.Sprintf("%.3g", ch.Test.P)
		if !ch.Test.Exact {
			p += "~" // normal approximation
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ch.Key, ch.Unit, num(ch.MedianA), num(ch.MedianB), change, p, ch.Verdict())
		if ch.Significant {
			sig++
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d of %d metrics changed significantly (p < %.2g).", sig, len(c.Changes), Alpha)
	if len(c.Changes) > 0 {
		fmt.Fprintf(w, " Even if nothing had changed, about %.1f of %d tests would fall below %.2g by chance.",
			Alpha*float64(len(c.Changes)), len(c.Changes), Alpha)
	}
	fmt.Fprintln(w, " p marked ~ is the normal approximation (ties or large samples); otherwise exact.")
	fmt.Fprintln(w, "Latency percentiles and CPU totals have no repetitions to test and are not compared.")
	for _, only := range []struct {
		side string
		keys []string
	}{{"A", c.OnlyA}, {"B", c.OnlyB}} {
		if len(only.keys) > 0 {
			fmt.Fprintf(w, "Runs with repetitions only in %s (%d), not compared:\n", only.side, len(only.keys))
			for _, k := range only.keys {
				fmt.Fprintf(w, "  %s\n", k)
			}
		}
	}
	if c.IsoCompare {
		if len(c.Isolation) == 0 {
			fmt.Fprintln(w, "Isolation: every cell present in both has the same observed verdict.")
		} else {
			fmt.Fprintf(w, "Isolation: %d cell(s) changed verdict:\n", len(c.Isolation))
			for _, ic := range c.Isolation {
				fmt.Fprintf(w, "  %s under %s: %s -> %s\n", ic.Probe, ic.Runner, ic.A, ic.B)
			}
		}
	}
	return nil
}

// rank is a name's position in order, or after every listed name.
func rank(order []string, name string) int {
	if i := indexOf(order, name); i >= 0 {
		return i
	}
	return len(order)
}
