// Package pipeline runs an experiment the way `nswasi run` does: the
// isolation suite, the benchmarks and the WASI testsuite into one
// directory, then the report from whatever finished. It sits above the
// packages it drives and below the CLI, so that tests can run an
// experiment without a command line.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/conformance"
	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/internal/progress"
	"github.com/nswasi/nswasi/isolation"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/report"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

// Catalogue names everything an experiment file may use.
func Catalogue() experiment.Catalogue {
	return experiment.Catalogue{
		Scenarios:        bench.Scenarios,
		BenchRunners:     runners.Names(),
		BenchDefault:     runners.Compared,
		Modes:            bench.Modes,
		Probes:           isolation.ProbeNames(),
		IsolationRunners: isolation.Runners,
		Engines:          wasirun.Engines,
		WASIHosts:        wasirun.WASIHosts,
	}
}

// Config is one run of an experiment.
type Config struct {
	// Experiment is what to run, checked and with its defaults filled in.
	Experiment *experiment.Experiment
	// Source is the experiment file as given, saved beside the results.
	Source []byte
	// Dir receives every result file and the report; it must exist.
	Dir string
	// Guest names the two builds of the guest program.
	Guest scenarios.Guest
	// Runner configures the runners; its namespace shape is replaced by
	// the experiment's link conditions.
	Runner runners.Config
	// Testsuite is a WASI testsuite folder; "" skips the conformance
	// phase (and says so).
	Testsuite string
	// Shard and Shards (1-based) select a deterministic 1/Shards of the
	// probes and benchmark cases; 0 runs everything. The testsuite runs
	// whole, in the first shard.
	Shard, Shards int
	// Progress receives each phase and step; nil reports nothing.
	Progress progress.Reporter
}

// Run runs cfg's experiment into cfg.Dir and writes the report, also
// when ctx is cancelled part way (the result files then say they are
// partial). It returns the report's path, "" if none could be written,
// and every phase's error joined; a phase cut short by ctx is no error.
func Run(ctx context.Context, cfg Config) (string, error) {
	exp, dir := cfg.Experiment, cfg.Dir
	pr := cfg.Progress
	if pr == nil {
		pr = progress.Discard
	}
	if err := saveExperiment(dir, cfg.Source, exp); err != nil {
		return "", err
	}
	pr.Log("experiment %q, results in %s", exp.Name, dir)
	rc := cfg.Runner
	rc.Namespace.Shape = LinkShape(exp.Link, rc.Namespace, pr)

	var ic *isolation.Config
	if i := exp.Isolation; i != nil {
		probes := i.Probes
		if cfg.Shards > 1 {
			probes = ShardOf(probes, cfg.Shard, cfg.Shards)
		}
		if len(probes) > 0 {
			ic = &isolation.Config{
				Guest: cfg.Guest, Runners: i.Runners, Probes: probes, AsRoot: i.AsRoot,
				Runner: rc, WASIHosts: exp.WASIHosts, Out: dir, Progress: stepWriter{pr},
			}
		}
	}
	var o *bench.Options
	if exp.Bench != nil {
		o = BenchOptions(exp)
		o.OutDir, o.Guest, o.Runner, o.Progress = dir, cfg.Guest, rc, stepWriter{pr}
		o.Shard, o.Shards = cfg.Shard, cfg.Shards
		o.Defaults()
	}
	pr.Log("%s", estimateLine(ic, o, cfg.Testsuite != "" && cfg.Shard <= 1))

	var runErr error
	if ic != nil && ctx.Err() == nil {
		pr.Phase("isolation", ic.Steps())
		_, err := isolation.Run(ctx, *ic)
		pr.Finish()
		runErr = errors.Join(runErr, ignoreCancel(ctx, err))
	}
	if o != nil && ctx.Err() == nil {
		pr.Phase("bench", o.Steps())
		_, err := bench.Run(ctx, *o)
		pr.Finish()
		runErr = errors.Join(runErr, ignoreCancel(ctx, err))
	}
	if ctx.Err() == nil && cfg.Shard <= 1 {
		err := runConformance(ctx, pr, cfg.Testsuite, exp.WASIHosts, rc.Wasi.Engine, dir)
		runErr = errors.Join(runErr, ignoreCancel(ctx, err))
	}

	// A report is made from whatever finished, interrupted or not.
	d, err := report.Load(dir)
	if err == nil {
		_, err = report.Write(d, dir)
	}
	if err != nil {
		return "", errors.Join(runErr, fmt.Errorf("report: %w", err))
	}
	return filepath.Join(dir, report.HTMLFile), runErr
}

// Per-item costs of the parts the bench package does not estimate,
// measured on a 2-core machine on 2026-11-26 (isolation: 147 cells in
// 29 s, two at a time; conformance: 114 cases in 8 s).
const (
	estIsolationCell = 200 * time.Millisecond
	estConformance   = 10 * time.Second
)

// estimateLine forecasts the run's duration from its plan, before it
// starts: users want to know whether to wait or come back.
// BenchOptions is the plan of exp's benchmarks (exp.Bench must be set),
// without where it writes, what it runs or how it reports: the options
// nswasi run gives the bench package, and what tests hold the shipped
// experiments to.
func BenchOptions(exp *experiment.Experiment) *bench.Options {
	b := exp.Bench
	return &bench.Options{
		Scenarios: b.Scenarios, Runners: b.Runners, Modes: b.Modes,
		Sizes: sizes(b.Sizes), Conns: b.Conns, Reps: b.Reps,
		Duration: time.Duration(b.Duration), Warmup: time.Duration(b.Warmup),
		Engine: b.Engine, WASIHosts: exp.WASIHosts,
		TraceHostcalls: b.TraceHostcalls, TraceModes: b.TraceModes, TraceRunners: b.TraceRunners,
		Peers: !b.NoPeers, PeerDuration: time.Duration(b.PeerDuration),
		Quick: b.Preset == "quick", Pin: b.Pin,
	}
}

