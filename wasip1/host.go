package wasip1

import (
	"context"
	"errors"
	"os"

	"github.com/tetratelabs/wazero"
)

// ModuleName is the import module name of WASI preview 1.
const ModuleName = "wasi_snapshot_preview1"

// Config is everything a guest is given.
type Config struct {
	// Args is the guest's argv, program name first.
	Args []string
	// Env is the guest's environment, KEY=VALUE each.
	Env []string
	// Stdin, Stdout and Stderr become fds 0, 1 and 2; nil means /dev/null.
	// The host duplicates them and never changes their file status flags.
	Stdin, Stdout, Stderr *os.File
	// Dirs are preopened directories, fds 3 onwards.
	Dirs []Dir
	// Listeners are preopened listening sockets, numbered after Dirs. The
	// host duplicates them; the caller may close its copies.
	Listeners []*os.File
}

// Dir is one preopened directory.
type Dir struct {
	// HostPath is the directory on the host.
	HostPath string
	// GuestPath is the name the guest sees (fd_prestat_dir_name).
	GuestPath string
	// ReadOnly grants only the rights to read: the preopen and everything
	// opened through it lack every right to write.
	ReadOnly bool
}

// Host is an instantiated wasi_snapshot_preview1 module.
type Host struct{}

// Instantiate opens the preopens and instantiates the host module in r
// under ModuleName. When ctx is done, every blocking host call returns and
// the guest exits with sys.ExitCodeDeadlineExceeded or
// sys.ExitCodeContextCanceled.
func Instantiate(ctx context.Context, r wazero.Runtime, cfg Config) (*Host, error) {
	return nil, errors.New("wasip1: not implemented yet")
}

// Close closes every descriptor the host holds.
func (h *Host) Close() error { return nil }
