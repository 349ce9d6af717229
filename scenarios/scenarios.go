// Package scenarios is the catalogue of what nswasi's guest program can do,
// and builds that program for both targets from the one source under
// scenarios/guest.
package scenarios

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
)

// Kind groups scenarios in listings.
type Kind string

// Kinds of scenario.
const (
	Tool     Kind = "tool"     // utilities: echo, cat, env
	Workload Kind = "workload" // benchmark workloads
	Probe    Kind = "probe"    // isolation probes
	Hostile  Kind = "hostile"  // misbehaving guests for reliability tests
)

// Scenario is one thing the guest can be asked to do, chosen by its first argument.
type Scenario struct {
	Name    string
	Kind    Kind
	Summary string
}

// All lists the guest's scenarios in registration order. Each kind's file
// adds its own with Register, so that adding scenarios touches no shared list.
var All []Scenario

// Register adds scenarios to the catalogue; a duplicate name panics.
func Register(ss ...Scenario) {
	for _, s := range ss {
		if _, dup := Lookup(s.Name); dup {
			panic("scenarios: registered twice: " + s.Name)
		}
		All = append(All, s)
	}
}

func init() {
	Register(
		Scenario{"echo", Tool, "accept on the first granted listener and echo every byte back until the peer closes; one connection after another until killed (-mode blocking | netpoll)"},
		Scenario{"cat", Tool, "copy the named files to stdout: shows whether a path is reachable inside the sandbox"},
		Scenario{"env", Tool, "print the environment, leaving out the NSWASI_ grant variables"},
	)
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range All {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// GuestPackage is the import path of the guest program.
const GuestPackage = "github.com/nswasi/nswasi/scenarios/guest"

// Guest names the two builds of the guest program.
type Guest struct {
	Native string // GOOS=linux
	Wasm   string // GOOS=wasip1 GOARCH=wasm
}

// Build compiles the guest for both targets into dir (guest and
// guest.wasm) with the go command. It must run inside this module.
func Build(ctx context.Context, dir string) (Guest, error) {
	g := Guest{Native: filepath.Join(dir, "guest"), Wasm: filepath.Join(dir, "guest.wasm")}
	for _, t := range []struct{ out, goos, goarch string }{
		{g.Native, "linux", ""},
		{g.Wasm, "wasip1", "wasm"},
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", t.out, GuestPackage)
		cmd.Env = append(os.Environ(), "GOOS="+t.goos, "CGO_ENABLED=0")
		if t.goarch != "" {
			cmd.Env = append(cmd.Env, "GOARCH="+t.goarch)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return Guest{}, fmt.Errorf("build guest for %s: %v\n%s", t.goos, err, out)
		}
	}
	return g, nil
}

// CheckGuest asks a native guest build which scenarios it has and refuses
// it, as bad input, if it lacks one in the catalogue: a guest built from
// older source than nswasi would otherwise fail every probe and run with a
// usage message. Both builds come from one source and one make target, so
// the native one speaks for the pair.
func CheckGuest(ctx context.Context, native string) error {
	out, err := exec.CommandContext(ctx, native, "--scenarios").Output()
	if err != nil {
		return &usage.InputError{Err: fmt.Errorf("guest %s does not answer --scenarios (%v): it is older than nswasi; run 'make build'", native, err)}
	}
	have := map[string]bool{}
	for _, n := range strings.Fields(string(out)) {
		have[n] = true
	}
	for _, s := range All {
		if !have[s.Name] {
			return &usage.InputError{Err: fmt.Errorf("guest %s lacks the %s scenario: it is older than nswasi; run 'make build'", native, s.Name)}
		}
	}
	return nil
}