func estimateLine(ic *isolation.Config, o *bench.Options, conformance bool) string {
	var total time.Duration
	var parts []string
	if ic != nil {
		d := time.Duration(ic.Steps()) * estIsolationCell
		total += d
		parts = append(parts, "isolation "+roundMinutes(d))
	}
	if o != nil {
		d := o.Estimate()
		total += d
		parts = append(parts, fmt.Sprintf("benchmarks %s (%d cases)", roundMinutes(d), len(o.Cases())))
	}
	if conformance {
		total += estConformance
		parts = append(parts, "conformance "+roundMinutes(estConformance))
	}
	return fmt.Sprintf("estimated duration on a quiet 2-core machine: %s (%s); a loaded machine takes longer", roundMinutes(total), strings.Join(parts, ", "))
}

// roundMinutes says d to the minute, or to the second below two minutes.
func roundMinutes(d time.Duration) string {
	if d < 2*time.Minute {
		return d.Round(time.Second).String()
	}
	return fmt.Sprintf("%d min", int(d.Round(time.Minute).Minutes()))
}

// saveExperiment keeps the experiment as given and as resolved (defaults
// filled in), so a result can be re-run exactly.
func saveExperiment(dir string, src []byte, exp *experiment.Experiment) error {
	if err := os.WriteFile(filepath.Join(dir, "experiment.yaml"), src, 0o644); err != nil {
		return err
	}
	resolved, err := yaml.Marshal(exp)
	if err != nil {
		return err
	}
	head := []byte("# The experiment as run: experiment.yaml with every default filled in.\n")
	return os.WriteFile(filepath.Join(dir, "experiment.resolved.yaml"), append(head, resolved...), 0o644)
}

// LinkShape turns the experiment's link conditions into a namespace shape,
// saying once what this kernel cannot do and dropping only that.
func LinkShape(l experiment.Link, opts nsrun.Options, pr progress.Reporter) nsrun.Shape {
	s := nsrun.Shape{RateBits: int64(l.Rate), Delay: time.Duration(l.Delay), Jitter: time.Duration(l.Jitter), LossPercent: float64(l.Loss)}
	if s.IsZero() {
		return s
	}
	have, err := nsrun.ProbeQdiscs(opts)
	if err != nil {
		pr.Log("cannot probe queueing disciplines (%v): link conditions skipped", err)
		return nsrun.Shape{}
	}
	if s.NeedsNetem() && have["netem"] != nil {
		pr.Log("netem is not available in this kernel: link delay, jitter and loss are skipped; the rate limit still applies")
		s.Delay, s.Jitter, s.LossPercent = 0, 0, 0
	}
	if s.RateBits > 0 && !s.NeedsNetem() && have["tbf"] != nil {
		pr.Log("tbf is not available in this kernel: the link rate limit is skipped")
		s.RateBits = 0
	}
	return s
}

func sizes(s []experiment.Size) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = int(v)
	}
	return out
}

func ignoreCancel(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// stepCount is a producer's own "[3/40] " prefix; the reporter adds its own.
var stepCount = regexp.MustCompile(`^\[\d+/\d+\] `)

// stepWriter turns the one-line-per-step progress output of the isolation
// suite, the benchmarks and the testsuite into progress steps.
type stepWriter struct{ pr progress.Reporter }

func (w stepWriter) Write(p []byte) (int, error) {
	for _, line := range strings.FieldsFunc(string(p), func(r rune) bool { return r == '\n' }) {
		w.pr.Step(stepCount.ReplaceAllString(line, ""))
	}
	return len(p), nil
}

// EnvTestsuite names a WASI testsuite folder for nswasi run.
const EnvTestsuite = "NSWASI_WASI_TESTSUITE"

// runConformance runs the testsuite under the experiment's WASI hosts
// into dir, or says in one line why it did not.
func runConformance(ctx context.Context, pr progress.Reporter, suiteDir string, hosts []string, engine, dir string) error {
	if suiteDir == "" {
		pr.Log("conformance: skipped, no WASI testsuite found: pass --wasi-testsuite DIR or set %s (get it: git clone --depth 1 --branch prod/testsuite-base https://github.com/WebAssembly/wasi-testsuite)", EnvTestsuite)
		return nil
	}
	dirs, err := conformance.Discover([]string{suiteDir})
	if err != nil {
		return err
	}
	var suites []*conformance.Suite
	tests := 0
	for _, d := range dirs {
		s, err := conformance.LoadSuite(d)
		if err != nil {
			return err
		}
		suites = append(suites, s)
		tests += len(s.Tests)
	}
	var exp *conformance.Expectations
	if p := conformance.FindExpectations([]string{suiteDir}); p != "" && slices.Contains(hosts, wasirun.HostWazero) {
		if exp, err = conformance.LoadExpectations(p); err != nil {
			return err
		}
	}
	pr.Phase("conformance", tests*len(hosts))
	_, err = conformance.Run(ctx, conformance.Config{
		Suites: suites, Hosts: hosts,
		Runner:       wasirun.Host{Engine: engine, CacheDir: wasirun.DefaultCacheDir()},
		Jobs:         2,
		Expectations: exp, ExpectationsHost: wasirun.HostWazero,
		Out: dir, Progress: stepWriter{pr},
	})
	pr.Finish()
	return err
}

// ShardOf keeps every shards-th name, starting at the shard-th (1-based).
func ShardOf(names []string, shard, shards int) []string {
	var out []string
	for j, n := range names {
		if j%shards == shard-1 {
			out = append(out, n)
		}
	}
	return out
}
