package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/experiments"
	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/progress"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/pipeline"
	"github.com/nswasi/nswasi/scenarios"
)

var cmdRun = &cli.Command{
	UsageLine: "run [--quick | --experiment FILE] [--out DIR] [--force] [--wasi-host LIST] [--wasi-testsuite DIR] [--shard I/N] [--pin] [--guest-dir DIR]",
	Short:     "run an experiment — isolation suite, benchmarks, report — in one go",
	Example:   "sudo bin/nswasi run --experiment experiments/full.yaml --out results/full",
	Args:      cli.NoArgs,
}

var runFlags struct {
	common                        commonFlags
	quick, force, pin             bool
	expFile, out, suiteDir, shard string
}

func init() {
	cmdRun.Run = runRun
	fs, f := &cmdRun.Flag, &runFlags
	f.common.registerSuite(fs)
	fs.BoolVar(&f.quick, "quick", false, "run the shipped quick experiment (the default)")
	fs.StringVar(&f.expFile, "experiment", "", "experiment file to run (see experiments/*.yaml)")
	fs.StringVar(&f.out, "out", "", "output directory (default: a new timestamped folder under results/)")
	fs.BoolVar(&f.force, "force", false, "write into --out even if it exists")
	fs.StringVar(&f.suiteDir, "wasi-testsuite", "", "WASI testsuite folder for the conformance table (default: $"+pipeline.EnvTestsuite+", else ../shared/wasi-testsuite if there)")
	fs.BoolVar(&f.pin, "pin", false, "pin the benchmarks' driver to one CPU and the sandboxes to the others (the experiment key pin: true): less noise, one CPU per guest")
	fs.StringVar(&f.shard, "shard", "", "run only shard I of N (e.g. 2/8): a deterministic 1/N of the probes and cases; nswasi report merges the shards' directories")
}

func runRun(ctx context.Context, cmd *cli.Command, _ []string) error {
	f := &runFlags
	suite, err := findTestsuite(f.suiteDir)
	if err != nil {
		return err
	}
	shard, shards, err := cli.ParseShard(f.shard)
	if err != nil {
		return err
	}
	if f.quick && f.expFile != "" {
		return usage.BadInput("--quick and --experiment exclude each other")
	}

	// Everything is checked before anything runs.
	var src []byte
	var exp *experiment.Experiment
	if f.expFile != "" {
		exp, src, err = experiment.Load(f.expFile, pipeline.Catalogue())
	} else {
		src, _ = experiments.Shipped("quick")
		exp, err = experiment.Parse("experiments/quick.yaml", src, pipeline.Catalogue())
	}
	if err != nil {
		return err
	}
	cfg, err := f.common.config()
	if err != nil {
		return err
	}
	// --wasi-host, when given, replaces the experiment's wasi_hosts.
	if cli.IsSet(&cmd.Flag, "wasi-host") {
		if exp.WASIHosts, err = f.common.wasiHosts(); err != nil {
			return err
		}
	}
	if f.pin && exp.Bench != nil {
		exp.Bench.Pin = true
	}
	native, wasm, err := f.common.guestPaths()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return usage.BadInput("run creates network namespaces and needs root")
	}
	dir := f.out
	if dir == "" {
		dir = filepath.Join("results", time.Now().UTC().Format("2006-01-02T150405Z"))
	}
	if _, err := os.Stat(dir); err == nil && !f.force {
		return usage.BadInput("--out %s exists: choose another or pass --force", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usage.BadInput("--out %s: %v", dir, err)
	}

	html, runErr := pipeline.Run(ctx, pipeline.Config{
		Experiment: exp, Source: src, Dir: dir,
		Guest:     scenarios.Guest{Native: native, Wasm: wasm},
		Runner:    cfg,
		Testsuite: suite,
		Shard:     shard, Shards: shards,
		Progress: progress.New(os.Stderr),
	})
	if html != "" {
		fmt.Printf("report: %s\n", html)
	}
	if code, ok := signalExit(); ok {
		fmt.Fprintf(os.Stderr, "nswasi: interrupted: the report covers what finished (marked partial) in %s\n", dir)
		return exitError{code}
	}
	return runErr
}

// findTestsuite picks the testsuite folder nswasi run judges the WASI
// hosts by: the flag, the environment, or ../shared/wasi-testsuite beside
// the repository (as CI lays it out); "" when there is none. A folder
// named explicitly must exist.
func findTestsuite(flagDir string) (string, error) {
	for _, d := range []string{flagDir, os.Getenv(pipeline.EnvTestsuite)} {
		if d == "" {
			continue
		}
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", usage.BadInput("WASI testsuite %s: not a folder", d)
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
