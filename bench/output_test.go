package bench_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/internal/results"
)

// bench.txt made from a results.json read back from disk has each
// repetition's CPU per GB: with the free map of versions 1 and 2 the
// repetitions came back as []any and the column silently vanished.
func TestBenchTextFromLoadedFile(t *testing.T) {
	for _, v := range []string{"v1", "v2"} {
		b, err := results.LoadBench(filepath.Join("..", "internal", "results", "testdata", v, results.BenchFile))
		if err != nil {
			t.Fatal(err)
		}
		txt := string(bench.BenchText(b))
		if !strings.Contains(txt, "cpu-s/GB") || !strings.Contains(txt, "cpu-s/1k-ops") && v == "v1" {
			t.Errorf("%s: bench.txt without CPU per unit of work:\n%.600s", v, txt)
		}
	}
}

// The table's noise line covers the same runs as the report's: every
// throughput scenario, not only stream (it once said stream alone, so
// the two files quoted different figures for one run).
func TestTableSaysThroughputMedianCV(t *testing.T) {
	b := &results.Bench{Runs: []results.Run{
		{Scenario: "stream", Direction: "in", Runner: "native", Mode: "blocking", Size: 1024, Conns: 1, Metric: "throughput", Unit: "B/s", Reps: []float64{90, 110}},
		{Scenario: "rr", Runner: "native", Mode: "blocking", Size: 64, Conns: 1, Metric: "throughput", Unit: "tx/s", Reps: []float64{99, 101}},
		{Scenario: "http", Runner: "native", Mode: "netpoll", Size: 1024, Conns: 4, Metric: "throughput", Unit: "req/s", Reps: []float64{95, 100, 105}},
		{Scenario: "idle", Runner: "native", Mode: "poll", Metric: "cpu", Unit: "cpu-s/s", Reps: []float64{0.001, 0.01}},
	}}
	cv, n := results.MedianCV(b.Runs)
	if n != 3 {
		t.Fatalf("MedianCV counted %d runs, want 3", n)
	}
	var out strings.Builder
	bench.Table(&out, b)
	want := fmt.Sprintf("median coefficient of variation over 3 throughput runs (stream, rr, conn, http): %.1f%%", 100*cv)
	if !strings.Contains(out.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, out.String())
	}
}
