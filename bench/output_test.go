package bench_test

import (
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
