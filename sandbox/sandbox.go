// Package sandbox defines what every nswasi runner has in common: the Spec
// that says what a guest is granted, the Runner that builds a sandbox and
// starts a guest in it, and the Guest handle the harness drives from outside.
//
// A runner differs from another only in how it builds its sandbox. Nothing is
// granted that the Spec does not name: the guest gets a clean environment, no
// file descriptors beyond stdio and its granted listeners, and (where the
// sandbox can enforce it) no directories beyond its granted ones.
//
// The guest learns its grants from two environment variables that mean the
// same under every runner:
//
//	NSWASI_LISTEN_FDS  comma-separated fd numbers of the granted listeners, in Spec order
//	NSWASI_DIRS        comma-separated paths of the granted directories, as the guest sees them
package sandbox

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
	"time"
)

// Environment variables through which a guest learns its grants.
const (
	EnvListenFDs = "NSWASI_LISTEN_FDS"
	EnvDirs      = "NSWASI_DIRS"
)

// Runner builds a sandbox and starts a guest in it.
type Runner interface {
	// Name is the runner's name on the command line, e.g. "wasi+netns".
	Name() string
	// Start builds the sandbox, starts the guest and returns once the guest
	// process runs and every granted listener accepts connections. On error,
	// everything Start created has been removed.
	Start(ctx context.Context, spec Spec) (Guest, error)
}

// Spec is everything a guest is given. The zero value grants nothing.
type Spec struct {
	// Artifact is the path of the program: a native executable or a .wasm module.
	Artifact string
	// Args are the guest's arguments, without the program name.
	Args []string
	// Env is the guest's whole environment, apart from the NSWASI_* grant variables.
	Env []string
	// Listen lists the TCP listeners the harness opens and grants, in fd order.
	Listen []Listen
	// Dirs lists the granted directories.
	Dirs []Dir
	// User, when set, runs the sandbox process under this uid and gid with
	// no supplementary groups (and so, for a non-zero uid, no capabilities).
	// Nil runs it as nswasi's own user.
	User *User
	// Limits bound the guest's resources; the zero value sets none.
	Limits Limits
	// Timeout bounds the guest's life; zero means no bound beyond ctx.
	Timeout time.Duration
	// Stdout and Stderr, when set, receive the guest's output as it is
	// written, in addition to the bounded copy kept in the Result.
	Stdout, Stderr Writer
}

// Writer is the subset of io.Writer the runners need; it is an alias so that
// any io.Writer fits.
type Writer = interface{ Write(p []byte) (int, error) }

// Limits bound a guest's resources.
type Limits struct {
	// MemoryBytes caps the guest's memory: RLIMIT_DATA for a native guest
	// (RLIMIT_AS would count the Go runtime's large PROT_NONE reservations
	// and kill a Go guest at start-up),
	// the linear-memory page limit (rounded down to 64 KiB pages) for a
	// WASI guest. Zero means no cap.
	MemoryBytes int64
	// Processes caps the processes a native guest's user may have
	// (RLIMIT_NPROC; the kernel ignores it for root, so pair it with
	// User). WASI guests cannot start processes. Zero means no cap.
	Processes int
}

// User is a uid and gid to run a sandbox process as.
type User struct{ UID, GID uint32 }

// Listen is one granted TCP listener.
type Listen struct {
	// Host is an address in the guest's own network. Empty means the
	// address at which the harness can reach the guest: 127.0.0.1 in the
	// root namespace, the namespace side of the veth in a namespace.
	Host string
	// Port 0 means any free port.
	Port int
}

// String formats l as HOST:PORT.
func (l Listen) String() string { return fmt.Sprintf("%s:%d", l.Host, l.Port) }

// Dir is one granted directory.
type Dir struct {
	// HostPath is the directory on the host.
	HostPath string
	// GuestPath is where the guest sees it. Runners without a file-system
	// sandbox (native, netns) cannot remap paths: there the guest sees HostPath.
	GuestPath string
	// ReadOnly grants read access only.
	ReadOnly bool
}

// Guest is a started guest.
type Guest interface {
	// Addrs gives, for each granted listener in Spec order, the address at
	// which the harness reaches it.
	Addrs() []netip.AddrPort
	// Wait waits for the guest to exit and for its sandbox to be removed.
	Wait() Result
	// Stop kills the guest (and everything it started) and then behaves as Wait.
	Stop() Result
}

// Result is what the harness knows about a guest once it has exited.
type Result struct {
	// ExitCode is the guest's exit status, or -1 if it was killed by a signal.
	ExitCode int
	// Signal is the signal that killed the sandbox process, or 0.
	Signal syscall.Signal
	// TimedOut is set when the guest was killed because its Timeout passed.
	TimedOut bool
	// Err is a failure of the harness or the sandbox, not of the guest.
	Err error
	// Stdout and Stderr hold the guest's output, truncated to the last
	// OutputLimit bytes each; *Truncated says whether bytes were dropped.
	Stdout, Stderr                   []byte
	StdoutTruncated, StderrTruncated bool
	// UserCPU and SysCPU are the CPU times of the sandbox process (for the
	// WASI runners that is the wazero host process, runtime included).
	UserCPU, SysCPU time.Duration
	// MaxRSS is the sandbox process's peak resident set size in bytes.
	MaxRSS int64
	// Wall is the time from start to exit.
	Wall time.Duration
}

// OutputLimit bounds how much of each of stdout and stderr a Result keeps,
// so that a guest flooding its output cannot grow nswasi's memory.
const OutputLimit = 1 << 20
