package report

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// The median is over the successful untraced throughput runs only, each
// CV computed from its raw repetitions.
func TestMedianCV(t *testing.T) {
	run := func(scenario string, reps ...float64) results.Run {
		return results.Run{Scenario: scenario, Runner: "native", Reps: reps}
	}
	traced := run("stream", 1, 100)
	traced.Traced = true
	failed := run("rr", 1, 100)
	failed.Error = "guest: boom"
	runs := []results.Run{
		run("stream", 90, 110),    // CV 0.1414
		run("rr", 99, 101),        // CV 0.01414
		run("http", 95, 100, 105), // CV 0.05
		run("conn", 7),            // one repetition: no CV
		run("idle", 0.001, 0.01),  // not a throughput
		run("start", 0.01, 0.3),   // not a throughput
		traced, failed,
	}
	cv, n := medianCV(runs)
	if n != 3 || math.Abs(cv-0.05) > 1e-9 {
		t.Errorf("median CV %.4f over %d runs, want 0.0500 over 3", cv, n)
	}
	if _, n := medianCV(runs[3:]); n != 0 {
		t.Errorf("%d runs counted where none qualifies", n)
	}
}

// The report says the median CV, in Markdown and HTML alike.
func TestReportSaysMedianCV(t *testing.T) {
	d, err := Load("testdata/hostA")
	if err != nil {
		t.Fatal(err)
	}
	cv, n := medianCV(d.Sources[0].Bench.Runs)
	if n == 0 {
		t.Fatal("the fixture has no throughput runs with two or more repetitions")
	}
	out := t.TempDir()
	if _, err := Write(d, out); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("median coefficient of variation across its %d throughput cases", n)
	val := fmt.Sprintf("is %.1f%%", 100*cv)
	for _, f := range []string{MarkdownFile, HTMLFile} {
		page := read(t, filepath.Join(out, f))
		if !strings.Contains(page, want) || !strings.Contains(page, val) {
			t.Errorf("%s lacks %q ... %q", f, want, val)
		}
	}
}
