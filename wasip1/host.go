package wasip1

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
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
	// The host duplicates them and never changes their file status flags,
	// which they share with whoever else holds them (a terminal, say).
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
	// opened through it lack every right to write, and files are opened
	// read-only on the host.
	ReadOnly bool
}

// Host is an instantiated wasi_snapshot_preview1 module and the guest's
// descriptor table. A wasip1 guest has one thread, so host functions never
// run concurrently; only Interrupt may be called from another goroutine.
type Host struct {
	args, env [][]byte
	fds       []*entry // the guest's descriptor table; nil slots are free
	wake      int      // eventfd that every blocking wait also polls
	exitCode  atomic.Uint32
	stopped   atomic.Bool
	done      chan struct{}
	mod       api.Closer
	// poll_oneoff's scratch, reused from call to call
	pollSubs []subscription
	pollFds  []unix.PollFd
}

// Instantiate opens the preopens and instantiates the host module in r
// under ModuleName. When ctx is done, every blocking host call returns and
// the guest exits with sys.ExitCodeDeadlineExceeded or
// sys.ExitCodeContextCanceled, as wazero's own context handling would.
func Instantiate(ctx context.Context, r wazero.Runtime, cfg Config) (*Host, error) {
	h, err := newHost(cfg)
	if err != nil {
		return nil, err
	}
	b := r.NewHostModuleBuilder(ModuleName)
	for _, f := range functions {
		f := f
		results := []api.ValueType{api.ValueTypeI32}
		if f.noResult {
			results = nil
		}
		b.NewFunctionBuilder().
			WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, m api.Module, stack []uint64) {
				e := f.call(h, ctx, m, stack)
				if !f.noResult {
					stack[0] = uint64(e)
				}
			}), f.params, results).
			WithParameterNames(f.names...).
			Export(f.name)
	}
	mod, err := b.Instantiate(ctx)
	if err != nil {
		h.closeFDs()
		unix.Close(h.wake)
		return nil, err
	}
	h.mod = mod
	go func() {
		select {
		case <-ctx.Done():
			code := sys.ExitCodeContextCanceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				code = sys.ExitCodeDeadlineExceeded
			}
			h.Interrupt(code)
		case <-h.done:
		}
	}()
	return h, nil
}

// newHost builds the descriptor table.
func newHost(cfg Config) (*Host, error) {
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	h := &Host{wake: wake, done: make(chan struct{})}
	fail := func(err error) (*Host, error) {
		h.closeFDs()
		unix.Close(wake)
		return nil, err
	}
	for _, a := range cfg.Args {
		h.args = append(h.args, []byte(a))
	}
	for _, e := range cfg.Env {
		h.env = append(h.env, []byte(e))
	}
	for i, f := range []*os.File{cfg.Stdin, cfg.Stdout, cfg.Stderr} {
		e, err := stdioEntry(f, i == 0)
		if err != nil {
			return fail(err)
		}
		h.fds = append(h.fds, e)
	}
	for _, d := range cfg.Dirs {
		fd, err := unix.Open(d.HostPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fail(fmt.Errorf("preopen %s: %w", d.HostPath, err))
		}
		base := rightsDir
		inheriting := rightsDir | rightsFile
		if d.ReadOnly {
			base &^= rightsWrite
			inheriting &^= rightsWrite
		}
		h.fds = append(h.fds, &entry{fd: fd, filetype: filetypeDirectory, base: base, inheriting: inheriting, preopen: d.GuestPath})
	}
	for _, l := range cfg.Listeners {
		fd, err := unix.FcntlInt(l.Fd(), unix.F_DUPFD_CLOEXEC, 0)
		if err == nil {
			err = unix.SetNonblock(fd, true)
		}
		if err != nil {
			unix.Close(fd)
			return fail(fmt.Errorf("preopen listener: %w", err))
		}
		h.fds = append(h.fds, &entry{fd: fd, filetype: filetypeSocketStream, base: rightsListener, listener: true, owned: true})
	}
	return h, nil
}

// stdioEntry duplicates f (or opens /dev/null) as a standard descriptor.
func stdioEntry(f *os.File, input bool) (*entry, error) {
	var fd int
	var err error
	if f == nil {
		mode := unix.O_WRONLY
		if input {
			mode = unix.O_RDONLY
		}
		fd, err = unix.Open(os.DevNull, mode|unix.O_CLOEXEC, 0)
	} else {
		fd, err = unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("stdio: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stdio: %w", err)
	}
	ft := filetypeOf(fd, st.Mode)
	return &entry{fd: fd, filetype: ft, base: rightsFor(ft) &^ (RightFdSeek | RightFdTell), inheriting: 0}, nil
}

// Interrupt makes every blocking host call return at once, now and later,
// and the guest exit with exitCode at its next host call. It may be called
// from any goroutine, any number of times; the first code wins.
func (h *Host) Interrupt(exitCode uint32) {
	if h.stopped.CompareAndSwap(false, true) {
		h.exitCode.Store(exitCode)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		_, _ = unix.Write(h.wake, one[:])
	}
}

// Close closes the host module and every descriptor the host holds.
func (h *Host) Close() error {
	select {
	case <-h.done:
		return nil
	default:
	}
	close(h.done)
	var err error
	if h.mod != nil {
		err = h.mod.Close(context.Background())
	}
	h.closeFDs()
	unix.Close(h.wake)
	return err
}

func (h *Host) closeFDs() {
	for i, e := range h.fds {
		if e != nil {
			e.close()
			h.fds[i] = nil
		}
	}
}

