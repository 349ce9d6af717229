// Package experiment reads nswasi experiment files: YAML that names what
// `nswasi run` does — the isolation probes and runners, the benchmark
// scenarios, runners, modes, sizes, connections, repetitions, durations and
// engine, and the link conditions of the namespaces.
//
// Everything is checked before anything runs: an unknown key, a wrong type
// or an impossible value is refused with the file, line and field, as a
// usage.InputError.
package experiment

import (
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nswasi/nswasi/internal/usage"
)

// Experiment is one experiment file.
type Experiment struct {
	// Name labels the experiment in reports.
	Name string `yaml:"name"`
	// Description is free text for the report.
	Description string `yaml:"description"`
	// Isolation configures the isolation suite; absent means it is skipped.
	Isolation *Isolation `yaml:"isolation"`
	// Bench configures the benchmarks; absent means they are skipped.
	Bench *Bench `yaml:"bench"`
	// Link shapes the veth of every namespace nswasi creates.
	Link Link `yaml:"link"`
	// WASIHosts lists the WASI hosts the WASI runners run under, in the
	// isolation suite and the benchmarks alike, each compared as a runner
	// of its own; empty means all.
	WASIHosts []string `yaml:"wasi_hosts"`
}

// Isolation configures the isolation suite.
type Isolation struct {
	// Runners to probe; empty means every isolation runner.
	Runners []string `yaml:"runners"`
	// Probes to run; empty means all.
	Probes []string `yaml:"probes"`
	// AsRoot runs native guests as root instead of an unprivileged user.
	AsRoot bool `yaml:"as_root"`
}

// Bench configures the benchmarks.
type Bench struct {
	Scenarios []string `yaml:"scenarios"`
	Runners   []string `yaml:"runners"`
	Modes     []string `yaml:"modes"`
	// Sizes are message sizes, as integers or with a unit ("64KiB",
	// "1MiB"); empty means each scenario's own sizes (see docs/bench.md).
	Sizes []Size `yaml:"sizes"`
	// Conns are the numbers of concurrent connections (rr, http); empty
	// means each scenario's own.
	Conns []int `yaml:"conns"`
	// Preset picks each scenario's own sizes and connections where Sizes
	// or Conns are empty: "full" (the sweep, the default) or "quick" (one
	// size each).
	Preset string `yaml:"preset"`
	// Reps is the number of measured repetitions per run.
	Reps int `yaml:"reps"`
	// Duration is the length of one repetition; Warmup precedes the first.
	Duration Duration `yaml:"duration"`
	Warmup   Duration `yaml:"warmup"`
	// Engine is wazero's: compiler or interpreter.
	Engine string `yaml:"engine"`
	// TraceHostcalls counts WASI host calls (and measures what that costs).
	TraceHostcalls bool `yaml:"trace_hostcalls"`
	// TraceModes limits the counted duplicates to these I/O modes; empty
	// means every mode.
	TraceModes []string `yaml:"trace_modes"`
	// TraceRunners limits them to these WASI runners; empty means every
	// one. The accounting measures the WASI host, the same with or
	// without a namespace around it.
	TraceRunners []string `yaml:"trace_runners"`
	// Pin puts the driver on one CPU and every sandbox on the others, so
	// that they do not compete for a CPU (as nswasi bench --pin).
	Pin bool `yaml:"pin"`
	// NoPeers leaves out the fidelity checks against iperf3, sockperf and
	// wrk; PeerDuration is the length of each of their repetitions (whole
	// seconds; default 5s, 3s with the quick preset).
	NoPeers      bool     `yaml:"no_peers"`
	PeerDuration Duration `yaml:"peer_duration"`
}

// Link describes the link conditions of the namespaces' veths. Zero values
// leave the link as it is.
type Link struct {
	// Rate limits each direction through tbf, e.g. "100mbit", "1gbit".
	Rate Rate `yaml:"rate"`
	// Delay, Jitter and Loss need netem.
	Delay  Duration `yaml:"delay"`
	Jitter Duration `yaml:"jitter"`
	Loss   Percent  `yaml:"loss"`
}

// Catalogue is what names an experiment may use; the CLI fills it from the
// packages that own them.
type Catalogue struct {
	Scenarios, BenchRunners, Modes []string
	// BenchDefault is the runners a bench section without runners gets;
	// nil means all of BenchRunners.
	BenchDefault             []string
	Probes, IsolationRunners []string
	Engines                  []string
	WASIHosts                []string
}

// Load reads, decodes and checks an experiment file against cat, and fills
// in defaults. The error, if any, is one line naming file, line and field.
func Load(path string, cat Catalogue) (*Experiment, []byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, usage.BadInput("experiment %s: %v", path, unwrapPath(err))
	}
	e, err := Parse(path, src, cat)
	return e, src, err
}

// Parse is Load on bytes already read; name is used in messages.
func Parse(name string, src []byte, cat Catalogue) (*Experiment, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, usage.BadInput("%s: %v", name, err)
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, usage.BadInput("%s: empty experiment file", name)
	}
	var e Experiment
	d := decoder{file: name}
	if err := d.decode(root.Content[0], &e, ""); err != nil {
		return nil, err
	}
	if err := e.resolve(name, root.Content[0], cat); err != nil {
		return nil, err
	}
	return &e, nil
}

