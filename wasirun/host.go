// Package wasirun runs WASI (wasip1) guests in wazero, isolated by
// capabilities: the module gets exactly the listeners, directories,
// arguments and environment its Spec names, as WASI preopens.
//
// wazero runs in a child process — the nswasi binary re-executing itself
// with HostCommand — so that the guest's CPU time, memory and crashes are
// accounted for and contained exactly like a native guest's. Programs that
// use this package must call ServeIfHost at the top of main (and of
// TestMain in tests).
package wasirun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nswasi/nswasi/internal/runnerinfo"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
)

// HostCommand is the hidden first argument with which nswasi re-executes
// itself as a wazero host.
const HostCommand = "__nswasi-wasi-host"

// Engines lists the wazero engines a Host can use.
var Engines = []string{"compiler", "interpreter"}

// WASI hosts: the implementation of the wasi_snapshot_preview1 module that
// the guest is linked against. Both run on the same wazero engine, so their
// difference is the cost and the behaviour of the WASI layer alone.
// The registry (package runnerinfo) declares them; these names are its.
const (
	// HostWazero is wazero's own wasi_snapshot_preview1.
	HostWazero = runnerinfo.HostWazero
	// HostNswasi is nswasi's preview 1 host (package wasip1): real socket
	// readiness in poll_oneoff, paths that cannot leave their preopen.
	HostNswasi = runnerinfo.HostNswasi
)

// WASIHosts lists the WASI hosts a Host can link a guest against.
var WASIHosts = runnerinfo.Hosts

// Host is the WASI runner. Its zero value is the "wasi" runner with
// wazero's compiler and a compilation cache under the user cache directory.
type Host struct {
	// Netns puts the host process in a fresh network namespace: the
	// "wasi+netns" runner, both sandboxes at once.
	Netns bool
	// NsOptions configure that namespace.
	NsOptions nsrun.Options
	// Exe is the program re-executed as the host; empty means this executable.
	Exe string
	// CacheDir keeps compiled modules between starts; empty means
	// $XDG_CACHE_HOME/nswasi/wazero (or its platform equivalent).
	CacheDir string
	// Engine is "compiler" (default) or "interpreter".
	Engine string
	// WASIHost is the wasi_snapshot_preview1 implementation: HostWazero
	// (default) or HostNswasi.
	WASIHost string
	// ExactEnv gives the guest exactly Spec.Env, without the NSWASI_*
	// grant variables: for conformance tests that compare the environment.
	ExactEnv bool
	// MemoryLimitPages caps the guest's linear memory in 64 KiB pages; zero
	// means wazero's default (4 GiB).
	MemoryLimitPages uint32
	// TraceFile, when set, makes the host count calls and time per WASI
	// function (see trace.go) and write them as JSON to this path when the
	// guest's _start returns; read it with LoadHostcalls. A host that is
	// killed writes nothing.
	TraceFile string
}

// Name implements sandbox.Runner.
func (h Host) Name() string {
	if h.Netns {
		return "wasi+netns"
	}
	return "wasi"
}

// hostConfig travels from nswasi to the host process over a pipe.
type hostConfig struct {
	Module           string           `json:"module"`
	Args             []string         `json:"args"`
	Env              []string         `json:"env"`
	Dirs             []sandbox.Dir    `json:"dirs"`
	Listen           []sandbox.Listen `json:"listen"`
	CacheDir         string           `json:"cache_dir"`
	Engine           string           `json:"engine"`
	WASIHost         string           `json:"wasi_host"`
	ExactEnv         bool             `json:"exact_env,omitempty"`
	MemoryLimitPages uint32           `json:"memory_limit_pages"`
	Timeout          time.Duration    `json:"timeout"`
	TraceFile        string           `json:"trace_file,omitempty"`
}

// hostReady travels back once the module is instantiated and its listeners
// are bound, or once that has failed.
type hostReady struct {
	Addrs    []string `json:"addrs,omitempty"`
	Error    string   `json:"error,omitempty"`
	BadInput bool     `json:"bad_input,omitempty"`
}

// DefaultCacheDir is where compiled modules are kept when Host.CacheDir is empty.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = filepath.Join(os.TempDir(), "nswasi-cache")
	}
	return filepath.Join(dir, "nswasi", "wazero")
}

