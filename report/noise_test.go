package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// The report says the median CV, in Markdown and HTML alike.
func TestReportSaysMedianCV(t *testing.T) {
	d, err := Load("testdata/hostA")
	if err != nil {
		t.Fatal(err)
	}
	cv, n := results.MedianCV(d.Sources[0].Bench.Runs)
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
