package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/nswasi/nswasi/internal/doctor"
	"github.com/nswasi/nswasi/internal/usage"
)

func init() {
	register(command{"doctor", "check what nswasi needs from this machine and say what will be skipped", cmdDoctor})
}

func cmdDoctor(ctx context.Context, args []string) error {
	fs := newFlagSet("doctor", "[--subnet PREFIX]", "sudo bin/nswasi doctor")
	var common commonFlags
	common.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.BadInput("unexpected argument %q (see nswasi doctor --help)", fs.Arg(0))
	}
	cfg, err := common.config()
	if err != nil {
		return err
	}
	checks := doctor.Run(ctx, cfg.Namespace)
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	failed := false
	var skips []string
	for _, c := range checks {
		status := "ok"
		if !c.OK {
			status = "MISSING"
			skips = append(skips, fmt.Sprintf("- %s: %s", c.Name, c.Consequence))
			failed = failed || c.Essential
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", status, c.Name, c.Detail)
	}
	tw.Flush()
	if len(skips) > 0 {
		fmt.Println("\nWhat that means:")
		for _, s := range skips {
			fmt.Println(s)
		}
	} else {
		fmt.Println("\nEverything nswasi uses is here.")
	}
	if failed {
		return exitError{1}
	}
	return nil
}
