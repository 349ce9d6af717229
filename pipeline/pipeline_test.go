package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/nswasi/nswasi/experiment"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

var guest scenarios.Guest

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, func(g scenarios.Guest) error { guest = g; return nil }))
}

// recorder counts the steps of each phase against the total announced.
type recorder struct {
	mu     sync.Mutex
	phase  string
	totals map[string]int
	steps  map[string]int
	logs   []string
}

func (r *recorder) Phase(name string, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phase = name
	r.totals[name] = total
}

func (r *recorder) Step(string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps[r.phase]++
}

func (r *recorder) Log(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func (r *recorder) Finish() {}

// Each phase announces as many steps as it then makes: the totals come
// from the plans (isolation.Config.Steps, bench.Options.Steps), not from a
// second count here. Without a testsuite the conformance phase says so.
func TestRunCountsSteps(t *testing.T) {
	testenv.RequireRoot(t)
	src, err := os.ReadFile(filepath.Join("testdata", "tiny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	exp, err := experiment.Parse("tiny.yaml", src, Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	// One WASI host and no reference tools keep the test short.
	exp.WASIHosts = []string{wasirun.HostWazero}
	exp.Bench.NoPeers = true
	dir := t.TempDir()
	rec := &recorder{totals: map[string]int{}, steps: map[string]int{}}
	html, err := Run(context.Background(), Config{
		Experiment: exp, Source: src, Dir: dir, Guest: guest,
		Runner:   runners.Config{Wasi: wasirun.Host{CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}},
		Progress: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	if html != filepath.Join(dir, "report.html") {
		t.Errorf("report at %q", html)
	}
	// 2 probes × (native + wasi under wazero).
	if rec.totals["isolation"] != 4 {
		t.Errorf("isolation announced %d steps, want 4", rec.totals["isolation"])
	}
	for _, p := range []string{"isolation", "bench"} {
		if rec.totals[p] == 0 || rec.steps[p] != rec.totals[p] {
			t.Errorf("%s: %d steps made, %d announced", p, rec.steps[p], rec.totals[p])
		}
	}
	if _, ran := rec.totals["conformance"]; ran || !strings.Contains(strings.Join(rec.logs, "\n"), "conformance: skipped") {
		t.Errorf("conformance without a testsuite: phase %v, logs %q", ran, rec.logs)
	}
	for _, f := range []string{"experiment.yaml", "experiment.resolved.yaml", "isolation.json", "results.json", "report.md", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	testenv.NoObjects(t)
}

func TestShardOf(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	for _, c := range []struct {
		shard, shards int
		want          string
	}{{1, 1, "abcde"}, {1, 2, "ace"}, {2, 2, "bd"}, {3, 3, "c"}, {5, 8, "e"}, {6, 8, ""}} {
		if got := strings.Join(ShardOf(names, c.shard, c.shards), ""); got != c.want {
			t.Errorf("ShardOf(%d/%d) = %q, want %q", c.shard, c.shards, got, c.want)
		}
	}
	// The shards together are the whole, each name once.
	var all []string
	for i := 1; i <= 3; i++ {
		all = append(all, ShardOf(names, i, 3)...)
	}
	if len(all) != len(names) {
		t.Errorf("shards of 3 hold %d names, want %d", len(all), len(names))
	}
}
