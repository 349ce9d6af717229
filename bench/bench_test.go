package bench_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/sys/unix"
)

var guest scenarios.Guest

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, func(g scenarios.Guest) error {
		guest = g
		bench.SetTestGuest(g)
		return nil
	}))
}

func tinyOptions(t *testing.T, runnerNames []string) bench.Options {
	return bench.Options{
		OutDir:   t.TempDir(),
		Runners:  runnerNames,
		Reps:     2,
		Duration: 100 * time.Millisecond,
		Warmup:   30 * time.Millisecond,
		Verify:   true,
		Guest:    guest,
		Runner:   runners.Config{Wasi: wasirun.Host{CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}},
	}
}

func available() []string {
	if os.Geteuid() == 0 {
		return runners.Names()
	}
	return []string{"native", "wasi"}
}

// Every mode moves every byte intact in both directions under every
// runner — or, where a mode cannot work, the run says why instead of
// giving figures; the counters add up.
func TestStreamIntactEveryRunnerAndMode(t *testing.T) {
	o := tinyOptions(t, available())
	o.Scenarios = []string{"stream"}
	o.Sizes = []int{4093} // not a multiple of the pattern period
	o.PollTimeout = time.Millisecond
	b, err := bench.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * len(o.Runners) * len(bench.Modes); len(b.Runs) != want {
		t.Fatalf("%d runs, want %d", len(b.Runs), want)
	}
	for _, r := range b.Runs {
		name := fmt.Sprintf("%s-%s/%s/%s", r.Scenario, r.Direction, r.Runner, r.Mode)
		if r.Error != "" {
			// Only WASI runners may fail, and only in the modes known not to work there.
			info, _ := runners.Lookup(r.Runner)
			if !info.WASI() || r.Mode == "blocking" || r.Mode == "nonblocking" {
				t.Errorf("%s: %s", name, r.Error)
			} else {
				t.Logf("%s: recorded as failed: %.200s", name, r.Error)
			}
			if len(r.Reps) != 0 && r.Summary.N != len(r.Reps) {
				t.Errorf("%s: summary over %d of %d reps", name, r.Summary.N, len(r.Reps))
			}
			continue
		}
		if len(r.Reps) != o.Reps || r.Summary.N != o.Reps {
			t.Errorf("%s: %d reps, summary n=%d, want %d", name, len(r.Reps), r.Summary.N, o.Reps)
		}
		if r.Detail == nil || r.Detail.BytesMoved <= 0 {
			t.Errorf("%s: no bytes moved", name)
		}
		k := r.Counters
		if k == nil {
			t.Fatalf("%s: no counters", name)
		}
		if k.Reads < 1 || k.Writes < 0 || k.Spurious > k.Waits || k.Spurious > k.EAGAINs {
			t.Errorf("%s: inconsistent counters %+v", name, *k)
		}
		if r.Direction == "out" && k.Writes < 1 {
			t.Errorf("%s: guest sent without writing: %+v", name, *k)
		}
		if (r.Mode == "poll") != (k.Waits > 0) {
			t.Errorf("%s: %d readiness waits in mode %s", name, k.Waits, r.Mode)
		}
		if r.CPU == nil || r.CPU.UserS+r.CPU.SysS < 0 || r.CPU.MaxRSSByte <= 0 || r.CPU.RusageUserS+r.CPU.RusageSysS <= 0 {
			t.Errorf("%s: CPU figures missing: %+v", name, r.CPU)
		}
	}
	checkFiles(t, o.OutDir, b)
}

// A quick-like run of every scenario in one mode across the runners, and
// WASI host calls counted: results.json loads, bench.txt parses.
func TestQuickLikeRunAllScenarios(t *testing.T) {
	o := tinyOptions(t, available())
	// start compiles the guest cold twice per WASI runner: it has its own
	// test (TestStartAndMemory), and would double this one's time.
	o.Scenarios = slices.DeleteFunc(slices.Clone(bench.Scenarios), func(s string) bool { return s == "start" })
	o.Modes = []string{"nonblocking"}
	o.Quick = true
	o.Conns = []int{2}
	o.TraceHostcalls = true
	b, err := bench.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range b.Runs {
		seen[r.Scenario] = true
		if r.Error != "" {
			t.Errorf("%s %s %s: %s", r.Scenario, r.Runner, r.Mode, r.Error)
			continue
		}
		switch r.Scenario {
		case "rr", "conn", "http":
			if r.LatencyNS == nil || r.LatencyNS.P50 <= 0 || r.LatencyNS.P50 > r.LatencyNS.P99 || r.LatencyNS.P99 > r.LatencyNS.Max {
				t.Errorf("%s %s: bad latency %+v", r.Scenario, r.Runner, r.LatencyNS)
			}
		}
		info, _ := runners.Lookup(r.Runner)
		if r.Traced {
			if !info.WASI() {
				t.Errorf("%s: traced run under %s", r.Scenario, r.Runner)
			}
			if r.Hostcalls["sock_accept"].Calls < 1 || r.Hostcalls["fd_read"].Calls < 1 {
				t.Errorf("%s %s: host calls not counted: %v", r.Scenario, r.Runner, r.Hostcalls)
			}
			if r.TracedRatio <= 0 {
				t.Errorf("%s %s: no traced/untraced ratio", r.Scenario, r.Runner)
			}
		} else if r.Hostcalls != nil {
			t.Errorf("%s %s: host calls on an untraced run", r.Scenario, r.Runner)
		}
	}
	for _, s := range o.Scenarios {
		if !seen[s] {
			t.Errorf("scenario %s missing", s)
		}
	}
	checkFiles(t, o.OutDir, b)
}

