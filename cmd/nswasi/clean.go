package main

import (
	"context"
	"fmt"
	"os"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
)

var cmdClean = &cli.Command{
	UsageLine: "clean",
	Short:     "remove kernel objects left by nswasi processes that were killed",
	Example:   "sudo bin/nswasi clean",
	Args:      cli.NoArgs,
	Run:       runClean,
}

func runClean(_ context.Context, _ *cli.Command, _ []string) error {
	if os.Geteuid() != 0 {
		return usage.BadInput("clean removes network namespaces and veth pairs and needs root")
	}
	rep, err := nsrun.Clean(nsrun.Options{})
	for _, o := range rep.Removed {
		fmt.Printf("removed %s\n", o)
	}
	for _, o := range rep.InUse {
		fmt.Printf("left %s: its nswasi process is still running\n", o)
	}
	for _, o := range rep.Unrecorded {
		fmt.Printf("left %s: no nswasi record names it, so nswasi did not provably create it\n", o)
	}
	if err == nil && len(rep.Removed) == 0 {
		fmt.Println("nothing to clean")
	}
	return err
}
