package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/runners"
)

var cmdBench = &cli.Command{
	UsageLine: "bench [--quick] [--out DIR] [--scenarios LIST] [--runners LIST] [--modes LIST] [--sizes LIST] [--conns LIST] [--reps N] [--duration D] [--engine E] [--wasi-host LIST] [--trace-hostcalls] [--target-ci P%] [--max-reps N] [--pin] [--poll-timeout D] [--no-peers] [--peer-duration D] [--guest-dir DIR]",
	Short:     "measure throughput, latency and CPU of every runner in four I/O modes",
	Example:   "sudo bin/nswasi bench --quick --out /tmp/bench",
	Args:      cli.NoArgs,
}

var benchFlags struct {
	common                               commonFlags
	quick, trace, noPeers, pin           bool
	out, scen, list, modes, sizes, conns string
	targetCI                             string
	reps, maxReps                        int
	dur, pollTimeout, peerDur            time.Duration
}

func init() {
	cmdBench.Run = runBench
	fs, f := &cmdBench.Flag, &benchFlags
	f.common.registerSuite(fs)
	fs.BoolVar(&f.quick, "quick", false, "every scenario × runner × mode, one small size, 3 short repetitions")
	fs.StringVar(&f.out, "out", "", "directory for results.json and bench.txt (default: results/bench-UNIXTIME)")
	fs.StringVar(&f.scen, "scenarios", "", "comma-separated: "+strings.Join(bench.Scenarios, ",")+" (default: all)")
	fs.StringVar(&f.list, "runners", "", "comma-separated runners (default: all)")
	fs.StringVar(&f.modes, "modes", "", "comma-separated: "+strings.Join(bench.Modes, ",")+" (default: all)")
	fs.StringVar(&f.sizes, "sizes", "", "comma-separated message/buffer sizes, e.g. 64,1K,64KiB,1M (default: per scenario)")
	fs.StringVar(&f.conns, "conns", "", "comma-separated connection counts (default: per scenario)")
	fs.IntVar(&f.reps, "reps", 0, "measured repetitions per run (default 5; 3 with --quick)")
	fs.DurationVar(&f.dur, "duration", 0, "length of one repetition (default 2s; 300ms with --quick)")
	fs.DurationVar(&f.pollTimeout, "poll-timeout", 0, "bound on each readiness wait in poll mode (default 10ms)")
	fs.BoolVar(&f.trace, "trace-hostcalls", false, "also run each WASI case with WASI host calls counted, and report the accounting's cost")
	fs.BoolVar(&f.noPeers, "no-peers", false, "skip the fidelity comparison with iperf3 and sockperf")
	fs.DurationVar(&f.peerDur, "peer-duration", 0, "length of one repetition of each fidelity check, whole seconds (default 5s; 3s with --quick), after 1s left out")
	fs.StringVar(&f.targetCI, "target-ci", "", "add repetitions until the 95% interval is within this much of the mean, e.g. 5% (a run that stops short says so)")
	fs.BoolVar(&f.pin, "pin", false, "pin the driver to one CPU and each sandbox to the others")
	fs.IntVar(&f.maxReps, "max-reps", 0, "cap on repetitions with --target-ci (default 4 × --reps)")
}

func runBench(ctx context.Context, _ *cli.Command, _ []string) error {
	f := &benchFlags
	o := bench.Options{
		OutDir: f.out, Quick: f.quick, Reps: f.reps, Duration: f.dur, Engine: f.common.engine,
		TraceHostcalls: f.trace, PollTimeout: f.pollTimeout, Peers: !f.noPeers, PeerDuration: f.peerDur, Progress: os.Stderr,
	}
	var err error
	o.Scenarios, o.Modes = cli.SplitList(f.scen), cli.SplitList(f.modes)
	if f.list != "" {
		if o.Runners, err = runners.ParseList(f.list); err != nil {
			return err
		}
	}
	if o.Sizes, err = cli.ParseSizes("--sizes", f.sizes); err != nil {
		return err
	}
	if o.Conns, err = cli.ParseInts("--conns", f.conns); err != nil {
		return err
	}
	if o.TargetCI, err = cli.ParsePercent("--target-ci", f.targetCI); err != nil {
		return err
	}
	o.MaxReps = f.maxReps
	o.Pin = f.pin
	if o.Runner, err = f.common.config(); err != nil {
		return err
	}
	if o.WASIHosts, err = f.common.wasiHosts(); err != nil {
		return err
	}
	if o.OutDir == "" {
		o.OutDir = "results/bench-" + strconv.FormatInt(nowUnix(), 10)
	}
	o.Defaults()
	if err := o.Validate(); err != nil {
		return err
	}
	for _, n := range o.Runners {
		if err := needRoot(n); err != nil {
			return err
		}
	}
	if o.Guest.Native, o.Guest.Wasm, err = f.common.guestPaths(); err != nil {
		return err
	}
	b, err := bench.Run(ctx, o)
	if b != nil {
		fmt.Println()
		bench.Table(os.Stdout, b)
		fmt.Printf("\nwrote %s/%s and %s/%s\n", o.OutDir, results.BenchFile, o.OutDir, bench.TextFile)
	}
	if code, ok := signalExit(); ok {
		return exitError{code}
	}
	return err
}

func nowUnix() int64 { return time.Now().Unix() }
