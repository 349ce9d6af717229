package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/nswasi/nswasi/conformance"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/experiments"
	"github.com/nswasi/nswasi/internal/progress"
	"github.com/nswasi/nswasi/isolation"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/report"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
	"go.yaml.in/yaml/v3"
)

func init() {
	register(command{"run", "run an experiment — isolation suite, benchmarks, report — in one go", cmdRun})
}

// catalogue names everything an experiment file may use.
func catalogue() experiment.Catalogue {
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

func cmdRun(ctx context.Context, args []string) error {
	fs := newFlagSet("run", "[--quick | --experiment FILE] [--out DIR] [--force] [--wasi-host LIST] [--wasi-testsuite DIR] [--shard I/N] [--guest-dir DIR]",
		"sudo bin/nswasi run --experiment experiments/full.yaml --out results/full")
	common := commonFlags{hostList: true}
	common.register(fs)
	quick := fs.Bool("quick", false, "run the shipped quick experiment (the default)")
	expFile := fs.String("experiment", "", "experiment file to run (see experiments/*.yaml)")
	out := fs.String("out", "", "output directory (default: a new timestamped folder under results/)")
	force := fs.Bool("force", false, "write into --out even if it exists")
	guestDir := fs.String("guest-dir", "", "directory holding guest and guest.wasm (default: beside nswasi)")
	suiteDir := fs.String("wasi-testsuite", "", "WASI testsuite folder for the conformance table (default: $"+envTestsuite+", else ../shared/wasi-testsuite if there)")
	shardFlag := fs.String("shard", "", "run only shard I of N (e.g. 2/8): a deterministic 1/N of the probes and cases; nswasi report merges the shards' directories")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return sandbox.BadInput("unexpected argument %q (see nswasi run --help)", fs.Arg(0))
	}
	suite, err := findTestsuite(*suiteDir)
	if err != nil {
		return err
	}
	shard, shards, err := parseShard(*shardFlag)
	if err != nil {
		return err
	}
	if *quick && *expFile != "" {
		return sandbox.BadInput("--quick and --experiment exclude each other")
	}

	// Everything is checked before anything runs.
	var src []byte
	var exp *experiment.Experiment
	if *expFile != "" {
		exp, src, err = experiment.Load(*expFile, catalogue())
	} else {
		src, _ = experiments.Shipped("quick")
		exp, err = experiment.Parse("experiments/quick.yaml", src, catalogue())
	}
	if err != nil {
		return err
	}
	cfg, err := common.config()
	if err != nil {
		return err
	}
	// --wasi-host, when given, replaces the experiment's wasi_hosts.
	hostsGiven := false
	fs.Visit(func(f *flag.Flag) { hostsGiven = hostsGiven || f.Name == "wasi-host" })
	if hostsGiven {
		if exp.WASIHosts, err = common.wasiHosts(); err != nil {
			return err
		}
	}
	native, wasm, err := guestPaths(*guestDir)
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return sandbox.BadInput("run creates network namespaces and needs root")
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("results", time.Now().UTC().Format("2006-01-02T150405Z"))
	}
	if _, err := os.Stat(dir); err == nil && !*force {
		return sandbox.BadInput("--out %s exists: choose another or pass --force", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sandbox.BadInput("--out %s: %v", dir, err)
	}
	if err := saveExperiment(dir, src, exp); err != nil {
		return err
	}

	pr := progress.New(os.Stderr)
	pr.Log("experiment %q, results in %s", exp.Name, dir)
	cfg.Namespace.Shape = linkShape(exp.Link, cfg.Namespace, pr)
	guest := scenarios.Guest{Native: native, Wasm: wasm}

	var runErr error
	if i := exp.Isolation; i != nil && shards > 1 {
		i.Probes = shardOf(i.Probes, shard, shards)
		if len(i.Probes) == 0 {
			exp.Isolation = nil
		}
	}
	if i := exp.Isolation; i != nil && ctx.Err() == nil {
		columns := 0
		for _, r := range i.Runners {
			if info, _ := runners.Lookup(r); info.WASI() {
				columns += len(exp.WASIHosts)
			} else {
				columns++
			}
		}
		pr.Phase("isolation", len(i.Probes)*columns)
		_, err := isolation.Run(ctx, isolation.Config{
			Guest: guest, Runners: i.Runners, Probes: i.Probes, AsRoot: i.AsRoot,
			Runner: cfg, WASIHosts: exp.WASIHosts, Out: dir, Progress: stepWriter{pr},
		})
		pr.Finish()
		runErr = errors.Join(runErr, ignoreCancel(ctx, err))
	}
	if b := exp.Bench; b != nil && ctx.Err() == nil {
		o := bench.Options{
			OutDir: dir, Scenarios: b.Scenarios, Runners: b.Runners, Modes: b.Modes,
			Sizes: sizes(b.Sizes), Conns: b.Conns, Reps: b.Reps,
			Duration: time.Duration(b.Duration), Warmup: time.Duration(b.Warmup),
			Engine: b.Engine, WASIHosts: exp.WASIHosts, TraceHostcalls: b.TraceHostcalls, TraceModes: b.TraceModes,
			Peers: !b.NoPeers, PeerDuration: time.Duration(b.PeerDuration),
			Quick: b.Preset == "quick", Guest: guest, Runner: cfg, Progress: stepWriter{pr},
			Shard: shard, Shards: shards,
		}
		o.Defaults()
		pr.Phase("bench", o.Steps())
		_, err := bench.Run(ctx, o)
		pr.Finish()
		runErr = errors.Join(runErr, ignoreCancel(ctx, err))
	}

	if ctx.Err() == nil && shard <= 1 { // the testsuite runs whole, in the first shard
		runErr = errors.Join(runErr, ignoreCancel(ctx, runConformance(ctx, pr, suite, exp.WASIHosts, cfg.Wasi.Engine, dir)))
	}

	// A report is made from whatever finished, interrupted or not; the
	// result files say whether they are partial.
	d, err := report.Load(dir)
	if err == nil {
		_, err = report.Write(d, dir)
	}
	if err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("report: %w", err))
	} else {
		fmt.Printf("report: %s\n", filepath.Join(dir, "report.html"))
	}
	if code, ok := signalExit(); ok {
		fmt.Fprintf(os.Stderr, "nswasi: interrupted: the report covers what finished (marked partial) in %s\n", dir)
		return exitError{code}
	}
	return runErr
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

