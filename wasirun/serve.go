package wasirun

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental/sock"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

// Exit statuses of the host process for outcomes that have no guest exit code.
const (
	// ExitTrap: the guest trapped (or wazero failed while running it).
	ExitTrap = 70
	// ExitDeadline: the guest was interrupted because its timeout passed.
	ExitDeadline = 124
)

// ServeIfHost turns this process into a wazero host and exits, if it was
// started as one (os.Args[1] == HostCommand); otherwise it returns at once.
//
// It also serves the native runners' limit shim (sandbox.ServeIfLimitShim),
// so that one call at the top of main covers every way nswasi re-executes
// itself.
func ServeIfHost() {
	sandbox.ServeIfLimitShim()
	if len(os.Args) < 2 || os.Args[1] != HostCommand {
		return
	}
	os.Exit(serve(os.NewFile(3, "nswasi-config"), os.NewFile(4, "nswasi-ready")))
}

func serve(cfgFile, readyFile *os.File) int {
	var cfg hostConfig
	err := json.NewDecoder(cfgFile).Decode(&cfg)
	cfgFile.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nswasi wasi host: read config: %v\n", err)
		return 2
	}
	ready := func(r hostReady) {
		_ = json.NewEncoder(readyFile).Encode(r)
		readyFile.Close()
	}

	// SIGTERM or SIGINT sent to the host itself ends the guest through
	// its context: the nswasi host also wakes every blocking host call.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	var stopSignal atomic.Int32
	signal.Notify(sigs, unix.SIGTERM, unix.SIGINT)
	go func() {
		s := <-sigs
		stopSignal.Store(int32(s.(unix.Signal)))
		cancel()
	}()
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	var tracer *hostcallTracer
	if cfg.TraceFile != "" {
		tracer = newHostcallTracer()
		ctx = tracer.withTracer(ctx)
	}
	mod, err := instantiate(ctx, cfg)
	if err != nil {
		ready(hostReady{Error: err.Error(), BadInput: usage.IsBadInput(err)})
		return 2
	}
	ready(hostReady{Addrs: mod.addrs})

	// The guest runs on this goroutine's thread alone, so that a thread
	// CPU clock (WASI's thread_cputime_id) measures the guest.
	runtime.LockOSThread()
	_, err = mod.start.Call(ctx)
	if mod.close != nil {
		mod.close()
	}
	if tracer != nil {
		if werr := results.WriteAtomic(cfg.TraceFile, map[string]any{"hostcalls": tracer.Stats()}); werr != nil {
			fmt.Fprintf(os.Stderr, "nswasi wasi host: write host-call trace: %v\n", werr)
		}
	}
	var exit *sys.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeDeadlineExceeded:
		fmt.Fprintf(os.Stderr, "nswasi: guest interrupted: timeout %s passed\n", cfg.Timeout)
		return ExitDeadline
	case errors.As(err, &exit) && exit.ExitCode() == sys.ExitCodeContextCanceled && stopSignal.Load() != 0:
		sig := unix.Signal(stopSignal.Load())
		fmt.Fprintf(os.Stderr, "nswasi: guest interrupted: %s\n", sig)
		return 128 + int(sig)
	case errors.As(err, &exit):
		return int(exit.ExitCode())
	default:
		fmt.Fprintf(os.Stderr, "nswasi: guest trapped: %v\n", err)
		return ExitTrap
	}
}

type instance struct {
	start interface {
		Call(ctx context.Context, params ...uint64) ([]uint64, error)
	}
	addrs []string
	close func() // releases the WASI host, if it has anything to release
}

