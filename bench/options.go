// Package bench is nswasi's benchmark engine: it runs the guest's workloads
// (stream, rr, conn, idle, http) in four I/O modes (blocking, nonblocking,
// poll, netpoll) under the runners, drives them from outside the sandbox,
// and records throughput, latency, the sandbox's CPU and memory, the
// guest's own I/O counts and, on request, WASI host-call counts — with
// every repetition's raw figure — in results.json and bench.txt.
//
// One guest process serves one run (scenario × runner × mode × size ×
// conns): a warm-up repetition, then the measured ones. The runs that
// differ only in runner, WASI host and tracing keep their guests up
// together and take turns, repetition by repetition (Options.Schedule).
// The guest gets two listeners, data and control; see
// scenarios/guest/workload.go for the control protocol and RATIONALE.md
// for why.
package bench

import (
	"fmt"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"golang.org/x/sys/unix"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

// Scenarios lists the workloads by the names --scenarios takes.
// start times launch to first answer and measures memory (runStart).
var Scenarios = []string{"stream", "rr", "conn", "idle", "http", "start"}

// Modes lists the guest's I/O modes.
var Modes = []string{"blocking", "nonblocking", "poll", "netpoll"}

// Options say what to run and how.
type Options struct {
	// OutDir receives results.json and bench.txt; it is created if missing.
	OutDir    string
	Scenarios []string
	Runners   []string
	Modes     []string
	// Sizes and Conns, when set, replace every scenario's defaults (idle
	// always uses one byte and one connection; stream one connection
	// unless Conns is given).
	Sizes []int
	Conns []int
	// Reps is the number of measured repetitions per run.
	Reps int
	// Duration is the length of one repetition, Warmup of the unmeasured
	// one before them.
	Duration, Warmup time.Duration
	// Engine is the wazero engine for the WASI runners.
	Engine string
	// WASIHosts lists the WASI hosts the WASI runners run under, each
	// compared as a runner of its own; empty means Runner.Wasi.WASIHost.
	WASIHosts []string
	// TraceHostcalls adds, after each WASI run, the same run with WASI
	// host calls counted.
	TraceHostcalls bool
	// TraceModes, when set, limits the traced duplicates to these I/O
	// modes (a quick run traces where poll_oneoff is the subject).
	TraceModes []string
	// TraceRunners, when set, limits them to these runners.
	TraceRunners []string
	// PollTimeout bounds each readiness wait of the poll mode.
	PollTimeout time.Duration
	// Verify makes both ends check every byte against the pattern (slower;
	// for tests). Byte counts are always checked.
	Verify bool
	// Peers runs the fidelity checks against iperf3 and sockperf, when
	// installed, over the same paths (see runPeers).
	Peers bool
	// PeerDuration is the length of one repetition of a peer check, on
	// both sides, in whole seconds; PeerOmit the start left out (iperf3
	// -O, and nswasi's warm-up before each repetition).
	PeerDuration, PeerOmit time.Duration
	// Quick marks a quick run in the recorded configuration.
	Quick bool
	// Guest holds the two guest builds.
	Guest scenarios.Guest
	// Runner configures the runners; its Wasi.Engine and TraceFile are set per run.
	Runner runners.Config
	// Pin puts the driver on the first CPU nswasi may use and each
	// sandbox (all its processes and threads) on the others, so that the
	// two do not take turns on one core. Needs two CPUs; said when not.
	Pin        bool
	pinSandbox unix.CPUSet // set by Run when pinning
	pinDriver  unix.CPUSet // the driver's CPUs when pinning
	unpinned   unix.CPUSet // the process's CPUs before pinning
	// TargetCI, when positive, adds repetitions beyond Reps, up to
	// MaxReps (default 4×Reps), until the 95% interval's half-width is at
	// most this fraction of the mean; a run that stops short says so
	// (results.Run.TargetCIUnmet).
	TargetCI float64
	MaxReps  int
	// Shard and Shards, when Shards > 1, keep the Shard-th (1-based) of
	// Shards deterministic slices of the cases: groups (the cases
	// measured together, see Schedule) go round-robin in plan order, so
	// every case is in exactly one shard, beside the runners it is
	// compared with. start and the peer checks belong to shard 1.
	Shard, Shards int
	// Progress, when set, receives one line per finished run.
	Progress io.Writer
}

// Defaults fills unset options: the full sweep, or the quick one.
func (o *Options) Defaults() {
	if len(o.Scenarios) == 0 {
		o.Scenarios = Scenarios
	}
	if len(o.Runners) == 0 {
		o.Runners = runners.Compared
	}
	if len(o.Modes) == 0 {
		o.Modes = Modes
	}
	if o.Reps == 0 {
		o.Reps = 5
		if o.Quick {
			o.Reps = 3
		}
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
		if o.Quick {
			o.Duration = 300 * time.Millisecond
		}
	}
	if o.Warmup == 0 {
		o.Warmup = o.Duration / 4
	}
	if o.MaxReps == 0 {
		o.MaxReps = 4 * o.Reps
	}
	if o.PeerDuration == 0 {
		o.PeerDuration = 5 * time.Second
		if o.Quick {
			o.PeerDuration = 3 * time.Second
		}
	}
	if o.PeerOmit == 0 {
		o.PeerOmit = time.Second
	}
	if o.Engine == "" {
		o.Engine = "compiler"
	}
	o.WASIHosts = o.wasiHosts()
	if o.PollTimeout == 0 {
		o.PollTimeout = 10 * time.Millisecond
	}
}

// Validate reports bad options as usage.BadInput.
func (o *Options) Validate() error {
	for _, s := range o.Scenarios {
		if !slices.Contains(Scenarios, s) {
			return usage.BadInput("unknown scenario %q (scenarios: %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	for _, m := range append(slices.Clone(o.Modes), o.TraceModes...) {
		if !slices.Contains(Modes, m) {
			return usage.BadInput("unknown mode %q (modes: %s)", m, strings.Join(Modes, ", "))
		}
	}
	for _, r := range o.TraceRunners {
		if info, ok := runners.Lookup(r); !ok || !info.WASI() {
			return usage.BadInput("trace runner %q: not a WASI runner", r)
		}
	}
	for _, r := range o.Runners {
		if _, ok := runners.Lookup(r); !ok {
			return usage.BadInput("unknown runner %q (runners: %s)", r, strings.Join(runners.Names(), ", "))
		}
	}
	for _, h := range o.WASIHosts {
		if _, err := wasirun.CheckWASIHost(h); err != nil {
			return err
		}
	}
	if !slices.Contains(wasirun.Engines, o.Engine) {
		return usage.BadInput("engine %q: want %s", o.Engine, strings.Join(wasirun.Engines, " or "))
	}
	for _, s := range o.Sizes {
		if s < 1 || s > 64<<20 {
			return usage.BadInput("size %d: want 1 B to 64 MiB", s)
		}
	}
	for _, c := range o.Conns {
		if c < 1 || c > 1024 {
			return usage.BadInput("conns %d: want 1 to 1024", c)
		}
	}
	if o.Reps < 1 || o.Reps > 1000 {
		return usage.BadInput("reps %d: want 1 to 1000", o.Reps)
	}
	if o.Duration < 10*time.Millisecond || o.Duration > time.Hour {
		return usage.BadInput("duration %s: want 10ms to 1h", o.Duration)
	}
	if o.PeerDuration < time.Second || o.PeerDuration%time.Second != 0 || o.PeerOmit%time.Second != 0 || o.PeerOmit < 0 {
		return usage.BadInput("peer duration %s, omit %s: want whole seconds (iperf3 and sockperf take seconds), duration at least 1s", o.PeerDuration, o.PeerOmit)
	}
	if o.TargetCI < 0 || o.TargetCI >= 1 || o.TargetCI > 0 && o.MaxReps < o.Reps {
		return usage.BadInput("target CI %g with at most %d repetitions: want a fraction between 0 and 1 (e.g. 5%%) and a cap of at least --reps", o.TargetCI, o.MaxReps)
	}
	if o.Shards < 0 || o.Shards > 1 && (o.Shard < 1 || o.Shard > o.Shards) {
		return usage.BadInput("shard %d/%d: want I/N with 1 ≤ I ≤ N", o.Shard, o.Shards)
	}
	if o.OutDir == "" {
		return usage.BadInput("no output directory")
	}
	return nil
}

// Case is one run's configuration.
type Case struct {
	Scenario  string // stream, rr, conn, idle, http
	Direction string // stream: in | out
	Runner    string
	Mode      string
	Size      int
	Conns     int
	// WASIHost is the WASI host of a WASI runner; empty for native ones.
	WASIHost string
	Traced   bool
}

// guestScenario is the guest's first argument for c.
func (c Case) guestScenario() string {
	if c.Scenario == "stream" {
		return "stream-" + c.Direction
	}
	return c.Scenario
}

func (c Case) String() string {
	s := c.Scenario
	if c.Direction != "" {
		s += "-" + c.Direction
	}
	t := ""
	if c.Traced {
		t = " traced"
	}
	return fmt.Sprintf("%s %s %s size=%d conns=%d%s", s, results.Label(c.Runner, c.WASIHost), c.Mode, c.Size, c.Conns, t)
}

// defaultSizes and defaultConns are the full sweep's; quickSizes and
// quickConns the quick one's.
var (
	defaultSizes = map[string][]int{
		"stream": {64, 1024, 16 << 10, 64 << 10, 1 << 20},
		"rr":     {64, 1024, 16 << 10, 64 << 10, 1 << 20},
		"conn":   {64},
		"idle":   {1},
		"http":   {64, 16 << 10, 1 << 20},
	}
	defaultConns = map[string][]int{"stream": {1}, "rr": {1, 16}, "conn": {1, 4}, "idle": {1}, "http": {1, 16}}
	quickSizes   = map[string][]int{"stream": {64 << 10}, "rr": {64}, "conn": {64}, "idle": {1}, "http": {1024}}
	quickConns   = map[string][]int{"stream": {1}, "rr": {4}, "conn": {1}, "idle": {1}, "http": {4}}
)

// Cases lists the runs in the order they are made: runners innermost, so
// that the figures compared with each other are measured close in time.
func (o *Options) Cases() []Case {
	var out []Case
	for _, sc := range o.Scenarios {
		if sc == "start" {
			continue // not a case: runStart starts its own guests
		}
		dirs := []string{""}
		if sc == "stream" {
			dirs = []string{"in", "out"}
		}
		sizes, conns := defaultSizes[sc], defaultConns[sc]
		if o.Quick {
			sizes, conns = quickSizes[sc], quickConns[sc]
		}
		if len(o.Sizes) > 0 && sc != "idle" {
			sizes = o.Sizes
		}
		if len(o.Conns) > 0 && sc != "idle" {
			conns = o.Conns
		}
		for _, d := range dirs {
			for _, size := range sizes {
				for _, n := range conns {
					for _, m := range o.Modes {
						for _, r := range o.Runners {
							info, _ := runners.Lookup(r)
							hosts := []string{""}
							if info.WASI() {
								hosts = o.wasiHosts()
							}
							for _, h := range hosts {
								c := Case{Scenario: sc, Direction: d, Runner: r, Mode: m, Size: size, Conns: n, WASIHost: h}
								out = append(out, c)
								if info.WASI() && o.TraceHostcalls && (len(o.TraceModes) == 0 || slices.Contains(o.TraceModes, m)) &&
									(len(o.TraceRunners) == 0 || slices.Contains(o.TraceRunners, r)) {
									c.Traced = true
									out = append(out, c)
								}
							}
						}
					}
				}
			}
		}
	}
	if o.Shards <= 1 {
		return out
	}
	// Whole groups go round-robin to the shards: the runners compared
	// with each other are measured on the same machine, interleaved, and
	// a traced case stays with its untraced twin (the ratio needs both).
	var kept []Case
	for i, g := range groups(out) {
		if i%o.Shards == o.Shard-1 {
			kept = append(kept, g...)
		}
	}
	return kept
}

// Step is one repetition in the order Run makes it: Rep 0 is a case's
// unrecorded warm-up, 1 to Reps its measured repetitions.
type Step struct {
	Case Case
	Rep  int
}

// Schedule lists, group by group, the repetitions Run makes in the order
// it makes them. A group is the cases that differ only in runner, WASI
// host and tracing: their guests are started together and stay up, and
// their repetitions are interleaved — every case's warm-up, then every
// case's first repetition, then every case's second — so that a change of
// load on the machine falls on every runner alike rather than on
// whichever ran then. Repetitions that TargetCI adds follow in further
// rounds of the same kind.
func (o *Options) Schedule() [][]Step {
	var out [][]Step
	for _, g := range groups(o.Cases()) {
		out = append(out, schedule(g, o.Reps))
	}
	return out
}

// schedule interleaves the warm-up and reps repetitions of the cases of
// one group.
func schedule(g []Case, reps int) []Step {
	var steps []Step
	for round := 0; round <= reps; round++ {
		for _, i := range roundOrder(len(g), round) {
			steps = append(steps, Step{Case: g[i], Rep: round})
		}
	}
	return steps
}

// roundOrder is the order of a group's n cases in a round: forward in
// even rounds, backward in odd ones, so that a load that grows or fades
// during a round does not always favour the same runner (RATIONALE.md).
func roundOrder(n, round int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
		if round%2 == 1 {
			order[i] = n - 1 - i
		}
	}
	return order
}

// groups splits cases, in plan order, into runs of consecutive cases that
// differ only in runner, WASI host and tracing.
func groups(cases []Case) [][]Case {
	var out [][]Case
	for i, c := range cases {
		if i == 0 || groupKey(c) != groupKey(cases[i-1]) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], c)
	}
	return out
}