// Defaults for what an experiment leaves out.
const (
	DefaultReps     = 5
	DefaultDuration = 2 * time.Second
	DefaultWarmup   = 500 * time.Millisecond
)

// resolve fills defaults and checks names and ranges.
func (e *Experiment) resolve(file string, root *yaml.Node, cat Catalogue) error {
	at := func(path string) string { return fmt.Sprintf("%s:%d", file, lineOf(root, path)) }
	bad := func(path, format string, args ...any) error {
		return usage.BadInput("%s: %s: %s", at(path), path, fmt.Sprintf(format, args...))
	}
	if e.Isolation == nil && e.Bench == nil {
		return usage.BadInput("%s: the experiment has neither isolation nor bench: nothing to run", file)
	}
	if err := checkNames(e.WASIHosts, cat.WASIHosts, "wasi_hosts", "WASI host", bad); err != nil {
		return err
	}
	e.WASIHosts = orAll(e.WASIHosts, cat.WASIHosts)
	if i := e.Isolation; i != nil {
		if err := checkNames(i.Runners, cat.IsolationRunners, "isolation.runners", "runner", bad); err != nil {
			return err
		}
		if err := checkNames(i.Probes, cat.Probes, "isolation.probes", "probe", bad); err != nil {
			return err
		}
		i.Runners = orAll(i.Runners, cat.IsolationRunners)
		i.Probes = orAll(i.Probes, cat.Probes)
	}
	if b := e.Bench; b != nil {
		for _, c := range []struct {
			list  []string
			known []string
			path  string
			what  string
		}{
			{b.Scenarios, cat.Scenarios, "bench.scenarios", "scenario"},
			{b.Runners, cat.BenchRunners, "bench.runners", "runner"},
			{b.Modes, cat.Modes, "bench.modes", "mode"},
			{b.TraceModes, cat.Modes, "bench.trace_modes", "mode"},
			{b.TraceRunners, cat.BenchRunners, "bench.trace_runners", "runner"},
		} {
			if err := checkNames(c.list, c.known, c.path, c.what, bad); err != nil {
				return err
			}
		}
		b.Scenarios = orAll(b.Scenarios, cat.Scenarios)
		if cat.BenchDefault != nil {
			b.Runners = orAll(b.Runners, cat.BenchDefault)
		} else {
			b.Runners = orAll(b.Runners, cat.BenchRunners)
		}
		b.Modes = orAll(b.Modes, cat.Modes)
		for i, s := range b.Sizes {
			if s < 1 || s > 64<<20 {
				return bad(fmt.Sprintf("bench.sizes[%d]", i), "%d bytes: want 1 B to 64 MiB", s)
			}
		}
		for i, c := range b.Conns {
			if c < 1 || c > 1024 {
				return bad(fmt.Sprintf("bench.conns[%d]", i), "%d: want 1 to 1024 connections", c)
			}
		}
		switch {
		case b.Reps == 0:
			b.Reps = DefaultReps
		case b.Reps < 1 || b.Reps > 1000:
			return bad("bench.reps", "%d: want 1 to 1000 repetitions", b.Reps)
		}
		switch {
		case b.Duration == 0:
			b.Duration = Duration(DefaultDuration)
		case b.Duration < Duration(10*time.Millisecond) || b.Duration > Duration(10*time.Minute):
			return bad("bench.duration", "%s: want 10ms to 10m", time.Duration(b.Duration))
		}
		switch {
		case b.Warmup == 0:
			b.Warmup = Duration(DefaultWarmup)
		case b.Warmup < 0 || b.Warmup > Duration(time.Minute):
			return bad("bench.warmup", "%s: want 0 to 1m", time.Duration(b.Warmup))
		}
		switch b.Preset {
		case "":
			b.Preset = "full"
		case "full", "quick":
		default:
			return bad("bench.preset", "%q: want quick or full", b.Preset)
		}
		if b.Engine == "" {
			b.Engine = "compiler"
		}
		if err := checkNames([]string{b.Engine}, cat.Engines, "bench.engine", "engine", bad); err != nil {
			return err
		}
	}
	if e.Link.Rate < 0 {
		return bad("link.rate", "must not be negative")
	}
	if e.Link.Delay < 0 || e.Link.Jitter < 0 {
		return bad("link.delay", "must not be negative")
	}
	if e.Link.Jitter > 0 && e.Link.Delay == 0 {
		return bad("link.jitter", "jitter needs a delay")
	}
	return nil
}

// NeedsNetem reports whether the link conditions need the netem qdisc.
func (l Link) NeedsNetem() bool { return l.Delay > 0 || l.Jitter > 0 || l.Loss > 0 }

func checkNames(list, known []string, path, what string, bad func(string, string, ...any) error) error {
	seen := map[string]bool{}
	for i, n := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if !contains(known, n) {
			return bad(p, "unknown %s %q (known: %v)", what, n, known)
		}
		if seen[n] {
			return bad(p, "%s %q listed twice", what, n)
		}
		seen[n] = true
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orAll(list, all []string) []string {
	if len(list) == 0 {
		return append([]string(nil), all...)
	}
	return list
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
