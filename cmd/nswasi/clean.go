package main

import (
	"context"
	"fmt"
	"os"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
)

func init() {
	register(command{"clean", "remove kernel objects left by nswasi processes that were killed", cmdClean})
}

func cmdClean(_ context.Context, args []string) error {
	fs := newFlagSet("clean", "", "sudo bin/nswasi clean")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.BadInput("unexpected argument %q (see nswasi clean --help)", fs.Arg(0))
	}
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
