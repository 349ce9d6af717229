package nsrun

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
	"golang.org/x/sys/unix"
)

// Native runs a native guest as a plain child process in nswasi's own
// namespaces: the unsandboxed control. As root it still gets a cgroup, so
// that its descendants die with it.
type Native struct {
	// Options.StateDir holds the record of the guest's cgroup; the rest is unused.
	Options Options
}

// Name implements sandbox.Runner.
func (Native) Name() string { return "native" }

// Start implements sandbox.Runner.
func (r Native) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Guest, error) {
	spec, err := checkNative(spec)
	if err != nil {
		return nil, err
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	files, addrs, err := openListeners(spec.Listen, loopback)
	if err != nil {
		return nil, err
	}
	return startNative(ctx, r.Options, spec, files, addrs, nil, nil)
}

// Netns runs a native guest inside a fresh network namespace with a veth
// pair to nswasi's namespace, and in a private mount namespace whose /sys
// is mounted for the network namespace, as `ip netns exec` runs a program.
// The listeners are opened inside the namespace by the harness and inherited. With Firewall, it is the "netns+fw" runner:
// Namespace.Firewall admits only the granted listeners, making the
// namespace deny-by-default as WASI is, before the guest starts.
type Netns struct {
	Options  Options
	Firewall bool
}

// Name implements sandbox.Runner.
func (r Netns) Name() string {
	if r.Firewall {
		return "netns+fw"
	}
	return "netns"
}

// Start implements sandbox.Runner.
func (r Netns) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Guest, error) {
	spec, err := checkNative(spec)
	if err != nil {
		return nil, err
	}
	ns, err := New(r.Options)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	var addrs []netip.AddrPort
	err = ns.Do(func() error {
		var err error
		files, addrs, err = openListeners(spec.Listen, ns.PeerAddr.Addr())
		return err
	})
	if err == nil && r.Firewall {
		if err = ns.Firewall(addrs); err != nil {
			closeAll(files)
		}
	}
	if err != nil {
		return nil, errors.Join(err, ns.Close())
	}
	// Like `ip netns exec`: a private mount namespace whose /sys shows the
	// network namespace (see SpawnWithSysfs).
	return startNative(ctx, r.Options, spec, files, addrs, ns.SpawnWithSysfs, ns.Close)
}

// checkNative validates spec for a native runner and returns it with its
// paths made absolute (see sandbox.Spec.Abs).
func checkNative(spec sandbox.Spec) (sandbox.Spec, error) {
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	wasm, err := sandbox.IsWasm(spec.Artifact)
	if err != nil {
		return spec, err
	}
	if wasm {
		return spec, usage.BadInput("artifact %s is a WebAssembly module: use the wasi or wasi+netns runner", spec.Artifact)
	}
	if err := unix.Access(spec.Artifact, unix.X_OK); err != nil {
		return spec, usage.BadInput("artifact %s: not executable", spec.Artifact)
	}
	return spec.Abs()
}

// openListeners opens spec's listeners in the calling thread's namespace;
// an empty host means def. It returns the files and the reachable addresses.
func openListeners(ls []sandbox.Listen, def netip.Addr) ([]*os.File, []netip.AddrPort, error) {
	var files []*os.File
	var addrs []netip.AddrPort
	for _, l := range ls {
		host := l.Host
		if host == "" {
			host = def.String()
		}
		f, bound, err := sandbox.ListenTCP(host, l.Port)
		if err != nil {
			closeAll(files)
			if errors.Is(err, unix.EADDRINUSE) || errors.Is(err, unix.EADDRNOTAVAIL) {
				return nil, nil, &usage.InputError{Err: err}
			}
			return nil, nil, err
		}
		files = append(files, f)
		addrs = append(addrs, sandbox.Reachable(bound, def))
	}
	return files, addrs, nil
}

func startNative(ctx context.Context, opts Options, spec sandbox.Spec, files []*os.File, addrs []netip.AddrPort,
	spawn func(func()) error, cleanup func() error) (sandbox.Guest, error) {
	defer closeAll(files) // the child has its own copies
	c, err := contain(opts)
	if err != nil {
		return nil, errors.Join(err, runCleanup(cleanup))
	}
	var cg *sandbox.Cgroup
	if c != nil {
		cg = c.cg
		// The guest's descendants go first: they may hold the namespace.
		nsCleanup := cleanup
		cleanup = func() error { return errors.Join(c.close(), runCleanup(nsCleanup)) }
	}
	fds := make([]int, len(files))
	for i := range files {
		fds[i] = 3 + i
	}
	dirs := make([]string, len(spec.Dirs))
	for i, d := range spec.Dirs {
		dirs[i] = d.HostPath // no mount namespace: the guest sees host paths
	}
	l, err := sandbox.WithLimits(sandbox.Launch{
		Path:       spec.Artifact,
		Args:       spec.Args,
		Env:        sandbox.GrantEnv(spec, fds, dirs),
		ExtraFiles: files,
		Spawn:      spawn,
		Cgroup:     cg,
		Cleanup:    cleanup,
		Spec:       spec,
	}, spec.Limits)
	if err != nil {
		return nil, errors.Join(err, runCleanup(cleanup))
	}
	p, err := sandbox.StartProcess(ctx, l)
	if err != nil {
		return nil, fmt.Errorf("native guest: %w", err)
	}
	p.SetAddrs(addrs)
	return p, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

func runCleanup(c func() error) error {
	if c == nil {
		return nil
	}
	return c()
}
