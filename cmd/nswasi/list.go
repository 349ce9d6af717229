package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"github.com/nswasi/nswasi/scenarios"
)

func init() {
	register(command{"list", "list scenarios and runners", cmdList})
}

func cmdList(_ context.Context, args []string) error {
	fs := newFlagSet("list", "", "nswasi list")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return sandbox.BadInput("unexpected argument %q (see nswasi list --help)", fs.Arg(0))
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIOS\t")
	for _, s := range scenarios.All {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.Kind, s.Summary)
	}
	fmt.Fprintln(tw, "RUNNERS\t")
	for _, r := range runners.All {
		fmt.Fprintf(tw, "  %s\t%s\n", r.Name, r.Summary)
	}
	return tw.Flush()
}