// net/http in netpoll mode serves under the WASI runners: the granted
// listener must be non-blocking, or Go's wasip1 Accept is a blocking
// sock_accept that stops the whole module and no request is answered
// (RATIONALE.md → Benchmarks).
func TestHTTPNetpollServes(t *testing.T) {
	o := tinyOptions(t, []string{"native", "wasi"})
	o.Scenarios = []string{"http"}
	o.Modes = []string{"netpoll"}
	o.Sizes = []int{64}
	o.Conns = []int{2}
	for _, r := range runExpecting(t, o, 2) {
		if r.Error != "" {
			t.Errorf("%s: %s", r.Runner, r.Error)
			continue
		}
		if len(r.Reps) != o.Reps || r.Summary.Median <= 0 {
			t.Errorf("%s: %d reps, median %v requests/s", r.Runner, len(r.Reps), r.Summary.Median)
		}
	}
}

// No request waits for a delayed ACK: every connection the guest serves
// has Nagle off, whichever way it was accepted — by Go's net (netpoll),
// by the guest's own accept(2) (the other modes, natively) or by a WASI
// host (wazero through Go's net; nswasi's own). With Nagle on, a 64 KiB
// response on loopback is one full segment and a short tail, and the
// tail waits for the client's delayed ACK: 40 ms or more a request
// (about 105 requests/s over 4 connections in the full experiment of
// 2026-11-26), against under 1 ms without.
func TestNoRequestWaitsForADelayedACK(t *testing.T) {
	o := tinyOptions(t, []string{"native", "wasi"})
	o.WASIHosts = []string{"wazero", "nswasi"}
	o.Scenarios = []string{"http"}
	o.Modes = []string{"blocking", "nonblocking", "poll", "netpoll"}
	o.Sizes = []int{64 << 10}
	o.Conns = []int{1}
	o.Reps = 1
	o.Duration = 300 * time.Millisecond
	for _, r := range runExpecting(t, o, 12) {
		if r.Error != "" {
			if r.WASIHost != "wazero" || r.Mode != "poll" { // wazero: fd_write ENOTSUP
				t.Errorf("%s (%s) %s: %s", r.Runner, r.WASIHost, r.Mode, r.Error)
			}
			continue
		}
		if r.LatencyNS == nil || r.LatencyNS.P50 >= int64(20*time.Millisecond) {
			t.Errorf("%s (%s) %s: median request %v: it waited for a delayed ACK", r.Runner, r.WASIHost, r.Mode, r.LatencyNS)
		}
	}
}

