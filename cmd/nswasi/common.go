package main

import (
	"context"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

// commonFlags are the runner settings shared by commands.
type commonFlags struct {
	subnet   string
	engine   string
	wasiHost string
	// hostList makes --wasi-host a list, every host its own column, by
	// default both: for the commands that compare (isolation, bench).
	hostList bool
	guestDir string
}

// registerSuite registers the flags of the commands that run the guest
// under every runner (isolation, bench, run): the common ones with
// --wasi-host a list, and --guest-dir.
func (c *commonFlags) registerSuite(fs *flag.FlagSet) {
	c.hostList = true
	c.register(fs)
	fs.StringVar(&c.guestDir, "guest-dir", "", "directory holding guest and guest.wasm (default: beside nswasi)")
}

// guestPaths finds the two guest builds in --guest-dir.
func (c *commonFlags) guestPaths() (native, wasm string, err error) { return guestPaths(c.guestDir) }

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
		err = usage.BadInput("--wasi-host %q: this command runs one WASI host", c.wasiHost)
	}
	return hosts, err
}

// parseWASIHosts parses a comma-separated list of WASI hosts, each once.
func parseWASIHosts(list string) ([]string, error) {
	var hosts []string
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			return nil, usage.BadInput("--wasi-host %q: empty host name", list)
		}
		if _, err := wasirun.CheckWASIHost(h); err != nil {
			return nil, err
		}
		if slices.Contains(hosts, h) {
			return nil, usage.BadInput("--wasi-host %q: %s twice", list, h)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// config is the runners' configuration, with the first WASI host.
func (c *commonFlags) config() (runners.Config, error) {
	pool, err := netip.ParsePrefix(c.subnet)
	if err != nil || !pool.Addr().Is4() || pool.Bits() > 30 {
		return runners.Config{}, usage.BadInput("--subnet %q: want an IPv4 prefix of /30 or larger", c.subnet)
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
		return usage.BadInput("runner %s creates network namespaces and needs root", runner)
	}
	return nil
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
			return "", "", usage.BadInput("guest %s not found: run 'make build' (or pass --guest-dir)", p)
		}
	}
	return native, wasm, scenarios.CheckGuest(context.Background(), native)
}
