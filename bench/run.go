package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"github.com/nswasi/nswasi/scenarios/wire"
	"github.com/nswasi/nswasi/wasirun"
)

// guestReport is the guest's answer to one repetition.
type guestReport = wire.Report

// metric names what a scenario's repetitions measure.
func metric(scenario string) (name, unit string) {
	switch scenario {
	case "stream":
		return "throughput", "bytes/s"
	case "rr":
		return "transactions", "1/s"
	case "conn":
		return "connections", "1/s"
	case "idle":
		return "idle_cpu", "s/s"
	case "http":
		return "requests", "1/s"
	}
	return scenario, ""
}

// repFigures is one measured repetition.
type repFigures struct {
	value   float64
	client  clientResult
	guest   guestReport
	cpuUser time.Duration
	cpuSys  time.Duration
}

// runOne makes one run: start the guest, warm up, measure opts.Reps
// repetitions, stop. Failures end up in Run.Error, never as a lost run.
func runOne(ctx context.Context, o *Options, c Case) (run results.Run) {
	run = results.Run{
		Scenario: c.Scenario, Direction: c.Direction, Runner: c.Runner, Mode: c.Mode,
		Size: c.Size, Conns: c.Conns, Engine: "native", Traced: c.Traced, Reps: []float64{},
	}
	run.Metric, run.Unit = metric(c.Scenario)
	info, _ := runners.Lookup(c.Runner)
	run.RunnerKind = info.Kind
	cfg := o.Runner
	if info.WASI() {
		run.Engine = o.Engine
		cfg.Wasi.Engine = o.Engine
		run.WASIHost, cfg.Wasi.WASIHost = c.WASIHost, c.WASIHost
	}
	var traceFile string
	if c.Traced {
		dir, err := os.MkdirTemp("", "nswasi-trace-")
		if err != nil {
			run.Error = err.Error()
			return run
		}
		defer os.RemoveAll(dir)
		traceFile = filepath.Join(dir, "hostcalls.json")
		cfg.Wasi.TraceFile = traceFile
	}
	r, err := runners.New(c.Runner, cfg)
	if err != nil {
		run.Error = err.Error()
		return run
	}
	artifact := runners.Artifact(c.Runner, o.Guest.Native, o.Guest.Wasm)
	args := []string{c.guestScenario(), "-mode", c.Mode, "-size", strconv.Itoa(c.Size),
		"-conns", strconv.Itoa(c.Conns), "-duration", o.Duration.String(),
		"-poll-timeout", o.PollTimeout.String()}
	if o.Verify {
		args = append(args, "-verify")
	}
	g, err := r.Start(ctx, sandbox.Spec{
		Artifact: artifact,
		Args:     args,
		Env:      []string{},
		Listen:   []sandbox.Listen{{}, {}}, // data, control
		Timeout:  time.Duration(o.repCap()+1)*(o.Duration+2*grace) + time.Minute,
	})
	if err != nil {
		run.Error = "start: " + err.Error()
		return run
	}
	addrs := g.Addrs()
	var errs []error
	if o.Pin {
		if p, ok := g.(interface{ Pid() int }); ok {
			if err := pinTree(p.Pid(), o.pinSandbox); err != nil {
				errs = append(errs, err)
			}
		}
	}
	hist := newHist()
	var counters results.Counters
	var cpuUser, cpuSys time.Duration
	var moved, ops, unanswered int64
	var repCPU, repWork []float64
	stopped := false
	func() {
		ctl, err := dial(ctx, addrs[1])
		if err != nil {
			errs = append(errs, fmt.Errorf("control connection: %w", err))
			return
		}
		defer ctl.Close()
		br := bufio.NewReader(ctl)
		pid := 0
		if p, ok := g.(interface{ Pid() int }); ok {
			pid = p.Pid()
		}
		for i := -1; i < o.Reps || o.wantMore(run.Reps); i++ {
			if ctx.Err() != nil {
				errs = append(errs, ctx.Err())
				return
			}
			d := o.Duration
			if i < 0 {
				d = o.Warmup // the warm-up: JIT, caches, TCP windows; not recorded
			}
			f, err := repetition(ctx, c, o, ctl, br, addrs[0], pid, d)
			if i >= 0 || err != nil {
				// Counts of a failed repetition (the warm-up included) are
				// kept: they show how far the mode got and what it saw.
				counters.Reads += f.guest.Reads
				counters.Writes += f.guest.Writes
				counters.EAGAINs += f.guest.EAGAINs
				counters.Waits += f.guest.Waits
				counters.Spurious += f.guest.Spurious
			}
			if err != nil {
				if i < 0 {
					err = fmt.Errorf("warm-up: %w", err)
				} else {
					err = fmt.Errorf("repetition %d: %w", i+1, err)
				}
				errs = append(errs, err)
				return
			}
			if i < 0 {
				continue
			}
			run.Reps = append(run.Reps, f.value)
			if f.client.Hist != nil {
				hist.Merge(f.client.Hist)
			}
			cpuUser += f.cpuUser
			repCPU = append(repCPU, (f.cpuUser + f.cpuSys).Seconds())
			work := float64(f.client.Ops)
			if c.Scenario == "stream" || c.Scenario == "rr" {
				work = float64(f.client.Sent + f.client.Received)
			}
			repWork = append(repWork, work)
			cpuSys += f.cpuSys
			moved += f.client.Sent + f.client.Received
			ops += f.client.Ops
			unanswered += f.client.Unanswered
		}
		_, _ = ctl.Write([]byte("quit\n"))
	}()
	if o.TargetCI > 0 && len(errs) == 0 && ciHalf(run.Reps) > o.TargetCI {
		// Said, not hidden: the run ends with a wider interval than asked.
		run.TargetCIUnmet = true
	}
	var res sandbox.Result
	if len(errs) == 0 {
		select {
		case res = <-waitChan(g):
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("guest did not exit after quit"))
			res, stopped = g.Stop(), true
		}
	} else {
		res, stopped = g.Stop(), true
	}
	if !stopped && (res.ExitCode != 0 || res.Err != nil) {
		errs = append(errs, fmt.Errorf("guest exit: status %d %v", res.ExitCode, res.Err))
	}
	if len(errs) > 0 {
		run.Error = oneLine(errors.Join(errs...))
		if tail := stderrTail(res.Stderr); tail != "" {
			run.Error = "guest stderr: " + tail + " | driver: " + run.Error
		}
	}
	run.Summary = results.Summarize(run.Reps)
	if len(run.Reps) > 0 || counters != (results.Counters{}) {
		run.Counters = &counters
	}
	if len(run.Reps) > 0 {
		run.CPU = cpuFigures(c, cpuUser, cpuSys, moved, ops, res)
		if hist.TotalCount() > 0 {
			run.LatencyNS = latency(hist)
		}
		// rep_work is bytes moved (stream, rr) or operations (conn, http)
		// per repetition, the denominator of rep_cpu_s in bench.txt.
		run.Detail = &results.RunDetail{Ops: ops, BytesMoved: moved, RepCPUS: repCPU, RepWork: repWork, Unanswered: unanswered}
	}
	if traceFile != "" {
		if hc, err := wasirun.LoadHostcalls(traceFile); err == nil {
			run.Hostcalls = hc
		} else if run.Error == "" {
			run.Error = "host-call trace: " + err.Error()
		}
	}
	return run
}

