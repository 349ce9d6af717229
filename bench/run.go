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
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
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

// member is one case of a group in progress: its guest, the control
// connection it is driven over, and what its repetitions add up to.
type member struct {
	c         Case
	run       results.Run
	g         sandbox.Guest // nil when the guest never started
	ctl       net.Conn
	br        *bufio.Reader
	data      netip.AddrPort
	pid       int
	traceFile string
	cleanup   []func()
	errs      []error
	done      bool // failed: no more repetitions
	finished  bool // out holds the run
	out       results.Run
	took      time.Duration

	hist                   *hdrhistogram.Histogram
	counters               results.Counters
	cpuUser, cpuSys        time.Duration
	moved, ops, unanswered int64
	repCPU, repWork        []float64
}

// runOne makes one run alone: a group of one case.
func runOne(ctx context.Context, o *Options, c Case) results.Run {
	runs, _ := runGroup(ctx, o, schedule([]Case{c}, o.Reps))
	return runs[0]
}

// runGroup makes the runs of one group, whose repetitions steps lists in
// order (see Options.Schedule): every case's guest is started first and
// stays up, driven over its control connection, while the others take
// their turns; repetitions that TargetCI asks for follow in further
// rounds in the same order. It returns each case's run and the time
// spent on it, in the group's case order. Failures end up in Run.Error,
// never as a lost run.
func runGroup(ctx context.Context, o *Options, steps []Step) ([]results.Run, []time.Duration) {
	var ms []*member
	index := map[Case]int{}
	for _, s := range steps {
		if _, ok := index[s.Case]; !ok {
			index[s.Case] = len(ms)
			ms = append(ms, &member{c: s.Case})
		}
	}
	// timed runs f and counts its time as m's; a case that failed is
	// finished at once, so that its guest does not wait for the others.
	timed := func(m *member, f func()) {
		t0 := time.Now()
		f()
		if m.done && !m.finished {
			m.out, m.finished = m.finish(o), true
		}
		m.took += time.Since(t0)
	}
	for _, m := range ms {
		timed(m, func() { m.start(ctx, o, len(ms)) })
	}
	for _, s := range steps {
		if m := ms[index[s.Case]]; !m.done {
			timed(m, func() { m.rep(ctx, o, s.Rep) })
		}
	}
	// Rounds beyond Reps while some case is short of TargetCI.
	for round := o.Reps + 1; ; round++ {
		more := false
		for _, i := range roundOrder(len(ms), round) {
			if m := ms[i]; !m.done && o.wantMore(m.run.Reps) {
				more = true
				timed(m, func() { m.rep(ctx, o, round) })
			}
		}
		if !more {
			break
		}
	}
	runs := make([]results.Run, len(ms))
	took := make([]time.Duration, len(ms))
	for i, m := range ms {
		if !m.finished {
			timed(m, func() { m.out, m.finished = m.finish(o), true })
		}
		runs[i], took[i] = m.out, m.took
	}
	return runs, took
}

// start starts m's guest and connects to its control listener; the guest
// may have to wait through n-1 other cases' repetitions between its own.
func (m *member) start(ctx context.Context, o *Options, n int) {
	c := m.c
	m.run = results.Run{
		Scenario: c.Scenario, Direction: c.Direction, Runner: c.Runner, Mode: c.Mode,
		Size: c.Size, Conns: c.Conns, Engine: "native", Traced: c.Traced, Reps: []float64{},
	}
	m.run.Metric, m.run.Unit = metric(c.Scenario)
	m.hist = newHist()
	fail := func(err error) {
		m.errs = append(m.errs, err)
		m.done = true
	}
	info, _ := runners.Lookup(c.Runner)
	m.run.RunnerKind = info.Kind
	cfg := o.Runner
	if info.WASI() {
		m.run.Engine = o.Engine
		cfg.Wasi.Engine = o.Engine
		m.run.WASIHost, cfg.Wasi.WASIHost = c.WASIHost, c.WASIHost
	}
	if c.Traced {
		dir, err := os.MkdirTemp("", "nswasi-trace-")
		if err != nil {
			fail(err)
			return
		}
		m.cleanup = append(m.cleanup, func() { os.RemoveAll(dir) })
		m.traceFile = filepath.Join(dir, "hostcalls.json")
		cfg.Wasi.TraceFile = m.traceFile
	}
	r, err := runners.New(c.Runner, cfg)
	if err != nil {
		fail(err)
		return
	}
	artifact := runners.Artifact(c.Runner, o.Guest.Native, o.Guest.Wasm)
	args := []string{c.guestScenario(), "-mode", c.Mode, "-size", strconv.Itoa(c.Size),
		"-conns", strconv.Itoa(c.Conns), "-duration", o.Duration.String(),
		"-poll-timeout", o.PollTimeout.String()}
	if o.Verify {
		args = append(args, "-verify")
	}
	// The guest lives through every case's repetitions and start-up.
	perCase := time.Duration(o.repCap()+1)*(o.Duration+2*grace) + 30*time.Second
	g, pid, err := o.startPlaced(ctx, r, sandbox.Spec{
		Artifact: artifact,
		Args:     args,
		Env:      []string{},
		Listen:   []sandbox.Listen{{}, {}}, // data, control
		Timeout:  time.Duration(n)*perCase + time.Minute,
	})
	if err != nil {
		fail(errors.New("start: " + err.Error()))
		return
	}
	m.g, m.pid = g, pid
	addrs := g.Addrs()
	m.data = addrs[0]
	ctl, err := dial(ctx, addrs[1])
	if err != nil {
		fail(fmt.Errorf("control connection: %w", err))
		return
	}
	m.ctl, m.br = ctl, bufio.NewReader(ctl)
}

