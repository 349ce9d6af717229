// Command nswasi runs the same network guest natively in a network
// namespace and as a WASI module in wazero, and compares what each sandbox
// stops and what it costs. This file only parses the command line; the
// work is done by the packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/wasirun"
)

// commands are nswasi's commands, in the order of the usage listing.
var commands = []*cli.Command{
	cmdExec, cmdIsolation, cmdConformance, cmdBench, cmdReport, cmdCompare, cmdRun, cmdClean, cmdDoctor, cmdList,
}

// exitError carries a specific exit status up to main.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	wasirun.ServeIfHost() // returns unless this process is a wazero host
	os.Exit(mainExit(os.Args[1:]))
}

func mainExit(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 2 && args[0] == "help" {
			if c := lookup(args[1]); c != nil {
				c.Usage(os.Stdout)
				return 0
			}
		}
		cli.PrintUsage(os.Stdout, commands)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(os.Stderr, "nswasi: unknown command %q (see nswasi --help)\n", args[0])
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	err := run(ctx, c, args[1:])
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return 0
	case usage.IsBadInput(err):
		fmt.Fprintf(os.Stderr, "nswasi %s: %v\n", c.Name(), oneLine(err))
		return 2
	default:
		fmt.Fprintf(os.Stderr, "nswasi %s: %v\n", c.Name(), err)
		return 1
	}
}

// run parses a command's flags and arguments by its declaration and runs it.
func run(ctx context.Context, c *cli.Command, args []string) error {
	pos, err := c.Parse(args)
	if err != nil {
		return err
	}
	return c.Run(ctx, c, pos)
}

func lookup(name string) *cli.Command {
	for _, c := range commands {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// interrupted records which signal ended the run, for the exit status.
var interrupted = make(chan os.Signal, 1)

func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			interrupted <- s
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// signalExit is the conventional status for a run ended by a signal.
func signalExit() (int, bool) {
	select {
	case s := <-interrupted:
		interrupted <- s
		return 128 + int(s.(syscall.Signal)), true
	default:
		return 0, false
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}