// Start implements sandbox.Runner.
func (h Host) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Guest, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	wasm, err := sandbox.IsWasm(spec.Artifact)
	if err != nil {
		return nil, err
	}
	if !wasm {
		return nil, usage.BadInput("artifact %s is not a WebAssembly module: use the native or netns runner", spec.Artifact)
	}
	engine := h.Engine
	if engine == "" {
		engine = "compiler"
	}
	if engine != "compiler" && engine != "interpreter" {
		return nil, usage.BadInput("engine %q: want compiler or interpreter", engine)
	}
	wasiHost, err := CheckWASIHost(h.WASIHost)
	if err != nil {
		return nil, err
	}
	exe := h.Exe
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find nswasi executable: %w", err)
		}
	}
	module, err := filepath.Abs(spec.Artifact)
	if err != nil {
		return nil, err
	}
	cacheDir := h.CacheDir
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}

	def := netip.MustParseAddr("127.0.0.1")
	var spawn func(func()) error
	var cleanup func() error
	if h.Netns {
		ns, err := nsrun.New(h.NsOptions)
		if err != nil {
			return nil, err
		}
		def, spawn, cleanup = ns.PeerAddr.Addr(), ns.Spawn, ns.Close
	}
	listen := make([]sandbox.Listen, len(spec.Listen))
	for i, l := range spec.Listen {
		if l.Host == "" {
			l.Host = def.String()
		}
		listen[i] = l
	}
	pages := h.MemoryLimitPages
	if spec.Limits.MemoryBytes > 0 {
		p := uint32(min(spec.Limits.MemoryBytes/65536, 65536))
		if p == 0 {
			return nil, usage.BadInput("memory limit %d B is below one 64 KiB page", spec.Limits.MemoryBytes)
		}
		if pages == 0 || p < pages {
			pages = p
		}
	}
	cfg := hostConfig{
		Module: module, Args: spec.Args, Env: spec.Env, Dirs: spec.Dirs, Listen: listen,
		CacheDir: cacheDir, Engine: engine, WASIHost: wasiHost, ExactEnv: h.ExactEnv, MemoryLimitPages: pages, Timeout: spec.Timeout,
		TraceFile: h.TraceFile,
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, errors.Join(err, runCleanup(cleanup))
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, errors.Join(err, runCleanup(cleanup))
	}
	defer readyR.Close()
	p, err := sandbox.StartProcess(ctx, sandbox.Launch{
		Path:       exe,
		Args:       []string{HostCommand},
		Env:        []string{},
		ExtraFiles: []*os.File{cfgR, readyW}, // fds 3 and 4 in the host
		Spawn:      spawn,
		Cleanup:    cleanup,
		Spec:       spec,
	})
	cfgR.Close()
	readyW.Close()
	if err != nil {
		cfgW.Close()
		return nil, fmt.Errorf("wasi host: %w", err)
	}
	err = json.NewEncoder(cfgW).Encode(cfg)
	cfgW.Close()
	if err != nil {
		r := p.Stop()
		return nil, fmt.Errorf("wasi host: send config: %w%s", err, stderrTail(r))
	}

	var ready hostReady
	b, err := io.ReadAll(readyR)
	if err == nil {
		err = json.Unmarshal(b, &ready)
	}
	if err != nil || ready.Error != "" {
		r := p.Stop()
		switch {
		case ready.BadInput:
			return nil, usage.BadInput("%s", ready.Error)
		case ready.Error != "":
			return nil, fmt.Errorf("wasi host: %s", ready.Error)
		case r.TimedOut:
			return nil, fmt.Errorf("wasi host: timed out before the module was ready")
		default:
			return nil, fmt.Errorf("wasi host exited before the module was ready (%s)%s", describeExit(r), stderrTail(r))
		}
	}
	addrs := make([]netip.AddrPort, len(ready.Addrs))
	for i, a := range ready.Addrs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			p.Stop()
			return nil, fmt.Errorf("wasi host: bad listener address %q", a)
		}
		addrs[i] = sandbox.Reachable(ap, def)
	}
	p.SetAddrs(addrs)
	return p, nil
}

// CheckWASIHost returns name, or HostWazero for "", if it names a WASI
// host; otherwise a bad-input error.
func CheckWASIHost(name string) (string, error) {
	switch name {
	case "":
		return HostWazero, nil
	case HostWazero, HostNswasi:
		return name, nil
	}
	return "", usage.BadInput("WASI host %q: want %s", name, strings.Join(WASIHosts, " or "))
}

func runCleanup(c func() error) error {
	if c == nil {
		return nil
	}
	return c()
}

func describeExit(r sandbox.Result) string {
	if r.Signal != 0 {
		return "signal " + r.Signal.String()
	}
	return fmt.Sprintf("exit status %d", r.ExitCode)
}

func stderrTail(r sandbox.Result) string {
	s := strings.TrimSpace(string(r.Stderr))
	if s == "" {
		return ""
	}
	if len(s) > 500 {
		s = "..." + s[len(s)-500:]
	}
	return ": " + s
}
