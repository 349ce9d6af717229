// Package runners builds the runners that the registry (package
// runnerinfo) declares, from one configuration, so that the CLI, the
// isolation suite and the benchmarks agree on what "netns" or
// "wasi+netns" means.
package runners

import (
	"fmt"
	"strings"

	"github.com/nswasi/nswasi/internal/runnerinfo"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

// Info describes a runner: its entry in the registry.
type Info = runnerinfo.Runner

// All lists the runners, the unsandboxed control first.
var All = runnerinfo.All

// Lookup finds a runner's Info by name.
func Lookup(name string) (Info, bool) { return runnerinfo.Lookup(name) }

// Compared lists the runners the benchmarks compare by default.
var Compared = runnerinfo.Compared

// KindOf is a runner's kind, or "" for a name the registry does not know.
func KindOf(name string) runnerinfo.Kind { return runnerinfo.KindOf(name) }

// Names lists the runner names.
func Names() []string { return runnerinfo.Names() }

// Config holds the settings every runner shares.
type Config struct {
	// Namespace configures the namespaces of netns and wasi+netns.
	Namespace nsrun.Options
	// Wasi is the template for wasi and wasi+netns; its Netns and
	// NsOptions fields are set by New.
	Wasi wasirun.Host
}

// New builds the runner called name from its registry entry: a
// non-WASI runner is nsrun's, in a namespace and behind a firewall as the
// entry says; a WASI runner is wasirun's host, its host process in a
// namespace as the entry says.
func New(name string, c Config) (sandbox.Runner, error) {
	r, ok := runnerinfo.Lookup(name)
	if !ok {
		return nil, usage.BadInput("unknown runner %q (runners: %s)", name, strings.Join(Names(), ", "))
	}
	switch r.Kind {
	case runnerinfo.Native:
		return nsrun.Native{}, nil
	case runnerinfo.Namespace:
		return nsrun.Netns{Options: c.Namespace, Firewall: r.Firewall}, nil
	case runnerinfo.WASI:
		if r.Firewall {
			break // wasirun has no firewall yet: refuse rather than run unguarded
		}
		h := c.Wasi
		h.Netns = r.Netns
		h.NsOptions = c.Namespace
		return h, nil
	}
	return nil, fmt.Errorf("runner %s: no constructor for kind %s with netns=%v firewall=%v", name, r.Kind, r.Netns, r.Firewall)
}

// Artifact picks the guest build a runner takes.
func Artifact(name string, native, wasm string) string {
	if i, ok := Lookup(name); ok && i.WASI() {
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