// Bad options are refused before anything runs.
func TestBadOptions(t *testing.T) {
	for _, o := range []bench.Options{
		{Scenarios: []string{"nope"}},
		{Modes: []string{"select"}},
		{Runners: []string{"docker"}},
		{Sizes: []int{0}},
		{Engine: "jit"},
	} {
		o.OutDir = t.TempDir()
		o.Guest = guest
		if _, err := bench.Run(context.Background(), o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}

// checkFiles loads results.json through the schema-checking loader and
// parses bench.txt as Go benchmark output: one result per repetition.
func checkFiles(t *testing.T, dir string, b *results.Bench) {
	t.Helper()
	got, err := results.LoadBench(filepath.Join(dir, results.BenchFile))
	if err != nil {
		t.Fatal(err)
	}
	if got.Partial || len(got.Runs) != len(b.Runs) || got.Environment.GoVersion == "" || got.Environment.Cores < 1 {
		t.Errorf("results.json: partial=%v, %d runs (want %d), environment %+v", got.Partial, len(got.Runs), len(b.Runs), got.Environment)
	}
	for _, r := range got.Runs {
		if r.Scenario == "" || r.Runner == "" || r.Mode == "" || r.Size < 1 || r.Conns < 1 || r.Engine == "" || r.Metric == "" || r.Unit == "" {
			t.Errorf("results.json: run without its parameters: %+v", r)
		}
	}
	text, err := os.ReadFile(filepath.Join(dir, bench.TextFile))
	if err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(bytes.NewReader(text), bench.TextFile)
	results, wantResults := 0, 0
	for _, r := range b.Runs {
		wantResults += len(r.Reps)
	}
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Errorf("bench.txt: %v", rec)
		case *benchfmt.Result:
			results++
			if !strings.Contains(string(rec.Name), "/runner=") || len(rec.Values) == 0 {
				t.Errorf("bench.txt: result %s without runner or values", rec.Name)
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if results != wantResults {
		t.Errorf("bench.txt: %d results, want %d (one per repetition)", results, wantResults)
	}
}

// Two WASI hosts make every WASI case twice, one per host, and leave the
// native cases alone.
func TestCasesPerWASIHost(t *testing.T) {
	o := bench.Options{Scenarios: []string{"rr"}, Runners: []string{"native", "wasi"}, Modes: []string{"poll"},
		Sizes: []int{64}, Conns: []int{1}, WASIHosts: []string{"wazero", "nswasi"}, TraceHostcalls: true, OutDir: t.TempDir()}
	o.Defaults()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range o.Cases() {
		got = append(got, c.String())
	}
	want := []string{
		"rr native poll size=64 conns=1",
		"rr wasi (wazero) poll size=64 conns=1", "rr wasi (wazero) poll size=64 conns=1 traced",
		"rr wasi (nswasi) poll size=64 conns=1", "rr wasi (nswasi) poll size=64 conns=1 traced",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("cases:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	o.TraceModes = []string{"netpoll"} // traced duplicates only where the mode is listed
	for _, c := range o.Cases() {
		if c.Traced {
			t.Errorf("trace_modes [netpoll] traced %s", c)
		}
	}
	o.WASIHosts = []string{"wasmtime"}
	if err := o.Validate(); err == nil {
		t.Fatal("an unknown WASI host was accepted")
	}
}

// trace_runners keeps the traced duplicates to the WASI runners named:
// the accounting measures the host, the same inside a namespace.
func TestTraceRunners(t *testing.T) {
	o := bench.Options{Scenarios: []string{"rr"}, Runners: []string{"native", "wasi", "wasi+netns"}, Modes: []string{"poll"},
		Sizes: []int{64}, Conns: []int{1}, WASIHosts: []string{"nswasi"}, TraceHostcalls: true, TraceRunners: []string{"wasi"}, OutDir: t.TempDir()}
	o.Defaults()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	traced := 0
	for _, c := range o.Cases() {
		if c.Traced {
			traced++
			if c.Runner != "wasi" {
				t.Errorf("traced %s", c)
			}
		}
	}
	if traced != 1 {
		t.Errorf("%d traced cases, want 1 (wasi)", traced)
	}
	o.TraceRunners = []string{"native"}
	if err := o.Validate(); err == nil {
		t.Error("a native runner was accepted in trace_runners")
	}
}

// Under wasip1 a blocking call holds the module's only thread. In blocking
// mode the guest serves http one connection at a time and rr's
// connections in turn, so every client is answered even when a
// repetition outlasts the driver's patience for one answer (grace): a
// goroutine per connection would answer one connection and starve the
// rest. Both WASI hosts, since this is the guest's model.
func TestBlockingOnOneThreadAnswersEveryConnection(t *testing.T) {
	o := tinyOptions(t, []string{"wasi"})
	o.WASIHosts = []string{"wazero", "nswasi"}
	o.Scenarios = []string{"rr", "http"}
	o.Modes = []string{"blocking"}
	o.Sizes = []int{64}
	o.Conns = []int{4}
	o.Reps = 1
	o.Duration = bench.Grace + 300*time.Millisecond
	for _, r := range runExpecting(t, o, 4) { // rr and http under 2 hosts
		if r.Error != "" {
			t.Errorf("%s %s (%s): %s", r.Scenario, r.Runner, r.WASIHost, r.Error)
		}
	}
}

// Under wasip1 the poll mode gathers the waits of all connections into
// one poll_oneoff: with 4 busy http connections (a goroutine each) some
// waits are answered by a poll another connection's wait made. Natively
// each wait has its own poll(2), and none is.
func TestPollWaitsGatheredUnderWasip1(t *testing.T) {
	for _, r := range pollRuns(t, "http") {
		k := r.Counters
		t.Logf("%s: %d waits, %d answered by another connection's poll", r.Runner, k.Waits, k.Gathered)
		if k.Waits == 0 {
			t.Errorf("%s: no waits in poll mode", r.Runner)
		}
		if gathered := k.Gathered > 0; gathered != (r.Runner == "wasi") {
			t.Errorf("%s: %d of %d waits answered by another connection's poll", r.Runner, k.Gathered, k.Waits)
		}
	}
}

// rr's poll mode is one event loop on both sides: a wait covers every
// connection's request, so with 4 clients some waits find several
// requests, and there are fewer waits than reads and writes (a wait
// before each, as a goroutine per connection makes). Every connection is
// answered: the driver checks every answer.
func TestPollRREventLoop(t *testing.T) {
	for _, r := range pollRuns(t, "rr") {
		k := r.Counters
		t.Logf("%s: %d waits for %d reads and %d writes", r.Runner, k.Waits, k.Reads, k.Writes)
		if k.Reads == 0 || k.Waits >= k.Reads+k.Writes {
			t.Errorf("%s: %d waits for %d reads and %d writes: no wait served several connections", r.Runner, k.Waits, k.Reads, k.Writes)
		}
	}
}

// pollRuns runs scenario in poll mode, 64 B × 4 connections, natively
// and under nswasi's WASI host, and fails the test on an error.
func pollRuns(t *testing.T, scenario string) []results.Run {
	t.Helper()
	o := tinyOptions(t, []string{"native", "wasi"})
	o.WASIHosts = []string{"nswasi"}
	o.Scenarios = []string{scenario}
	o.Modes = []string{"poll"}
	o.Sizes = []int{64}
	o.Conns = []int{4}
	runs := runExpecting(t, o, 2)
	for _, r := range runs {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Runner, r.Error)
		}
	}
	return runs
}

// runExpecting runs o and checks that it made want runs.
func runExpecting(t *testing.T, o bench.Options, want int) []results.Run {
	t.Helper()
	b, err := bench.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Runs) != want {
		t.Fatalf("%d runs, want %d", len(b.Runs), want)
	}
	return b.Runs
}

// The idle figure is the CPU of the waiting itself: a guest blocked in
// read(2) burns next to none of it, and one that retries a non-blocking
// read without pause burns most of a core. Read around the whole
// repetition, the blocked guest's accept and report used to count too.
func TestIdleFigureIsTheWaiting(t *testing.T) {
	o := tinyOptions(t, []string{"native"})
	o.Scenarios = []string{"idle"}
	o.Modes = []string{"blocking", "nonblocking"}
	o.Duration = 300 * time.Millisecond
	b, err := bench.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(b.Runs))
	}
	for _, r := range b.Runs {
		if r.Error != "" {
			t.Fatalf("%s: %s", r.Mode, r.Error)
		}
		for _, v := range r.Reps {
			switch {
			case r.Mode == "blocking" && (v < 0 || v > 0.005):
				t.Errorf("a guest blocked in read(2) burned %.4f CPU-s/s", v)
			case r.Mode == "nonblocking" && (v < 0.3 || v > 2.5):
				t.Errorf("a guest spinning on EAGAIN burned %.4f CPU-s/s", v)
			}
		}
		t.Logf("%s: %v CPU-s/s", r.Mode, r.Reps)
	}
}