// linkShape turns the experiment's link conditions into a namespace shape,
// saying once what this kernel cannot do and dropping only that.
func linkShape(l experiment.Link, opts nsrun.Options, pr progress.Reporter) nsrun.Shape {
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
// suite and the benchmarks into progress steps.
type stepWriter struct{ pr progress.Reporter }

func (w stepWriter) Write(p []byte) (int, error) {
	for _, line := range strings.FieldsFunc(string(p), func(r rune) bool { return r == '\n' }) {
		w.pr.Step(stepCount.ReplaceAllString(line, ""))
	}
	return len(p), nil
}

// envTestsuite names a WASI testsuite folder for nswasi run.
const envTestsuite = "NSWASI_WASI_TESTSUITE"

// findTestsuite picks the testsuite folder nswasi run judges the WASI
// hosts by: the flag, the environment, or ../shared/wasi-testsuite beside
// the repository (as CI lays it out); "" when there is none. A folder
// named explicitly must exist.
func findTestsuite(flagDir string) (string, error) {
	for _, d := range []string{flagDir, os.Getenv(envTestsuite)} {
		if d == "" {
			continue
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", sandbox.BadInput("WASI testsuite %s: not a folder", d)
		}
		return d, nil
	}
	candidates := []string{filepath.Join("..", "shared", "wasi-testsuite")}
	if exe, err := os.Executable(); err == nil {
		// bin/nswasi in a clone whose parent holds shared/.
		candidates = append(candidates, filepath.Join(filepath.Dir(exe), "..", "..", "shared", "wasi-testsuite"))
	}
	for _, d := range candidates {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	return "", nil
}

// runConformance runs the testsuite under the experiment's WASI hosts
// into dir, or says in one line why it did not.
func runConformance(ctx context.Context, pr progress.Reporter, suiteDir string, hosts []string, engine, dir string) error {
	if suiteDir == "" {
		pr.Log("conformance: skipped, no WASI testsuite found: pass --wasi-testsuite DIR or set %s (get it: git clone --depth 1 --branch prod/testsuite-base https://github.com/WebAssembly/wasi-testsuite)", envTestsuite)
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

// parseShard reads --shard I/N; empty means the whole experiment.
func parseShard(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, sandbox.BadInput("--shard %q: want I/N with 1 ≤ I ≤ N, e.g. 2/8", s)
	}
	return i, n, nil
}

// shardOf keeps every shards-th name, starting at the shard-th (1-based).
func shardOf(names []string, shard, shards int) []string {
	var out []string
	for j, n := range names {
		if j%shards == shard-1 {
			out = append(out, n)
		}
	}
	return out
}