func groupKey(c Case) Case {
	return Case{Scenario: c.Scenario, Direction: c.Direction, Mode: c.Mode, Size: c.Size, Conns: c.Conns}
}

// Steps is the number of progress lines a Run with o writes: one per
// case, one per start variant, one per peer check (made or skipped).
func (o *Options) Steps() int {
	n := len(o.Cases())
	if !o.FirstShard() {
		return n
	}
	if slices.Contains(o.Scenarios, "start") {
		for _, r := range o.Runners {
			if info, _ := runners.Lookup(r); info.WASI() {
				n += 2 * len(o.wasiHosts()) // cold and warm cache, per host
			} else {
				n++
			}
		}
	}
	if o.Peers {
		n += peerSteps
	}
	return n
}

// wasiHosts is WASIHosts, or before Defaults the one host of Runner.
func (o *Options) wasiHosts() []string {
	if len(o.WASIHosts) > 0 {
		return o.WASIHosts
	}
	h, err := wasirun.CheckWASIHost(o.Runner.Wasi.WASIHost)
	if err != nil {
		return []string{o.Runner.Wasi.WASIHost} // for Validate to refuse
	}
	return []string{h}
}

// FirstShard reports whether o is unsharded or its first shard, the one
// that also runs start and the peer checks.
func (o *Options) FirstShard() bool { return o.Shards <= 1 || o.Shard == 1 }
