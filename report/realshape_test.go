package report

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/results"
)

// realShaped is a bench shaped like a real quick run: one stream size, both
// directions, engine "native" on native runners, a traced repeat of every
// WASI run (ten times faster here, so leaking it into a figure shows), no
// Counters.Messages but Detail.Ops, and a long error.
func realShaped() *Data {
	b := &results.Bench{SchemaVersion: results.SchemaVersion, Config: results.BenchConfig{Warmup: results.Duration(50 * time.Millisecond), Duration: results.Duration(200 * time.Millisecond), Reps: 3}}
	longErr := "guest stderr: " + strings.Repeat("poll_oneoff fd_write subscription on fd 6: Not supported ", 20)
	for _, dir := range []string{"in", "out"} {
		for _, r := range []string{"native", "netns", "wasi", "wasi+netns"} {
			for _, m := range []string{"blocking", "poll"} {
				run := results.Run{Scenario: "stream", Direction: dir, Runner: r, Mode: m, Size: 65536, Conns: 1, Engine: engineOf(r),
					Metric: "throughput", Unit: "bytes/s"}
				base := 1e9
				if dir == "out" {
					base = 5e8
				}
				if isWASI(r) && m == "poll" && dir == "out" {
					run.Error = longErr
				} else {
					run.Reps = []float64{base, base * 1.01, base * 0.99}
					run.Summary = results.Summarize(run.Reps)
					run.Counters = &results.Counters{Reads: 100, Writes: 100}
					run.Detail = &results.RunDetail{Ops: 50}
				}
				b.Runs = append(b.Runs, run)
				if isWASI(r) {
					t := run
					t.Traced = true
					if len(run.Reps) > 0 {
						t.Reps = []float64{base * 10, base * 10.1, base * 9.9}
						t.Summary = results.Summarize(t.Reps)
						t.TracedRatio = 10
						t.Hostcalls = map[string]results.HostCall{"fd_read": {Calls: 200, TotalNS: 1000}}
					}
					b.Runs = append(b.Runs, t)
				}
			}
		}
	}
	return &Data{Sources: []*Source{{Label: "real", Bench: b}}}
}

// The engine picks WASI runs only: native runners (engine "native") are in
// the throughput, CPU and idle figures beside the WASI ones.
func TestNativeRunnersInEveryFigure(t *testing.T) {
	d := realShaped()
	for _, build := range []figureBuilder{throughputFigure, cpuPerGBFigure} {
		f, why := build(d)
		if f == nil {
			if strings.Contains(why, "CPU per GB") {
				continue // realShaped has no CPU figures
			}
			t.Fatalf("no figure: %s", why)
		}
		var names []string
		for _, e := range f.legend {
			names = append(names, e.name)
		}
		if got := strings.Join(names, ","); got != "native,netns,wasi,wasi+netns" {
			t.Errorf("%s: runners %s, want all four", f.Name, got)
		}
	}
	fixtures, err := Load("testdata/hostA")
	if err != nil {
		t.Fatal(err)
	}
	for _, build := range []figureBuilder{throughputFigure, cpuPerGBFigure, idleFigure,
		func(d *Data) (*Figure, string) { return latencyFigure(d, "rr") }} {
		f, why := build(fixtures)
		if f == nil {
			t.Fatalf("no figure from the fixtures: %s", why)
		}
		if f.legend[0].name != "native" {
			t.Errorf("%s: first series %q, want native", f.Name, f.legend[0].name)
		}
	}
}

