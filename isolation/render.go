package isolation

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/nswasi/nswasi/internal/results"
)

// Mark is how a cell reads in the matrix: the observed verdict, "!" after a
// mismatch, "-" with no verdict (the cell says why).
func Mark(c results.Cell) string {
	switch {
	case c.Observed == "":
		return "-"
	case c.Mismatch:
		return c.Observed + " !"
	}
	return c.Observed
}

// cellIndex finds a cell by probe and column (results.Label).
func cellIndex(iso *results.Isolation) map[[2]string]results.Cell {
	m := map[[2]string]results.Cell{}
	for _, c := range iso.Cells {
		m[[2]string{c.Probe, c.Label()}] = c
	}
	return m
}

// Columns lists the matrix's columns: each runner in the run's order, a
// WASI runner once per WASI host it ran under ("wasi (nswasi)").
func Columns(iso *results.Isolation) []string {
	hosts := map[string][]string{}
	for _, c := range iso.Cells {
		if c.WASIHost != "" && !slices.Contains(hosts[c.Runner], c.WASIHost) {
			hosts[c.Runner] = append(hosts[c.Runner], c.WASIHost)
		}
	}
	var cols []string
	for _, r := range iso.Runners {
		hs := hosts[r]
		if len(hs) == 0 {
			cols = append(cols, r)
			continue
		}
		// The run's host order, not the order cells happened to finish.
		slices.SortStableFunc(hs, func(a, b string) int {
			return slices.Index(iso.WASIHosts, a) - slices.Index(iso.WASIHosts, b)
		})
		for _, h := range hs {
			cols = append(cols, results.Label(r, h))
		}
	}
	return cols
}

// Table formats the matrix as text: rows probes, columns runners.
func Table(iso *results.Isolation) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	cols := Columns(iso)
	fmt.Fprintf(tw, "PROBE\t%s\n", strings.ToUpper(strings.Join(cols, "\t")))
	idx := cellIndex(iso)
	for _, p := range iso.Probes {
		row := []string{p.Name}
		for _, r := range cols {
			c, ok := idx[[2]string{p.Name, r}]
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, Mark(c))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
	n := iso.Counts()
	fmt.Fprintf(&b, "\n%d cells, %d mismatches (marked !), %d without a verdict (-)", n.Cells, n.Mismatches, n.NotRun)
	if iso.Partial {
		b.WriteString("; PARTIAL: the run was interrupted")
	}
	b.WriteString("\n")
	return b.String()
}

// Markdown is isolation.md: the matrix, then every mismatch and every cell
// without a verdict with its evidence, then the probes.
func Markdown(iso *results.Isolation) string {
	var b strings.Builder
	e := iso.Environment
	b.WriteString("# nswasi isolation matrix\n\n")
	fmt.Fprintf(&b, "%s; kernel %s; %s; wazero %s; nswasi %s; native guests as %s.\n\n",
		e.Time.Format("2006-01-02 15:04 UTC"), e.Kernel, e.GoVersion, e.WazeroVersion, e.NswasiVersion, iso.NativeUser)
	if iso.Partial {
		b.WriteString("**Partial:** the run was interrupted; cells not listed did not run.\n\n")
	}
	b.WriteString("Each cell is the verdict an oracle outside the sandbox observed. `!` marks a mismatch with the verdict the sandbox promises; `-` a cell that could not run (see below).\n\n")
	cols := Columns(iso)
	fmt.Fprintf(&b, "| probe | %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---|", len(cols)))
	idx := cellIndex(iso)
	for _, p := range iso.Probes {
		row := []string{p.Name}
		for _, r := range cols {
			c, ok := idx[[2]string{p.Name, r}]
			switch {
			case !ok:
				row = append(row, "")
			case c.Mismatch:
				row = append(row, "**"+c.Observed+" !**")
			default:
				row = append(row, Mark(c))
			}
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	n := iso.Counts()
	mism, unrun := n.Mismatches, n.NotRun
	fmt.Fprintf(&b, "\n## Mismatches (%d)\n\n", mism)
	if mism == 0 {
		b.WriteString("None: every cell that ran behaved as its sandbox promises.\n")
	}
	for _, c := range iso.Cells {
		if !c.Mismatch {
			continue
		}
		fmt.Fprintf(&b, "### %s under %s: expected %s, observed %s\n\n", c.Probe, c.Label(), c.Expected, c.Observed)
		fmt.Fprintf(&b, "- **Promise:** %s.\n- **Evidence:** %s\n\n", c.Rationale, escapePipes(c.Evidence))
	}
	if unrun > 0 {
		fmt.Fprintf(&b, "## Cells without a verdict (%d)\n\n", unrun)
		for _, c := range iso.Cells {
			if c.Observed == "" {
				fmt.Fprintf(&b, "- %s under %s: %s\n", c.Probe, c.Label(), c.Reason)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Probes\n\n| probe | category | what it tries | concept |\n|---|---|---|---|\n")
	for _, p := range iso.Probes {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", p.Name, p.Category, p.Description, p.Concept)
	}
	b.WriteString("\n## Every cell\n\n| probe | runner | expected | observed | why expected | evidence |\n|---|---|---|---|---|---|\n")
	for _, c := range iso.Cells {
		obs := c.Observed
		if obs == "" {
			obs = "- (" + c.Reason + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", c.Probe, c.Label(), c.Expected, escapePipes(obs), escapePipes(c.Rationale), escapePipes(c.Evidence))
	}
	return b.String()
}

func escapePipes(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