// instantiate compiles and instantiates the module without running it, so
// that the listeners wazero binds can be reported before the guest starts.
func instantiate(ctx context.Context, cfg hostConfig) (*instance, error) {
	var rc wazero.RuntimeConfig
	if cfg.Engine == "interpreter" {
		rc = wazero.NewRuntimeConfigInterpreter()
	} else {
		rc = wazero.NewRuntimeConfigCompiler()
	}
	rc = rc.WithCloseOnContextDone(true)
	if cfg.MemoryLimitPages > 0 {
		// Reserve the limit up front: growth by reallocation copies the
		// memory and keeps old copies until the host's GC runs, so the
		// host's RSS would peak at about four times the limit.
		rc = rc.WithMemoryLimitPages(cfg.MemoryLimitPages).WithMemoryCapacityFromMax(true)
	}
	if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache %s: %w", cfg.CacheDir, err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
	compiled, err := compile(ctx, r, cfg.Module)
	if err != nil {
		return nil, err
	}
	if cfg.WASIHost == HostNswasi {
		return instantiateNswasi(ctx, r, compiled, cfg)
	}
	wasi_snapshot_preview1.MustInstantiate(ctx, r)

	guestDirs := make([]string, len(cfg.Dirs))
	fsc := wazero.NewFSConfig()
	for i, d := range cfg.Dirs {
		guest := d.GuestPath
		if guest == "" {
			guest = d.HostPath
		}
		guestDirs[i] = guest
		if d.ReadOnly {
			fsc = fsc.WithReadOnlyDirMount(d.HostPath, guest)
		} else {
			fsc = fsc.WithDirMount(d.HostPath, guest)
		}
	}
	// wazero numbers preopens after stdio: directories first, then listeners.
	fds := make([]int, len(cfg.Listen))
	sc := sock.NewConfig()
	for i, l := range cfg.Listen {
		fds[i] = 3 + len(cfg.Dirs) + i
		host := l.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // wazero joins host and port with a bare ':'
		}
		sc = sc.WithTCPListener(host, l.Port)
	}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithArgs(append([]string{filepath.Base(cfg.Module)}, cfg.Args...)...).
		WithStdout(os.Stdout).
		WithStderr(os.Stderr).
		WithRandSource(rand.Reader).
		WithSysWalltime().
		WithSysNanotime().
		WithSysNanosleep().
		WithStartFunctions() // started by serve, after the listeners are reported
	if len(cfg.Dirs) > 0 {
		mc = mc.WithFSConfig(fsc)
	}
	for _, kv := range guestEnv(cfg, fds, guestDirs) {
		k, v, _ := strings.Cut(kv, "=")
		mc = mc.WithEnv(k, v)
	}

	// wazero binds the listeners itself during instantiation and does not
	// say which port it got; the new listening sockets in this process's
	// fd table tell. See RATIONALE.md.
	before, err := listeningFDs()
	if err != nil {
		return nil, err
	}
	mod, err := r.InstantiateModule(sock.WithConfig(ctx, sc), compiled, mc)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) {
			return nil, usage.BadInput("listen: %v", oe)
		}
		return nil, fmt.Errorf("instantiate %s: %w", cfg.Module, err)
	}
	after, err := listeningFDs()
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, fd := range sortedKeys(after) {
		if before[fd] {
			continue
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return nil, fmt.Errorf("getsockname: %w", err)
		}
		addrs = append(addrs, sandbox.SockaddrAddrPort(sa).String())
	}
	if len(addrs) != len(cfg.Listen) {
		return nil, fmt.Errorf("expected %d new listeners after instantiation, found %d", len(cfg.Listen), len(addrs))
	}
	return &instance{start: mod.ExportedFunction("_start"), addrs: addrs}, nil
}

// compile reads, compiles and checks the module: a WASI command that
// imports nothing but WASI preview 1.
func compile(ctx context.Context, r wazero.Runtime, module string) (wazero.CompiledModule, error) {
	bin, err := os.ReadFile(module)
	if err != nil {
		return nil, usage.BadInput("module %s: %v", module, err)
	}
	compiled, err := r.CompileModule(ctx, bin)
	if err != nil {
		return nil, usage.BadInput("module %s is not a valid WebAssembly module: %v", module, err)
	}
	for _, f := range compiled.ImportedFunctions() {
		if mod, name, _ := f.Import(); mod != wasi_snapshot_preview1.ModuleName {
			return nil, usage.BadInput("module %s imports %s.%s, which WASI preview 1 does not provide", module, mod, name)
		}
	}
	if compiled.ExportedFunctions()["_start"] == nil {
		return nil, usage.BadInput("module %s exports no _start: not a WASI command", module)
	}
	return compiled, nil
}

// guestEnv is the guest's environment: the Spec's, plus the grant
// variables unless the config asks for the environment exactly.
func guestEnv(cfg hostConfig, listenFDs []int, guestDirs []string) []string {
	if cfg.ExactEnv {
		return cfg.Env
	}
	return sandbox.GrantEnv(sandbox.Spec{Env: cfg.Env}, listenFDs, guestDirs)
}

// listeningFDs lists the fds of this process that are listening sockets,
// ascending. Sockets are created in order and each takes the lowest free
// fd, so ascending order is creation order.
func listeningFDs() (map[int]bool, error) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	fds := map[int]bool{}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && v == 1 {
			fds[fd] = true
		}
	}
	return fds, nil
}

func sortedKeys(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}