// Stream directions get a row each, and findings name them.
func TestStreamDirectionsSeparated(t *testing.T) {
	d := realShaped()
	f, why := throughputFigure(d)
	if f == nil {
		t.Fatal(why)
	}
	if len(f.panels) != 2 {
		t.Fatalf("%d rows, want one per direction", len(f.panels))
	}
	for i, want := range []string{"stream in", "stream out"} {
		if got := f.panels[i][0].Title.Text; !strings.HasPrefix(got, want) {
			t.Errorf("row %d titled %q, want %q", i, got, want)
		}
	}
	text := strings.Join(findings(d), "\n")
	// Each finding also names the variant it keeps (issue 12: findings
	// silently kept one connection count and engine).
	for _, want := range []string{"Stream in (driver → guest), 1 connection, WASI engine compiler: highest throughput",
		"Stream out (guest → driver), 1 connection, WASI engine compiler: highest throughput"} {
		if !strings.Contains(text, want) {
			t.Errorf("findings lack %q:\n%s", want, text)
		}
	}
}

// Traced runs (ten times faster in realShaped) never reach throughput
// figures or findings; the accounting's cost is stated from traced_ratio.
func TestTracedRunsExcludedFromThroughput(t *testing.T) {
	d := realShaped()
	for _, r := range runsOf(d.Sources[0], "stream") {
		if r.Traced {
			t.Fatalf("runsOf returned a traced run: %+v", r)
		}
	}
	text := strings.Join(findings(d), "\n")
	// The finding names every coordinate of the run it picks (caseName).
	if want := fmt.Sprintf("highest throughput %s Gbit/s (mean) by native / blocking, 64 KiB, 1 connection.", num(1e9/gbit)); !strings.Contains(text, want) {
		t.Errorf("findings lack %q (a traced run leaked in?):\n%s", want, text)
	}
	if !strings.Contains(text, "Cost of host-call accounting: traced runs reached a median 10.00×") ||
		!strings.Contains(text, "stands out of the noise") {
		t.Errorf("no honest accounting-cost finding:\n%s", text)
	}
	if len(allHostcallRuns(d, "stream")) == 0 {
		t.Error("host-call figures lost the traced runs")
	}
	if f, why := hostcallsFigure(d); f == nil || !strings.Contains(f.Caption, "per operation") {
		t.Errorf("host calls per operation (ops) expected when Messages is zero: %v %s", f, why)
	}
}

// A long error is quoted once per group, cut at a word boundary.
func TestLongErrorsAreConcise(t *testing.T) {
	e := conciseError("guest stderr: " + strings.Repeat("poll_oneoff fd_write subscription on fd 6: Not supported ", 20))
	if len(e) > errorLimit+len(" …") || !strings.HasSuffix(e, " …") || strings.HasSuffix(strings.TrimSuffix(e, " …"), "Not suppor") {
		t.Errorf("conciseError = %q", e)
	}
	if got := conciseError("short  error\n"); got != "short error" {
		t.Errorf("conciseError(short) = %q", got)
	}
	text := strings.Join(findings(realShaped()), "\n")
	if strings.Count(text, "poll_oneoff fd_write") > 2*4 {
		t.Errorf("error finding repeats the long error:\n%s", text)
	}
}

// The host-call denominator: the guest's message count, else the driver's
// operations, else reads and writes; one figure never mixes them.
func TestHostcallDenominator(t *testing.T) {
	withMsgs := results.Run{Counters: &results.Counters{Messages: 7, Reads: 3}, Detail: &results.RunDetail{Ops: 5}, Hostcalls: map[string]results.HostCall{"x": {}}}
	withOps := results.Run{Counters: &results.Counters{Reads: 3}, Detail: &results.RunDetail{Ops: 5}, Hostcalls: map[string]results.HostCall{"x": {}}}
	if n, k := denominator(withMsgs, -1); n != 7 || k != perMessage {
		t.Errorf("messages: %v %v", n, k)
	}
	if n, k := denominator(withOps, -1); n != 5 || k != perOperation {
		t.Errorf("ops: %v %v", n, k)
	}
	if k := commonDenominator([]results.Run{withMsgs, withOps}); k != perOperation {
		t.Errorf("common denominator %v, want operations", k)
	}
	if n, _ := denominator(withMsgs, perOperation); n != 5 {
		t.Errorf("forced ops: %v", n)
	}
}