func waitChan(g sandbox.Guest) <-chan sandbox.Result {
	ch := make(chan sandbox.Result, 1)
	go func() { ch <- g.Wait() }()
	return ch
}

// repetition asks the guest for one repetition, drives it and reads the
// guest's report; both ends' byte counts must agree.
func repetition(ctx context.Context, c Case, o *Options, ctl net.Conn, br *bufio.Reader,
	addr netip.AddrPort, pid int, d time.Duration) (repFigures, error) {
	var f repFigures
	u0, s0, cpuErr := processCPU(pid)
	if _, err := ctl.Write([]byte("rep\n")); err != nil {
		return f, fmt.Errorf("control: %w", err)
	}
	var cerr error
	switch c.Scenario + c.Direction {
	case "streamin":
		f.client, cerr = streamIn(ctx, addr, c.Size, c.Conns, d)
	case "streamout":
		f.client, cerr = streamOut(ctx, addr, c.Size, c.Conns, d, o.Verify)
	case "rr":
		f.client, cerr = requestResponse(ctx, addr, c.Size, c.Conns, d)
	case "conn":
		f.client, cerr = connChurn(ctx, addr, c.Size, c.Conns, d)
	case "idle":
		f.client, cerr = idle(ctx, addr, d)
	case "http":
		f.client, cerr = httpLoad(ctx, addr, c.Size, c.Conns, d, o.Verify)
	default:
		return f, fmt.Errorf("unknown scenario %s", c)
	}
	_ = ctl.SetReadDeadline(time.Now().Add(grace))
	line, rerr := br.ReadBytes('\n')
	_ = ctl.SetReadDeadline(time.Time{})
	u1, s1, cpuErr1 := processCPU(pid)
	if rerr != nil {
		return f, errors.Join(cerr, fmt.Errorf("no report from the guest within %s of the end: %w", grace, rerr))
	}
	if err := json.Unmarshal(line, &f.guest); err != nil {
		return f, errors.Join(cerr, fmt.Errorf("guest report %q: %w", line, err))
	}
	if f.guest.Error != "" {
		return f, errors.Join(fmt.Errorf("guest: %s", f.guest.Error), cerr)
	}
	if cerr != nil {
		return f, cerr
	}
	if err := errors.Join(cpuErr, cpuErr1); err != nil {
		return f, fmt.Errorf("sandbox CPU: %w", err)
	}
	f.cpuUser, f.cpuSys = u1-u0, s1-s0
	g := f.guest
	switch {
	case c.Scenario == "stream" && c.Direction == "in" && g.BytesIn != f.client.Sent:
		return f, fmt.Errorf("driver sent %d bytes, guest received %d", f.client.Sent, g.BytesIn)
	case c.Scenario == "stream" && c.Direction == "out" && g.BytesOut != f.client.Received:
		return f, fmt.Errorf("guest sent %d bytes, driver received %d", g.BytesOut, f.client.Received)
	case c.Scenario == "rr" && g.BytesIn < f.client.Received:
		return f, fmt.Errorf("driver got %d answer bytes, guest read only %d", f.client.Received, g.BytesIn)
	case c.Scenario == "conn" && g.Conns != f.client.Ops:
		return f, fmt.Errorf("driver completed %d connections, guest served %d", f.client.Ops, g.Conns)
	case c.Scenario == "http" && g.Conns != f.client.Ops:
		return f, fmt.Errorf("driver completed %d requests, guest answered %d", f.client.Ops, g.Conns)
	}
	secs := f.client.Elapsed.Seconds()
	switch c.Scenario {
	case "stream":
		f.value = float64(f.client.Sent+f.client.Received) / secs
	case "idle":
		f.value = (f.cpuUser + f.cpuSys).Seconds() / secs
	default:
		f.value = float64(f.client.Ops) / secs
	}
	return f, nil
}

