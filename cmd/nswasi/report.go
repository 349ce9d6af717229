package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/report"
)

func init() {
	register(command{"report", "write report.md, a self-contained report.html and plots from result directories", cmdReport})
	register(command{"compare", "compare two result directories, with a significance test per metric", cmdCompare})
}

func cmdReport(_ context.Context, args []string) error {
	fs := newFlagSet("report", "DIR... [--out OUTDIR]", "nswasi report results/ --out report/   # or: nswasi report hostA/ hostB/ --out both/")
	out := fs.String("out", "", "output directory (default: the single DIR; required with several)")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return usage.BadInput("no result directory given (see nswasi report --help)")
	}
	if *out == "" {
		if len(dirs) > 1 {
			return usage.BadInput("%d result directories given: say where the merged report goes with --out OUTDIR", len(dirs))
		}
		*out = dirs[0]
	}
	// Load everything before writing anything, so bad input leaves nothing behind.
	d, err := report.Load(dirs...)
	if err != nil {
		return err
	}
	figs, err := report.Write(d, *out)
	if err != nil {
		return err
	}
	var labels []string
	for _, s := range d.Sources {
		labels = append(labels, s.Label)
	}
	fmt.Printf("report of %s:\n  %s\n  %s\n  %d figures as SVG and PNG in %s\n", strings.Join(labels, ", "),
		filepath.Join(*out, report.MarkdownFile), filepath.Join(*out, report.HTMLFile), len(figs), filepath.Join(*out, report.PlotsDir))
	return nil
}

func cmdCompare(_ context.Context, args []string) error {
	fs := newFlagSet("compare", "A B", "nswasi compare before/ after/")
	dirs, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) != 2 {
		return usage.BadInput("compare takes exactly two result directories, got %d (see nswasi compare --help)", len(dirs))
	}
	d, err := report.Load(dirs...)
	if err != nil {
		return err
	}
	return report.Compare(d.Sources[0], d.Sources[1]).Print(os.Stdout)
}

// parseInterleaved parses flags given before, between or after the
// positional arguments ("report A B --out X"), which flag.Parse alone stops
// at, and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
