package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// Real result files of schema versions 1 and 2 (internal/results/testdata)
// make a report and compare with each other, and a version 2 file written
// back as version 3 compares with itself as unchanged: the typed fields
// hold what the maps held.
func TestOldVersionsReportAndCompare(t *testing.T) {
	v1, v2 := filepath.Join("..", "internal", "results", "testdata", "v1"), filepath.Join("..", "internal", "results", "testdata", "v2")
	d, md := reportOf(t, v1, v2)
	for _, want := range []string{"| duration | 300ms |", `| wasi\_hosts | \[nswasi\] |`, "| reps | 3 |", `| runners | \[native wasi\] |`} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks the configuration row %q", want)
		}
	}
	if c := Compare(d.Sources[0], d.Sources[1]); len(c.Changes) == 0 {
		t.Error("v1 and v2 compared nothing")
	}

	b, err := results.LoadBench(filepath.Join(v2, results.BenchFile))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := results.WriteAtomic(filepath.Join(dir, results.BenchFile), b); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, results.BenchFile))
	if !strings.Contains(string(raw), `"schema_version": 3`) || !strings.Contains(string(raw), `"runner_kind": "wasi"`) {
		t.Fatalf("rewritten file is not version 3 with kinds:\n%.400s", raw)
	}
	d2, err := Load(v2, dir)
	if err != nil {
		t.Fatal(err)
	}
	c := Compare(d2.Sources[0], d2.Sources[1])
	if len(c.Changes) == 0 || len(c.OnlyA)+len(c.OnlyB) != 0 {
		t.Fatalf("v2 against its v3 rewrite: %d changes, only in one: %v %v", len(c.Changes), c.OnlyA, c.OnlyB)
	}
	for _, ch := range c.Changes {
		if ch.RelativeChange != 0 || ch.Significant {
			t.Errorf("%s changed by %+.3f between v2 and its v3 rewrite", ch.Key, ch.RelativeChange)
		}
	}
}

// The checked-in synthetic fixtures' configuration keys that no version
// of the benchmark wrote are shown, not dropped.
func TestLegacyConfigShown(t *testing.T) {
	_, md := reportOf(t, "testdata/hostA")
	for _, want := range []string{`| duration\_s | 5 |`, "| synthetic | true |", "| conns | 1 |", "| reps | 5 |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	// What the file did not record is not shown as chosen.
	for _, unwanted := range []string{"| duration | 0s |", "| verify | false |"} {
		if strings.Contains(md, unwanted) {
			t.Errorf("report.md shows %q, which the file did not record", unwanted)
		}
	}
}

// reportOf loads dirs and writes their report, returning the data and
// report.md.
func reportOf(t *testing.T, dirs ...string) (*Data, string) {
	t.Helper()
	d, err := Load(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Write(d, out); err != nil {
		t.Fatal(err)
	}
	return d, read(t, filepath.Join(out, MarkdownFile))
}