func cpuFigures(c Case, user, sys time.Duration, moved, ops int64, res sandbox.Result) *results.CPU {
	cpu := &results.CPU{
		UserS: user.Seconds(), SysS: sys.Seconds(),
		RusageUserS: res.UserCPU.Seconds(), RusageSysS: res.SysCPU.Seconds(),
		MaxRSSByte: res.MaxRSS,
	}
	total := (user + sys).Seconds()
	if moved > 0 && (c.Scenario == "stream" || c.Scenario == "rr") {
		cpu.PerGB = total / (float64(moved) / 1e9)
	}
	if ops > 0 && c.Scenario != "stream" && c.Scenario != "idle" {
		cpu.Per1kReq = total / (float64(ops) / 1000)
	}
	return cpu
}

func latency(h *hdrhistogram.Histogram) *results.Latency {
	return &results.Latency{
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), Max: h.Max(),
	}
}

func oneLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

func stderrTail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = "..." + s[len(s)-300:]
	}
	return strings.ReplaceAll(s, "\n", "; ")
}

// wantMore reports whether a run with repetitions reps should make one
// more to reach o.TargetCI, within o.MaxReps.
func (o *Options) wantMore(reps []float64) bool {
	return o.TargetCI > 0 && len(reps) >= o.Reps && len(reps) < o.MaxReps && ciHalf(reps) > o.TargetCI
}

// ciHalf is the half-width of the 95% interval relative to the mean.
func ciHalf(reps []float64) float64 {
	s := results.Summarize(reps)
	if s.N < 2 || s.Mean == 0 {
		return math.Inf(1)
	}
	return (s.CIHigh - s.Mean) / math.Abs(s.Mean)
}

// repCap is the most repetitions a run may make.
func (o *Options) repCap() int {
	if o.TargetCI > 0 {
		return max(o.Reps, o.MaxReps)
	}
	return o.Reps
}