// rep makes repetition i of m: 0 is the unrecorded warm-up (JIT, caches,
// TCP windows), 1 and on the measured ones.
func (m *member) rep(ctx context.Context, o *Options, i int) {
	if ctx.Err() != nil {
		m.errs = append(m.errs, ctx.Err())
		m.done = true
		return
	}
	d := o.Duration
	if i == 0 {
		d = o.Warmup
	}
	f, err := repetition(ctx, m.c, o, m.ctl, m.br, m.data, m.pid, d)
	if i > 0 || err != nil {
		// Counts of a failed repetition (the warm-up included) are
		// kept: they show how far the mode got and what it saw.
		m.counters.Reads += f.guest.Reads
		m.counters.Writes += f.guest.Writes
		m.counters.EAGAINs += f.guest.EAGAINs
		m.counters.Waits += f.guest.Waits
		m.counters.Spurious += f.guest.Spurious
		m.counters.Gathered += f.guest.Gathered
	}
	if err != nil {
		if i == 0 {
			err = fmt.Errorf("warm-up: %w", err)
		} else {
			err = fmt.Errorf("repetition %d: %w", i, err)
		}
		m.errs = append(m.errs, err)
		m.done = true
		return
	}
	if i == 0 {
		return
	}
	m.run.Reps = append(m.run.Reps, f.value)
	if f.client.Hist != nil {
		m.hist.Merge(f.client.Hist)
	}
	m.cpuUser += f.cpuUser
	m.cpuSys += f.cpuSys
	m.repCPU = append(m.repCPU, (f.cpuUser + f.cpuSys).Seconds())
	work := float64(f.client.Ops)
	if m.c.Scenario == "stream" || m.c.Scenario == "rr" {
		work = float64(f.client.Sent + f.client.Received)
	}
	m.repWork = append(m.repWork, work)
	m.moved += f.client.Sent + f.client.Received
	m.ops += f.client.Ops
	m.unanswered += f.client.Unanswered
}

// finish ends m's guest (quit, or stop after a failure) and fills its run.
func (m *member) finish(o *Options) results.Run {
	defer func() {
		for _, f := range m.cleanup {
			f()
		}
	}()
	run := m.run
	errs := m.errs
	if m.g == nil {
		run.Error = oneLine(errors.Join(errs...))
		run.Summary = results.Summarize(run.Reps)
		return run
	}
	if m.ctl != nil {
		if len(errs) == 0 {
			_, _ = m.ctl.Write([]byte("quit\n"))
		}
		defer m.ctl.Close()
	}
	if o.TargetCI > 0 && len(errs) == 0 && ciHalf(run.Reps) > o.TargetCI {
		// Said, not hidden: the run ends with a wider interval than asked.
		run.TargetCIUnmet = true
	}
	var res sandbox.Result
	stopped := false
	if len(errs) == 0 {
		select {
		case res = <-waitChan(m.g):
		case <-time.After(10 * time.Second):
			errs = append(errs, errors.New("guest did not exit after quit"))
			res, stopped = m.g.Stop(), true
		}
	} else {
		res, stopped = m.g.Stop(), true
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
	if len(run.Reps) > 0 || m.counters != (results.Counters{}) {
		counters := m.counters
		run.Counters = &counters
	}
	if len(run.Reps) > 0 {
		run.CPU = cpuFigures(m.c, m.cpuUser, m.cpuSys, m.moved, m.ops, res)
		if m.hist.TotalCount() > 0 {
			run.LatencyNS = latency(m.hist)
		}
		// rep_work is bytes moved (stream, rr) or operations (conn, http)
		// per repetition, the denominator of rep_cpu_s in bench.txt.
		run.Detail = &results.RunDetail{Ops: m.ops, BytesMoved: m.moved, RepCPUS: m.repCPU, RepWork: m.repWork, Unanswered: m.unanswered}
	}
	if m.traceFile != "" {
		if hc, err := wasirun.LoadHostcalls(m.traceFile); err == nil {
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
	if _, err := ctl.Write([]byte("rep " + d.String() + "\n")); err != nil {
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
		// idle's figure is the CPU itself, a few microseconds per
		// wake-up: it is read at the scheduler's resolution.
		f.client, cerr = idle(ctx, addr, d, func() (time.Duration, error) { return threadsCPU(pid) })
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
		f.value = f.client.IdleCPU.Seconds() / f.client.IdleWindow.Seconds()
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
