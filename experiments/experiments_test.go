package experiments_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/experiments"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/wasirun"
)

// benchOptions is the plan `nswasi run` makes of a shipped experiment's
// bench section (the fields that decide the plan).
func benchOptions(t *testing.T, name string) (bench.Options, *experiment.Experiment) {
	t.Helper()
	src, ok := experiments.Shipped(name)
	if !ok {
		t.Fatalf("no shipped experiment %s", name)
	}
	e, err := experiment.Parse(name+".yaml", src, experiment.Catalogue{
		Scenarios: bench.Scenarios, BenchRunners: runners.Names(), BenchDefault: runners.Compared,
		Modes: bench.Modes, Engines: wasirun.Engines, WASIHosts: wasirun.WASIHosts,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Bench
	o := bench.Options{
		OutDir: "x", Scenarios: b.Scenarios, Runners: b.Runners, Modes: b.Modes, Conns: b.Conns, Reps: b.Reps,
		Duration: time.Duration(b.Duration), Warmup: time.Duration(b.Warmup), Engine: b.Engine,
		WASIHosts: e.WASIHosts, TraceHostcalls: b.TraceHostcalls, TraceModes: b.TraceModes,
		Peers: !b.NoPeers, PeerDuration: time.Duration(b.PeerDuration), Quick: b.Preset == "quick",
	}
	for _, s := range b.Sizes {
		o.Sizes = append(o.Sizes, int(s))
	}
	o.Defaults()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return o, e
}

// The full experiment covers what it promises, and its benchmarks are
// estimated well inside the 45 minutes it is held to (isolation and
// conformance add about a minute and a half).
func TestFullCoversAndFits(t *testing.T) {
	o, e := benchOptions(t, "full")
	for _, r := range runners.Names() {
		if !slices.Contains(o.Runners, r) {
			t.Errorf("runner %s left out", r)
		}
	}
	if len(e.WASIHosts) != len(wasirun.WASIHosts) {
		t.Errorf("WASI hosts %v, want all of %v", e.WASIHosts, wasirun.WASIHosts)
	}
	for _, s := range bench.Scenarios {
		if !slices.Contains(o.Scenarios, s) {
			t.Errorf("scenario %s left out", s)
		}
	}
	if len(o.Modes) != len(bench.Modes) || !o.Peers || !o.TraceHostcalls {
		t.Errorf("modes %v, peers %v, traced %v: want every mode, the peer checks and host calls counted", o.Modes, o.Peers, o.TraceHostcalls)
	}
	sizes := map[string]map[int]bool{}
	for _, c := range o.Cases() {
		if sizes[c.Scenario] == nil {
			sizes[c.Scenario] = map[int]bool{}
		}
		sizes[c.Scenario][c.Size] = true
	}
	for _, s := range []string{"stream", "rr", "conn", "http"} {
		if len(sizes[s]) < 2 {
			t.Errorf("%s at %d sizes, want two or more", s, len(sizes[s]))
		}
	}
	est := o.Estimate()
	t.Logf("full: %d cases, benchmarks estimated at %s", len(o.Cases()), est.Round(time.Second))
	if est > 32*time.Minute || est < 15*time.Minute {
		t.Errorf("full's benchmarks estimated at %s, want about 28 minutes (30 in all, 45 at most)", est.Round(time.Second))
	}
}

// The quick experiment stays within the 4 minutes it is held to.
func TestQuickFits(t *testing.T) {
	o, _ := benchOptions(t, "quick")
	est := o.Estimate()
	t.Logf("quick: %d cases, benchmarks estimated at %s", len(o.Cases()), est.Round(time.Second))
	if est > 3*time.Minute {
		t.Errorf("quick's benchmarks estimated at %s, want within 3 minutes (4 in all)", est.Round(time.Second))
	}
}
