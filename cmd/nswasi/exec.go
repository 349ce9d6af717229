package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

func init() {
	register(command{"exec", "run one artifact under one runner with the given grants", cmdExec})
}

// commonFlags are the runner settings shared by commands.
type commonFlags struct {
	subnet   string
	engine   string
	wasiHost string
	// hostList makes --wasi-host a list, every host its own column, by
	// default both: for the commands that compare (isolation, bench).
	hostList bool
}

func (c *commonFlags) register(fs interface {
	StringVar(p *string, name, value, usage string)
}) {
	fs.StringVar(&c.subnet, "subnet", nsrun.DefaultPool.String(), "address pool for namespace veths, one /30 each")
	fs.StringVar(&c.engine, "engine", "compiler", "wazero engine: "+strings.Join(wasirun.Engines, " | "))
	if c.hostList {
		fs.StringVar(&c.wasiHost, "wasi-host", strings.Join(wasirun.WASIHosts, ","), "comma-separated WASI preview 1 hosts the wasi runners run under, each compared as a runner of its own: "+strings.Join(wasirun.WASIHosts, ", "))
	} else {
		fs.StringVar(&c.wasiHost, "wasi-host", wasirun.HostWazero, "WASI preview 1 host the wasi runners link guests against: "+strings.Join(wasirun.WASIHosts, " | "))
	}
}

// wasiHosts parses --wasi-host: a list where the command compares hosts,
// exactly one elsewhere.
func (c *commonFlags) wasiHosts() ([]string, error) {
	hosts, err := parseWASIHosts(c.wasiHost)
	if err == nil && len(hosts) > 1 && !c.hostList {
		err = sandbox.BadInput("--wasi-host %q: this command runs one WASI host", c.wasiHost)
	}
	return hosts, err
}

// parseWASIHosts parses a comma-separated list of WASI hosts, each once.
func parseWASIHosts(list string) ([]string, error) {
	var hosts []string
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, sandbox.BadInput("--wasi-host %q: empty host name", list)
		}
		if _, err := wasirun.CheckWASIHost(h); err != nil {
			return nil, err
		}
		if slices.Contains(hosts, h) {
			return nil, sandbox.BadInput("--wasi-host %q: %s twice", list, h)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// config is the runners' configuration, with the first WASI host.
func (c *commonFlags) config() (runners.Config, error) {
	pool, err := netip.ParsePrefix(c.subnet)
	if err != nil || !pool.Addr().Is4() || pool.Bits() > 30 {
		return runners.Config{}, sandbox.BadInput("--subnet %q: want an IPv4 prefix of /30 or larger", c.subnet)
	}
	hosts, err := c.wasiHosts()
	if err != nil {
		return runners.Config{}, err
	}
	return runners.Config{
		Namespace: nsrun.Options{Pool: pool},
		Wasi:      wasirun.Host{Engine: c.engine, WASIHost: hosts[0]},
	}, nil
}

// needRoot refuses early, with one line, what cannot work without root.
func needRoot(runner string) error {
	if info, _ := runners.Lookup(runner); info.Netns && os.Geteuid() != 0 {
		return sandbox.BadInput("runner %s creates network namespaces and needs root", runner)
	}
	return nil
}

func cmdExec(ctx context.Context, args []string) error {
	fs := newFlagSet("exec",
		"--runner R [--listen [HOST]:PORT]... [--dir HOSTPATH:GUESTPATH[:ro]]... [--env K=V]... [--timeout DUR] -- ARTIFACT [ARGS...]",
		"nswasi exec --runner wasi --listen :0 --dir /srv/data:/data:ro -- bin/guest.wasm echo")
	var common commonFlags
	common.register(fs)
	runner := fs.String("runner", "", "runner: "+strings.Join(runners.Names(), " | "))
	var listens, dirs, envs repeated
	fs.Var(&listens, "listen", "grant a TCP listener at [HOST]:PORT in the guest's network (repeatable; port 0 = any)")
	fs.Var(&dirs, "dir", "grant a directory HOSTPATH:GUESTPATH[:ro] (repeatable)")
	fs.Var(&envs, "env", "set K=V in the guest's otherwise empty environment (repeatable)")
	timeout := fs.Duration("timeout", 0, "kill the guest after this long (0 = never)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return sandbox.BadInput("no artifact given (see nswasi exec --help)")
	}
	if *runner == "" {
		return sandbox.BadInput("--runner is required: %s", strings.Join(runners.Names(), ", "))
	}
	spec := sandbox.Spec{
		Artifact: fs.Arg(0),
		Args:     fs.Args()[1:],
		Env:      []string{},
		Timeout:  *timeout,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	}
	for _, s := range listens {
		l, err := sandbox.ParseListen(s)
		if err != nil {
			return err
		}
		spec.Listen = append(spec.Listen, l)
	}
	for _, s := range dirs {
		d, err := sandbox.ParseDir(s)
		if err != nil {
			return err
		}
		spec.Dirs = append(spec.Dirs, d)
	}
	for _, s := range envs {
		kv, err := sandbox.ParseEnv(s)
		if err != nil {
			return err
		}
		spec.Env = append(spec.Env, kv)
	}
	// Paths are the user's, relative to where nswasi was started; every
	// runner starts its sandbox process elsewhere.
	spec, err := spec.Abs()
	if err != nil {
		return err
	}
	cfg, err := common.config()
	if err != nil {
		return err
	}
	r, err := runners.New(*runner, cfg)
	if err != nil {
		return err
	}
	if err := needRoot(*runner); err != nil {
		return err
	}

	g, err := r.Start(ctx, spec)
	if err != nil {
		if code, ok := signalExit(); ok {
			return exitError{code}
		}
		return err
	}
	if h, ok := r.(wasirun.Host); ok {
		fmt.Fprintf(os.Stderr, "nswasi: WASI host %s on wazero %s (%s engine)\n", cfg.Wasi.WASIHost, results.WazeroVersion(), h.Engine)
	}
	for i, a := range g.Addrs() {
		fmt.Fprintf(os.Stderr, "nswasi: listener %d reachable at %s\n", i, a)
	}
	res := g.Wait()
	if code, ok := signalExit(); ok {
		return exitError{code}
	}
	switch {
	case res.Err != nil:
		return res.Err
	case res.TimedOut:
		fmt.Fprintf(os.Stderr, "nswasi: guest killed: timeout %s passed\n", timeout.Round(time.Millisecond))
		return exitError{124}
	case res.Signal != 0:
		fmt.Fprintf(os.Stderr, "nswasi: guest killed by %s\n", res.Signal)
		return exitError{128 + int(res.Signal)}
	}
	return exitError{res.ExitCode}
}

// guestPaths finds the two guest builds, by default beside this executable.
func guestPaths(dir string) (native, wasm string, err error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", "", err
		}
		dir = filepath.Dir(exe)
	}
	native, wasm = filepath.Join(dir, "guest"), filepath.Join(dir, "guest.wasm")
	for _, p := range []string{native, wasm} {
		if _, err := os.Stat(p); err != nil {
			return "", "", sandbox.BadInput("guest %s not found: run 'make build' (or pass --guest-dir)", p)
		}
	}
	return native, wasm, scenarios.CheckGuest(context.Background(), native)
}