// Each repetition tells the guest its own length: stream out, where the
// guest decides when to stop sending, used to send for the measured
// length in the much shorter warm-up too, and the driver gave up waiting
// once the repetition was longer than the warm-up and the grace together.
func TestStreamOutWarmupShorterThanRepetition(t *testing.T) {
	o := tinyOptions(t, []string{"native"})
	o.Scenarios = []string{"stream"}
	o.Modes = []string{"blocking"}
	o.Sizes = []int{64 << 10}
	o.Reps = 1
	o.Duration = 2 * time.Second // longer than the 30 ms warm-up and the 1.5 s grace
	b, err := bench.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.Runs {
		if r.Error != "" {
			t.Errorf("stream-%s: %s", r.Direction, r.Error)
		}
	}
}

// A pinned run gives the process its CPUs back when it ends: nswasi run
// goes on to the conformance suite in the same process.
func TestPinnedRunRestoresAffinity(t *testing.T) {
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	if before.Count() < 2 {
		t.Skip("fewer than two CPUs: pinning is skipped by design")
	}
	o := tinyOptions(t, []string{"native"})
	o.Scenarios = []string{"conn"}
	o.Modes = []string{"blocking"}
	o.Reps = 1
	o.Pin = true
	if _, err := bench.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("after a pinned run the process may use %d CPUs, before it %d", after.Count(), before.Count())
	}
}
