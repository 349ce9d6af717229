package conformance

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/nswasi/nswasi/internal/results"
)

// Counts are a host's cases by outcome.
type Counts struct {
	Pass, Fail, Timeout, HostError, Total int
}

// Count tallies the cases of host.
func Count(res *results.Conformance, host string) Counts {
	var n Counts
	for _, c := range res.Cases {
		if c.Host != host {
			continue
		}
		n.Total++
		switch c.Outcome {
		case results.Pass:
			n.Pass++
		case results.Fail:
			n.Fail++
		case results.Timeout:
			n.Timeout++
		default:
			n.HostError++
		}
	}
	return n
}

// Summary is the per-host tally as a Markdown table.
func Summary(res *results.Conformance) string {
	var b strings.Builder
	b.WriteString("| WASI host | pass | fail | timeout | host error |\n|---|---:|---:|---:|---:|\n")
	for _, h := range res.Hosts {
		n := Count(res, h)
		fmt.Fprintf(&b, "| %s | %d/%d | %d | %d | %d |\n", h, n.Pass, n.Total, n.Fail, n.Timeout, n.HostError)
	}
	return b.String()
}

// Markdown renders a result: the tally, the host × test table, why each
// failure failed, and the comparison with the expectations list.
func Markdown(res *results.Conformance) string {
	var b strings.Builder
	env := res.Environment
	b.WriteString("# WASI preview 1 conformance\n\n")
	wazero := env.WazeroVersion
	if wazero == "" {
		wazero = "(version unknown)"
	}
	fmt.Fprintf(&b, "wasi-testsuite tests under each WASI host; wazero %s, engine %v, timeout %vs per test; nswasi %s, %s, %s.\n\n",
		wazero, res.Config.Engine, res.Config.TimeoutS, env.NswasiVersion, env.Kernel, env.Time.Format("2006-01-02 15:04 MST"))
	if res.Partial {
		b.WriteString("**Partial:** the run was interrupted; cases that did not finish are missing.\n\n")
	}
	b.WriteString(Summary(res))
	b.WriteString("\n")

	short := map[string]string{}
	for _, s := range res.Suites {
		short[s.Name] = filepath.Base(s.Dir)
	}
	type key struct{ suite, test, host string }
	byKey := map[key]results.ConformanceCase{}
	var rows []key
	for _, c := range res.Cases {
		k := key{c.Suite, c.Test, ""}
		if _, ok := byKey[k]; !ok {
			byKey[k] = c // marks the row as seen
			rows = append(rows, k)
		}
		byKey[key{c.Suite, c.Test, c.Host}] = c
	}
	b.WriteString("| suite | test |")
	for _, h := range res.Hosts {
		fmt.Fprintf(&b, " %s |", h)
	}
	b.WriteString("\n|---|---|")
	for range res.Hosts {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |", short[r.suite], r.test)
		for _, h := range res.Hosts {
			c, ok := byKey[key{r.suite, r.test, h}]
			switch {
			case !ok:
				b.WriteString(" (not run) |")
			case c.Outcome == results.Pass:
				b.WriteString(" pass |")
			default:
				fmt.Fprintf(&b, " **%s**%s |", strings.ToUpper(c.Outcome), star(c))
			}
		}
		b.WriteString("\n")
	}
	if res.Expectations != nil {
		fmt.Fprintf(&b, "\n✱ listed in %s as a test %s is known to fail.\n", filepath.Base(res.Expectations.Source), res.Expectations.Host)
	}

	first := true
	for _, c := range res.Cases {
		if c.Outcome == results.Pass {
			continue
		}
		if first {
			b.WriteString("\n## Why\n\n")
			first = false
		}
		fmt.Fprintf(&b, "- **%s** %s/%s%s: %s\n", c.Host, short[c.Suite], c.Test, star(c), md(strings.Join(c.Reasons, "; ")))
	}

	if e := res.Expectations; e != nil {
		fmt.Fprintf(&b, "\n## %s against %s\n\n", e.Host, e.Source)
		if e.Agree {
			fmt.Fprintf(&b, "Agree: %s failed exactly the listed tests that ran.\n\n", e.Host)
		} else {
			fmt.Fprintf(&b, "**Disagree:** %s's failures are not exactly the listed tests that ran.\n\n", e.Host)
		}
		b.WriteString("| listed suite | test | ran | outcome |\n|---|---|---|---|\n")
		for _, l := range e.Listed {
			ran, out := "no (not in the folders run)", ""
			if l.Ran {
				ran, out = "yes", l.Outcome
				if l.Outcome == results.Pass {
					out = "**pass** (listed, yet passed)"
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", l.Suite, l.Test, ran, out)
		}
		if len(e.Unexpected) > 0 {
			fmt.Fprintf(&b, "\nFailures the list does not predict: %s\n", strings.Join(e.Unexpected, ", "))
		}
	}
	return b.String()
}

func star(c results.ConformanceCase) string {
	if c.ExpectedFailure {
		return " ✱"
	}
	return ""
}

// md keeps a reason on one table-safe line.
func md(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "`", "'").Replace(s)
}
