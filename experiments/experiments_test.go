package experiments_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/experiments"
	"github.com/nswasi/nswasi/pipeline"
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
	e, err := experiment.Parse(name+".yaml", src, pipeline.Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	o := *pipeline.BenchOptions(e)
	o.OutDir = "x"
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
	// Isolation takes about 30 s (two cells at a time) and conformance
	// about 10: 3 min 20 s of benchmarks leave 4 minutes in all. Measured
	// on 2026-11-26: 3 min 36 s in all, 156 cases, with wasi+netns.
	if est > 3*time.Minute+20*time.Second {
		t.Errorf("quick's benchmarks estimated at %s, want within 3 min 20 s (4 min in all)", est.Round(time.Second))
	}
}
