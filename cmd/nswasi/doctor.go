package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/doctor"
)

var cmdDoctor = &cli.Command{
	UsageLine: "doctor [--subnet PREFIX]",
	Short:     "check what nswasi needs from this machine and say what will be skipped",
	Example:   "sudo bin/nswasi doctor",
	Args:      cli.NoArgs,
}

var doctorFlags commonFlags

func init() {
	cmdDoctor.Run = runDoctor
	doctorFlags.register(&cmdDoctor.Flag)
}

func runDoctor(ctx context.Context, _ *cli.Command, _ []string) error {
	cfg, err := doctorFlags.config()
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
