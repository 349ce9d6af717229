package bench_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nswasi/nswasi/bench"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/report"
)

func caseKey(c bench.Case) string {
	return fmt.Sprintf("%s/%s/%s/%s/%d/%d/%v", c.Scenario, c.Direction, c.Runner, c.Mode, c.Size, c.Conns, c.Traced)
}

func runKey(r results.Run) string {
	return caseKey(bench.Case{Scenario: r.Scenario, Direction: r.Direction, Runner: r.Runner, Mode: r.Mode, Size: r.Size, Conns: r.Conns, Traced: r.Traced})
}

// Every case of the plan is in exactly one of N shards, a traced case
// beside its untraced twin, for several N.
func TestShardsPartitionThePlan(t *testing.T) {
	o := bench.Options{Runners: []string{"native", "netns", "wasi", "wasi+netns"}, Quick: true, TraceHostcalls: true, OutDir: "x"}
	o.Defaults()
	all := o.Cases()
	for _, n := range []int{2, 3, 7, len(all) + 1} {
		var union []string
		for i := 1; i <= n; i++ {
			s := o
			s.Shard, s.Shards = i, n
			cs := s.Cases()
			for j, c := range cs {
				if c.Traced && (j == 0 || cs[j-1].Traced || caseKey(cs[j-1]) != caseKey(bench.Case{Scenario: c.Scenario, Direction: c.Direction, Runner: c.Runner, Mode: c.Mode, Size: c.Size, Conns: c.Conns})) {
					t.Errorf("N=%d shard %d: traced %s without its untraced twin before it", n, i, c)
				}
				union = append(union, caseKey(c))
			}
		}
		want := make([]string, len(all))
		for j, c := range all {
			want[j] = caseKey(c)
		}
		slices.Sort(union)
		slices.Sort(want)
		if !slices.Equal(union, want) {
			t.Errorf("N=%d: the shards hold %d cases, the plan %d, or different ones", n, len(union), len(want))
		}
	}
}

// N shards run locally, and their directories merged by the report, give
// the same cases as the unsharded plan.
func TestShardsMergeToThePlan(t *testing.T) {
	o := tinyOptions(t, []string{"native", "wasi"})
	o.Scenarios = []string{"rr", "conn"}
	o.Modes = []string{"nonblocking"}
	o.Reps, o.Duration, o.Warmup = 1, 50*time.Millisecond, 10*time.Millisecond
	o.Verify = false
	const n = 3
	var dirs []string
	for i := 1; i <= n; i++ {
		s := o
		s.Shard, s.Shards = i, n
		s.OutDir = filepath.Join(t.TempDir(), fmt.Sprint("shard", i))
		if _, err := bench.Run(context.Background(), s); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
		dirs = append(dirs, s.OutDir)
	}
	d, err := report.Load(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sources) != 1 {
		t.Fatalf("%d sources after merging %d shards, want 1", len(d.Sources), n)
	}
	var got, want []string
	for _, r := range d.Sources[0].Bench.Runs {
		got = append(got, runKey(r))
	}
	plan := o
	plan.Defaults()
	for _, c := range plan.Cases() {
		want = append(want, caseKey(c))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("merged shards hold\n%v\nthe plan\n%v", got, want)
	}
	if d.Sources[0].Bench.Partial {
		t.Error("all shards ran, yet the merged result is partial")
	}
	// One shard short: the merge says it is partial.
	d, err = report.Load(dirs[:n-1]...)
	if err != nil || !d.Sources[0].Bench.Partial {
		t.Errorf("two of three shards merged without being marked partial (%v)", err)
	}
}
