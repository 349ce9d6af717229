package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"

	"github.com/nswasi/nswasi/runners"
)

func init() {
	register(command{"bench", "measure throughput, latency and CPU of every runner in four I/O modes", cmdBench})
}

func cmdBench(ctx context.Context, args []string) error {
	fs := newFlagSet("bench",
		"[--quick] [--out DIR] [--scenarios LIST] [--runners LIST] [--modes LIST] [--sizes LIST] [--conns LIST] [--reps N] [--duration D] [--engine E] [--wasi-host LIST] [--trace-hostcalls] [--target-ci P%] [--max-reps N] [--pin]",
		"sudo bin/nswasi bench --quick --out /tmp/bench")
	common := commonFlags{hostList: true}
	common.register(fs)
	quick := fs.Bool("quick", false, "every scenario × runner × mode, one small size, 3 short repetitions")
	out := fs.String("out", "", "directory for results.json and bench.txt (default: results/bench-UNIXTIME)")
	scen := fs.String("scenarios", "", "comma-separated: "+strings.Join(bench.Scenarios, ",")+" (default: all)")
	list := fs.String("runners", "", "comma-separated runners (default: all)")
	modes := fs.String("modes", "", "comma-separated: "+strings.Join(bench.Modes, ",")+" (default: all)")
	sizes := fs.String("sizes", "", "comma-separated message/buffer sizes, e.g. 64,1K,64K,1M (default: per scenario)")
	conns := fs.String("conns", "", "comma-separated connection counts (default: per scenario)")
	reps := fs.Int("reps", 0, "measured repetitions per run (default 5; 3 with --quick)")
	dur := fs.Duration("duration", 0, "length of one repetition (default 2s; 300ms with --quick)")
	pollTimeout := fs.Duration("poll-timeout", 0, "bound on each readiness wait in poll mode (default 10ms)")
	trace := fs.Bool("trace-hostcalls", false, "also run each WASI case with WASI host calls counted, and report the accounting's cost")
	noPeers := fs.Bool("no-peers", false, "skip the fidelity comparison with iperf3 and sockperf")
	peerDur := fs.Duration("peer-duration", 0, "length of one repetition of each fidelity check, whole seconds (default 5s; 3s with --quick), after 1s left out")
	targetCI := fs.String("target-ci", "", "add repetitions until the 95% interval is within this much of the mean, e.g. 5% (a run that stops short says so)")
	pin := fs.Bool("pin", false, "pin the driver to one CPU and each sandbox to the others")
	maxReps := fs.Int("max-reps", 0, "cap on repetitions with --target-ci (default 4 × --reps)")
	guestDir := fs.String("guest-dir", "", "directory holding guest and guest.wasm (default: beside nswasi)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usage.BadInput("unexpected argument %q (see nswasi bench --help)", fs.Arg(0))
	}
	o := bench.Options{
		OutDir: *out, Quick: *quick, Reps: *reps, Duration: *dur, Engine: common.engine,
		TraceHostcalls: *trace, PollTimeout: *pollTimeout, Peers: !*noPeers, PeerDuration: *peerDur, Progress: os.Stderr,
	}
	var err error
	if o.Scenarios, err = splitList(*scen); err != nil {
		return err
	}
	if o.Modes, err = splitList(*modes); err != nil {
		return err
	}
	if *list != "" {
		if o.Runners, err = runners.ParseList(*list); err != nil {
			return err
		}
	}
	if o.Sizes, err = parseSizes(*sizes); err != nil {
		return err
	}
	if o.Conns, err = parseInts("--conns", *conns); err != nil {
		return err
	}
	if o.TargetCI, err = parsePercent("--target-ci", *targetCI); err != nil {
		return err
	}
	o.MaxReps = *maxReps
	o.Pin = *pin
	if o.Runner, err = common.config(); err != nil {
		return err
	}
	if o.WASIHosts, err = common.wasiHosts(); err != nil {
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
	if o.Guest.Native, o.Guest.Wasm, err = guestPaths(*guestDir); err != nil {
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

func splitList(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out, nil
}

// parseSizes takes byte counts with an optional K or M suffix (binary).
func parseSizes(s string) ([]int, error) {
	fields, _ := splitList(s)
	var out []int
	for _, f := range fields {
		mult := 1
		switch {
		case strings.HasSuffix(strings.ToUpper(f), "K"):
			mult, f = 1<<10, f[:len(f)-1]
		case strings.HasSuffix(strings.ToUpper(f), "M"):
			mult, f = 1<<20, f[:len(f)-1]
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, usage.BadInput("--sizes: %q is not a positive size (e.g. 64, 16K, 1M)", f)
		}
		out = append(out, n*mult)
	}
	return out, nil
}

func parseInts(flag, s string) ([]int, error) {
	fields, _ := splitList(s)
	var out []int
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, usage.BadInput("%s: %q is not a positive integer", flag, f)
		}
		out = append(out, n)
	}
	return out, nil
}

func nowUnix() int64 { return time.Now().Unix() }

// parsePercent reads "5%" or "0.05" as a fraction; empty is 0.
func parsePercent(flag, s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	v, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(v, 64)
	if pct {
		f /= 100
	}
	if err != nil || f <= 0 || f >= 1 {
		return 0, usage.BadInput("%s %q: want a percentage between 0 and 100, e.g. 5%%", flag, s)
	}
	return f, nil
}
