package conformance

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/wasirun"
)

// testsuiteTests is how many tests the shared copy of the testsuite holds
// (its README: 14 C, 12 AssemblyScript, 31 Rust).
const testsuiteTests = 57

// sharedTestsuite finds the read-only copy of the WASI testsuite that CI
// lays beside the clone, or NSWASI_WASI_TESTSUITE (for a work tree that
// is not beside it), and skips the test, saying so, when there is none.
func sharedTestsuite(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("NSWASI_WASI_TESTSUITE")
	if dir == "" {
		repo, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(filepath.Dir(repo), "shared", "wasi-testsuite")
	}
	if _, err := os.Stat(filepath.Join(dir, ExpectationsFile)); err != nil {
		t.Skipf("SKIP (no testsuite): %s not found; CI has the shared WASI testsuite beside the clone, elsewhere set NSWASI_WASI_TESTSUITE to its folder", dir)
	}
	return dir
}

// runTestsuite runs the whole shared testsuite under one host.
func runTestsuite(t *testing.T, host string) (*results.Conformance, *Expectations) {
	t.Helper()
	top := sharedTestsuite(t)
	dirs, err := Discover([]string{top})
	if err != nil {
		t.Fatal(err)
	}
	var suites []*Suite
	n := 0
	for _, d := range dirs {
		s, err := LoadSuite(d)
		if err != nil {
			t.Fatal(err)
		}
		suites = append(suites, s)
		n += len(s.Tests)
	}
	if n != testsuiteTests {
		t.Fatalf("%s holds %d tests, want %d", top, n, testsuiteTests)
	}
	exp, err := LoadExpectations(filepath.Join(top, ExpectationsFile))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	start := time.Now()
	res, err := Run(context.Background(), Config{
		Suites:           suites,
		Hosts:            []string{host},
		Runner:           wasirun.Host{CacheDir: cacheDir},
		Jobs:             2,
		Expectations:     exp,
		ExpectationsHost: wasirun.HostWazero,
		Out:              out,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tests under %s in %s (cache %s)", len(res.Cases), host, time.Since(start).Round(100*time.Millisecond), cacheDir)
	if len(res.Cases) != testsuiteTests || res.Partial {
		t.Fatalf("%d cases (partial %v), want %d", len(res.Cases), res.Partial, testsuiteTests)
	}
	if t.Failed() || testing.Verbose() {
		md, _ := os.ReadFile(filepath.Join(out, MarkdownFile))
		t.Logf("conformance.md:\n%s", md)
	}
	return res, exp
}

// The stock wazero host fails exactly the tests that wazero's maintainers
// list as failing on Linux, as far as this copy of the suite has them.
func TestConformanceWazeroHost(t *testing.T) {
	res, exp := runTestsuite(t, wasirun.HostWazero)
	var failed, predicted []string
	for _, c := range res.Cases {
		if c.Outcome != results.Pass {
			failed = append(failed, c.Suite+"/"+c.Test)
			t.Logf("wazero %s/%s: %s %q", c.Suite, c.Test, c.Outcome, c.Reasons)
		}
		if exp.Has(c.Suite, c.Test) {
			predicted = append(predicted, c.Suite+"/"+c.Test)
		}
	}
	sort.Strings(failed)
	sort.Strings(predicted)
	if len(predicted) == 0 {
		t.Fatalf("no test of %s is in the suite: suite names do not match the manifests", exp.Path)
	}
	if !slices.Equal(failed, predicted) {
		t.Errorf("wazero failed\n  %q\nbut %s predicts\n  %q", failed, exp.Path, predicted)
	}
	if e := res.Expectations; e == nil || e.Agree != slices.Equal(failed, predicted) {
		t.Errorf("the result's own comparison says %+v", e)
	}
	for _, c := range res.Cases {
		if c.Outcome == results.Fail && len(c.Reasons) == 0 {
			t.Errorf("%s/%s failed without a reason", c.Suite, c.Test)
		}
	}
}

// nswasi's own host passes every test. Until package wasip1 is written
// this fails: its stub refuses every module.
func TestConformanceNswasiHost(t *testing.T) {
	res, _ := runTestsuite(t, wasirun.HostNswasi)
	n := Count(res, wasirun.HostNswasi)
	for _, c := range res.Cases {
		if c.Outcome != results.Pass {
			t.Errorf("nswasi %s/%s: %s %q", c.Suite, c.Test, c.Outcome, c.Reasons)
		}
	}
	if n.Pass != testsuiteTests {
		t.Errorf("nswasi host passes %d/%d", n.Pass, n.Total)
	}
}
