package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"golang.org/x/sys/unix"
)

// TextFile is the Go-benchmark-format twin of results.json.
const TextFile = "bench.txt"

// Run makes every case of o, saving results.json after each run (so that a
// crash loses at most the run in progress) and bench.txt at the end. When
// ctx is cancelled it stops, marks the results Partial and returns them
// with ctx's error.
func Run(ctx context.Context, o Options) (*results.Bench, error) {
	o.Defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, err
	}
	b := &results.Bench{
		SchemaVersion: results.SchemaVersion,
		Environment:   results.CurrentEnvironment(),
		Config:        o.config(),
		Runs:          []results.Run{},
		Partial:       true, // until the last run is in
	}
	jsonPath := filepath.Join(o.OutDir, results.BenchFile)
	save := func() error {
		if err := results.WriteAtomic(jsonPath, b); err != nil {
			return fmt.Errorf("save %s: %w", jsonPath, err)
		}
		return results.WriteFileAtomic(filepath.Join(o.OutDir, TextFile), BenchText(b))
	}
	if err := save(); err != nil {
		return nil, err
	}
	if o.Pin {
		if d, sb, ok := pinSets(); !ok {
			o.Pin = false
			if o.Progress != nil {
				fmt.Fprintln(o.Progress, "pinning skipped: fewer than two CPUs available")
			}
		} else if err := unix.SchedGetaffinity(0, &o.unpinned); err != nil {
			return b, fmt.Errorf("pin the driver: %w", err)
		} else if err := pinTree(os.Getpid(), d); err != nil {
			return b, fmt.Errorf("pin the driver: %w", err)
		} else {
			// What runs after the benchmarks in this process (nswasi
			// run's conformance) gets every CPU back.
			defer pinTree(os.Getpid(), o.unpinned)
			o.pinDriver, o.pinSandbox = d, sb
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "pinning: driver on CPU(s) %s, sandboxes on %s\n", cpuList(d), cpuList(sb))
			}
		}
	}
	total := len(o.Cases())
	untraced := map[Case]float64{}
groups:
	for _, steps := range o.Schedule() {
		if ctx.Err() != nil {
			break
		}
		runs, took := runGroup(ctx, &o, steps)
		for i, run := range runs {
			if ctx.Err() != nil && len(run.Reps) < o.Reps {
				break groups // interrupted: the runs in progress are lost, as promised
			}
			c := Case{Scenario: run.Scenario, Direction: run.Direction, Runner: run.Runner, Mode: run.Mode,
				Size: run.Size, Conns: run.Conns, WASIHost: run.WASIHost, Traced: run.Traced}
			if c.Traced {
				u := c
				u.Traced = false
				if m, ok := untraced[u]; ok && m > 0 && run.Summary.N > 0 {
					run.TracedRatio = run.Summary.Median / m
				}
			} else if run.Summary.N > 0 {
				untraced[c] = run.Summary.Median
			}
			b.Runs = append(b.Runs, run)
			if err := save(); err != nil {
				return b, err
			}
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "[%d/%d] %s: %s (%s)\n", len(b.Runs), total, c, shortResult(run), took[i].Round(100*time.Millisecond))
			}
		}
	}
	if ctx.Err() == nil && slices.Contains(o.Scenarios, "start") && o.FirstShard() {
		b.Runs = append(b.Runs, runStart(ctx, &o, o.Progress)...)
		if err := save(); err != nil {
			return b, err
		}
	}
	if ctx.Err() == nil && o.Peers && o.FirstShard() {
		b.Peers = runPeers(ctx, &o, o.Progress)
	}
	b.Partial = ctx.Err() != nil
	if err := save(); err != nil {
		return b, err
	}
	return b, ctx.Err()
}

func (o *Options) config() results.BenchConfig {
	return results.BenchConfig{
		Scenarios: o.Scenarios, Runners: o.Runners, Modes: o.Modes,
		Sizes: o.Sizes, Conns: o.Conns, Reps: o.Reps,
		Duration: results.Duration(o.Duration), Warmup: results.Duration(o.Warmup),
		Engine: o.Engine, WASIHosts: o.WASIHosts, TraceHostcalls: o.TraceHostcalls, TraceModes: o.TraceModes, TraceRunners: o.TraceRunners,
		PollTimeout: results.Duration(o.PollTimeout), Verify: o.Verify, Quick: o.Quick,
		Shard: o.Shard, Shards: o.Shards, TargetCI: o.TargetCI, MaxReps: o.MaxReps, Pin: o.Pin,
	}
}
