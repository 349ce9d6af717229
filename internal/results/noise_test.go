package results

import (
	"math"
	"testing"
)

// The median is over the successful untraced throughput runs only, each
// CV computed from its raw repetitions.
func TestMedianCV(t *testing.T) {
	run := func(scenario string, reps ...float64) Run {
		return Run{Scenario: scenario, Runner: "native", Reps: reps}
	}
	traced := run("stream", 1, 100)
	traced.Traced = true
	failed := run("rr", 1, 100)
	failed.Error = "guest: boom"
	runs := []Run{
		run("stream", 90, 110),    // CV 0.1414
		run("rr", 99, 101),        // CV 0.01414
		run("http", 95, 100, 105), // CV 0.05
		run("conn", 7),            // one repetition: no CV
		run("idle", 0.001, 0.01),  // not a throughput
		run("start", 0.01, 0.3),   // not a throughput
		traced, failed,
	}
	cv, n := MedianCV(runs)
	if n != 3 || math.Abs(cv-0.05) > 1e-9 {
		t.Errorf("median CV %.4f over %d runs, want 0.0500 over 3", cv, n)
	}
	if _, n := MedianCV(runs[3:]); n != 0 {
		t.Errorf("%d runs counted where none qualifies", n)
	}
}
