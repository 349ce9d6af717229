package sandbox

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nswasi/nswasi/internal/usage"
)

// LimitCommand is the hidden first argument with which nswasi re-executes
// itself to set resource limits and then exec a native guest. Go's os/exec
// cannot set rlimits between fork and exec, and setting them after start
// races with the guest; the shim makes them hold from the guest's first
// instruction.
const LimitCommand = "__nswasi-limited-exec"

// ServeIfLimitShim turns this process into the limit shim and never returns,
// if it was started as one; otherwise it returns at once. Call it first in
// main (wasirun.ServeIfHost does).
func ServeIfLimitShim() {
	if len(os.Args) < 2 || os.Args[1] != LimitCommand {
		return
	}
	// argv: self LimitCommand MEMORY PROCS PATH ARGV0 ARGS...
	if len(os.Args) < 6 {
		fmt.Fprintln(os.Stderr, "nswasi limit shim: bad arguments")
		os.Exit(2)
	}
	mem, err1 := strconv.ParseInt(os.Args[2], 10, 64)
	procs, err2 := strconv.ParseInt(os.Args[3], 10, 64)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "nswasi limit shim: bad limits")
		os.Exit(2)
	}
	if mem > 0 {
		setLimit(unix.RLIMIT_DATA, uint64(mem))
	}
	if procs > 0 {
		setLimit(unix.RLIMIT_NPROC, uint64(procs))
	}
	err := syscall.Exec(os.Args[4], os.Args[5:], os.Environ())
	fmt.Fprintf(os.Stderr, "nswasi limit shim: exec %s: %v\n", os.Args[4], err)
	os.Exit(127)
}

func setLimit(res int, v uint64) {
	if err := unix.Setrlimit(res, &unix.Rlimit{Cur: v, Max: v}); err != nil {
		fmt.Fprintf(os.Stderr, "nswasi limit shim: setrlimit %d: %v\n", res, err)
		os.Exit(2)
	}
}

// WithLimits rewrites a native launch so that it passes through the limit
// shim when spec sets limits; otherwise it returns l unchanged.
func WithLimits(l Launch, lim Limits) (Launch, error) {
	if lim.MemoryBytes == 0 && lim.Processes == 0 {
		return l, nil
	}
	if lim.MemoryBytes < 0 || lim.Processes < 0 {
		return l, usage.BadInput("limits must not be negative")
	}
	self, err := os.Executable()
	if err != nil {
		return l, fmt.Errorf("find nswasi executable for the limit shim: %w", err)
	}
	args := []string{LimitCommand, strconv.FormatInt(lim.MemoryBytes, 10), strconv.Itoa(lim.Processes), l.Path, l.Path}
	l.Args = append(args, l.Args...)
	l.Path = self
	return l, nil
}
