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
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/wasirun"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands is filled by register calls in each command's file.
var commands []command

// commandOrder is the order of the usage listing.
var commandOrder = []string{"exec", "isolation", "conformance", "bench", "report", "compare", "run", "clean", "doctor", "list"}

func register(c command) {
	commands = append(commands, c)
	sort.SliceStable(commands, func(i, j int) bool { return rank(commands[i].name) < rank(commands[j].name) })
}

func rank(name string) int {
	for i, n := range commandOrder {
		if n == name {
			return i
		}
	}
	return len(commandOrder)
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
		printUsage(os.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		ctx, stop := signalContext()
		defer stop()
		err := c.run(ctx, args[1:])
		var ee exitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee):
			return ee.code
		case errors.Is(err, flag.ErrHelp):
			return 0
		case usage.IsBadInput(err):
			fmt.Fprintf(os.Stderr, "nswasi %s: %v\n", c.name, oneLine(err))
			return 2
		default:
			fmt.Fprintf(os.Stderr, "nswasi %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(os.Stderr, "nswasi: unknown command %q (see nswasi --help)\n", args[0])
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: nswasi COMMAND [FLAGS] [ARGS]")
	fmt.Fprintln(w)
	// The column is as wide as the longest name, so that a new, longer
	// command cannot push its summary out of line.
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'nswasi COMMAND --help' for a command's flags and an example.")
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

// newFlagSet returns a flag set that reports errors as one InputError line
// instead of printing usage on every mistake.
func newFlagSet(name, synopsis, example string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(os.Stdout, "usage: nswasi %s %s\n\nflags:\n", name, synopsis)
		fs.SetOutput(os.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprintf(os.Stdout, "\nexample:\n  %s\n", example)
	}
	return fs
}

// parseFlags parses args. On -h or --help, FlagSet.Parse has already
// printed the usage through fs.Usage, so it is not printed again here.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return usage.BadInput("%v (see nswasi %s --help)", err, fs.Name())
	}
	return nil
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// repeated is a flag that may be given many times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, " ") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }
