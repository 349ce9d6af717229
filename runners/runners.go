// Package runners names nswasi's four runners and builds them from one
// configuration, so that the CLI, the isolation suite and the benchmarks
// agree on what "netns" or "wasi+netns" means.
package runners

import (
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

// Info describes a runner.
type Info struct {
	Name    string
	Wasm    bool // runs .wasm modules; otherwise native executables
	Summary string
}

// All lists the runners, the unsandboxed control first.
var All = []Info{
	{"native", false, "a plain child process: the unsandboxed control"},
	{"netns", false, "the native guest in a fresh network namespace with a veth pair to the host"},
	{"netns+fw", false, "netns plus a deny-by-default nftables firewall admitting only the granted listeners"},
	{"wasi", true, "the .wasm in wazero with capability preopens only, in a child process"},
	{"wasi+netns", true, "the wasi runner's host process inside a fresh network namespace: both sandboxes"},
}

// Lookup finds a runner's Info by name.
func Lookup(name string) (Info, bool) {
	for _, i := range All {
		if i.Name == name {
			return i, true
		}
	}
	return Info{}, false
}

// Compared lists the runners the benchmarks compare by default: the
// control, each sandbox alone, and both together. (netns+fw costs what
// netns costs plus a few nftables rules; name it to measure it.)
var Compared = []string{"native", "netns", "wasi", "wasi+netns"}

// Names lists the runner names.
func Names() []string {
	n := make([]string, len(All))
	for i, r := range All {
		n[i] = r.Name
	}
	return n
}

// Config holds the settings every runner shares.
type Config struct {
	// Namespace configures the namespaces of netns and wasi+netns.
	Namespace nsrun.Options
	// Wasi is the template for wasi and wasi+netns; its Netns and
	// NsOptions fields are set by New.
	Wasi wasirun.Host
}

// New builds the runner called name.
func New(name string, c Config) (sandbox.Runner, error) {
	switch name {
	case "native":
		return nsrun.Native{}, nil
	case "netns", "netns+fw":
		return nsrun.Netns{Options: c.Namespace, Firewall: name == "netns+fw"}, nil
	case "wasi", "wasi+netns":
		h := c.Wasi
		h.Netns = name == "wasi+netns"
		h.NsOptions = c.Namespace
		return h, nil
	}
	return nil, usage.BadInput("unknown runner %q (runners: %s)", name, strings.Join(Names(), ", "))
}

// Artifact picks the guest build a runner takes.
func Artifact(name string, native, wasm string) string {
	if i, ok := Lookup(name); ok && i.Wasm {
		return wasm
	}
	return native
}

// ParseList parses a comma-separated runner list; empty means all.
func ParseList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return Names(), nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if _, ok := Lookup(n); !ok {
			return nil, usage.BadInput("unknown runner %q (runners: %s)", n, strings.Join(Names(), ", "))
		}
		out = append(out, n)
	}
	return out, nil
}
