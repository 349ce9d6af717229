package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/report"
)

var cmdReport = &cli.Command{
	UsageLine:   "report DIR... [--out OUTDIR]",
	Short:       "write report.md, a self-contained report.html and plots from result directories",
	Example:     "nswasi report results/ --out report/   # or: nswasi report hostA/ hostB/ --out both/",
	Args:        cli.AtLeast(1, "result directory"),
	Interleaved: true,
}

var reportOut string

func init() {
	cmdReport.Run = runReport
	cmdReport.Flag.StringVar(&reportOut, "out", "", "output directory (default: the single DIR; required with several)")
}

func runReport(_ context.Context, _ *cli.Command, dirs []string) error {
	out := reportOut
	if out == "" {
		if len(dirs) > 1 {
			return usage.BadInput("%d result directories given: say where the merged report goes with --out OUTDIR", len(dirs))
		}
		out = dirs[0]
	}
	// Load everything before writing anything, so bad input leaves nothing behind.
	d, err := report.Load(dirs...)
	if err != nil {
		return err
	}
	figs, err := report.Write(d, out)
	if err != nil {
		return err
	}
	var labels []string
	for _, s := range d.Sources {
		labels = append(labels, s.Label)
	}
	fmt.Printf("report of %s:\n  %s\n  %s\n  %d figures as SVG and PNG in %s\n", strings.Join(labels, ", "),
		filepath.Join(out, report.MarkdownFile), filepath.Join(out, report.HTMLFile), len(figs), filepath.Join(out, report.PlotsDir))
	return nil
}

var cmdCompare = &cli.Command{
	UsageLine:   "compare A B",
	Short:       "compare two result directories, with a significance test per metric",
	Example:     "nswasi compare before/ after/",
	Args:        cli.Exactly(2, "result directories"),
	Interleaved: true,
	Run:         runCompare,
}

func runCompare(_ context.Context, _ *cli.Command, dirs []string) error {
	d, err := report.Load(dirs...)
	if err != nil {
		return err
	}
	return report.Compare(d.Sources[0], d.Sources[1]).Print(os.Stdout)
}