// checkStop ends the guest if the host was interrupted: called after
// every wait, so that a guest blocked in the host leaves at once.
func (h *Host) checkStop(ctx context.Context, m api.Module) {
	if h.stopped.Load() {
		code := h.exitCode.Load()
		_ = m.CloseWithExitCode(ctx, code)
		panic(sys.NewExitError(code))
	}
}

// A function is one export of the host module. Every parameter is an i32
// or an i64, and every function but proc_exit returns an errno.
type function struct {
	name     string
	params   []api.ValueType
	names    []string
	noResult bool
	call     func(h *Host, ctx context.Context, m api.Module, p []uint64) Errno
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func fn(name string, call func(h *Host, ctx context.Context, m api.Module, p []uint64) Errno, params ...string) function {
	f := function{name: name, call: call}
	for _, p := range params {
		// A parameter is "name" (i32) or "name:64" (i64).
		t := i32
		if len(p) > 3 && p[len(p)-3:] == ":64" {
			t, p = i64, p[:len(p)-3]
		}
		f.params = append(f.params, t)
		f.names = append(f.names, p)
	}
	return f
}

// functions is every function WASI preview 1 defines, in the order of the
// specification.
var functions = []function{
	fn("args_get", argsGet, "argv", "argv_buf"),
	fn("args_sizes_get", argsSizesGet, "result.argc", "result.argv_len"),
	fn("environ_get", environGet, "environ", "environ_buf"),
	fn("environ_sizes_get", environSizesGet, "result.environc", "result.environv_len"),
	fn("clock_res_get", clockResGet, "id", "result.resolution"),
	fn("clock_time_get", clockTimeGet, "id", "precision:64", "result.timestamp"),
	fn("fd_advise", fdAdvise, "fd", "offset:64", "len:64", "advice"),
	fn("fd_allocate", fdAllocate, "fd", "offset:64", "len:64"),
	fn("fd_close", fdClose, "fd"),
	fn("fd_datasync", fdDatasync, "fd"),
	fn("fd_fdstat_get", fdFdstatGet, "fd", "result.stat"),
	fn("fd_fdstat_set_flags", fdFdstatSetFlags, "fd", "flags"),
	fn("fd_fdstat_set_rights", fdFdstatSetRights, "fd", "fs_rights_base:64", "fs_rights_inheriting:64"),
	fn("fd_filestat_get", fdFilestatGet, "fd", "result.buf"),
	fn("fd_filestat_set_size", fdFilestatSetSize, "fd", "size:64"),
	fn("fd_filestat_set_times", fdFilestatSetTimes, "fd", "atim:64", "mtim:64", "fst_flags"),
	fn("fd_pread", fdPread, "fd", "iovs", "iovs_len", "offset:64", "result.nread"),
	fn("fd_prestat_get", fdPrestatGet, "fd", "result.prestat"),
	fn("fd_prestat_dir_name", fdPrestatDirName, "fd", "path", "path_len"),
	fn("fd_pwrite", fdPwrite, "fd", "iovs", "iovs_len", "offset:64", "result.nwritten"),
	fn("fd_read", fdRead, "fd", "iovs", "iovs_len", "result.nread"),
	fn("fd_readdir", fdReaddir, "fd", "buf", "buf_len", "cookie:64", "result.bufused"),
	fn("fd_renumber", fdRenumber, "fd", "to"),
	fn("fd_seek", fdSeek, "fd", "offset:64", "whence", "result.newoffset"),
	fn("fd_sync", fdSync, "fd"),
	fn("fd_tell", fdTell, "fd", "result.offset"),
	fn("fd_write", fdWrite, "fd", "iovs", "iovs_len", "result.nwritten"),
	fn("path_create_directory", pathCreateDirectory, "fd", "path", "path_len"),
	fn("path_filestat_get", pathFilestatGet, "fd", "flags", "path", "path_len", "result.buf"),
	fn("path_filestat_set_times", pathFilestatSetTimes, "fd", "flags", "path", "path_len", "atim:64", "mtim:64", "fst_flags"),
	fn("path_link", pathLink, "old_fd", "old_flags", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"),
	fn("path_open", pathOpen, "fd", "dirflags", "path", "path_len", "oflags", "fs_rights_base:64", "fs_rights_inheriting:64", "fdflags", "result.opened_fd"),
	fn("path_readlink", pathReadlink, "fd", "path", "path_len", "buf", "buf_len", "result.bufused"),
	fn("path_remove_directory", pathRemoveDirectory, "fd", "path", "path_len"),
	fn("path_rename", pathRename, "fd", "old_path", "old_path_len", "new_fd", "new_path", "new_path_len"),
	fn("path_symlink", pathSymlink, "old_path", "old_path_len", "fd", "new_path", "new_path_len"),
	fn("path_unlink_file", pathUnlinkFile, "fd", "path", "path_len"),
	fn("poll_oneoff", pollOneoff, "in", "out", "nsubscriptions", "result.nevents"),
	{name: "proc_exit", params: []api.ValueType{i32}, names: []string{"rval"}, noResult: true, call: procExit},
	fn("proc_raise", procRaise, "sig"),
	fn("sched_yield", schedYield),
	fn("random_get", randomGet, "buf", "buf_len"),
	fn("sock_accept", sockAccept, "fd", "flags", "result.fd"),
	fn("sock_recv", sockRecv, "fd", "ri_data", "ri_data_len", "ri_flags", "result.ro_datalen", "result.ro_flags"),
	fn("sock_send", sockSend, "fd", "si_data", "si_data_len", "si_flags", "result.so_datalen"),
	fn("sock_shutdown", sockShutdown, "fd", "how"),
}
