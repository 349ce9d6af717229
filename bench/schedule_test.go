package bench_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/bench"
)

// groupOf names what the cases measured together share.
func groupOf(c bench.Case) string {
	return fmt.Sprintf("%s/%s/%s/%d/%d", c.Scenario, c.Direction, c.Mode, c.Size, c.Conns)
}

// The plan's repetitions are interleaved across runners: within a group
// (same scenario, direction, mode, size and connections), every case's
// warm-up comes before any measured repetition, and every case's k-th
// repetition before any case's (k+1)-th. Every case of the plan is in
// exactly one group, once, and the progress steps count one per case.
func TestScheduleInterleavesRunners(t *testing.T) {
	o := bench.Options{
		Scenarios: []string{"stream", "rr", "conn", "idle", "http"},
		Runners:   []string{"native", "netns", "netns+fw", "wasi", "wasi+netns"},
		WASIHosts: []string{"wazero", "nswasi"}, Quick: true, Reps: 3,
		TraceHostcalls: true, TraceModes: []string{"poll"}, OutDir: "x",
	}
	o.Defaults()
	sched := o.Schedule()
	var planned []bench.Case
	seenGroup := map[string]bool{}
	for gi, steps := range sched {
		var cases []bench.Case
		for _, s := range steps {
			if !slices.Contains(cases, s.Case) {
				cases = append(cases, s.Case)
			}
		}
		key := groupOf(cases[0])
		if seenGroup[key] {
			t.Errorf("group %d: %s split over two groups: its runners are not interleaved with each other", gi, key)
		}
		seenGroup[key] = true
		runnersIn := map[string]bool{}
		for _, c := range cases {
			if groupOf(c) != key {
				t.Errorf("group %d mixes %s with %s", gi, key, groupOf(c))
			}
			runnersIn[c.Runner] = true
		}
		if len(runnersIn) != len(o.Runners) {
			t.Errorf("group %s has %d runners, want all %d", key, len(runnersIn), len(o.Runners))
		}
		if want := len(cases) * (o.Reps + 1); len(steps) != want {
			t.Fatalf("group %s: %d steps, want %d (warm-up and %d repetitions of %d cases)", key, len(steps), want, o.Reps, len(cases))
		}
		for round := 0; round <= o.Reps; round++ {
			chunk := steps[round*len(cases) : (round+1)*len(cases)]
			var got []bench.Case
			for _, s := range chunk {
				if s.Rep != round {
					t.Errorf("group %s, round %d: %s repetition %d out of turn", key, round, s.Case, s.Rep)
				}
				got = append(got, s.Case)
			}
			slices.SortFunc(got, func(a, b bench.Case) int { return strings.Compare(a.String(), b.String()) })
			want := slices.Clone(cases)
			slices.SortFunc(want, func(a, b bench.Case) int { return strings.Compare(a.String(), b.String()) })
			if !slices.Equal(got, want) {
				t.Errorf("group %s, round %d: cases %v, want each of %v once", key, round, got, want)
			}
		}
		planned = append(planned, cases...)
	}
	if !slices.Equal(planned, o.Cases()) {
		t.Errorf("the schedule holds %d cases, the plan %d, or in another order", len(planned), len(o.Cases()))
	}
	if o.Steps() != len(o.Cases()) {
		t.Errorf("%d progress steps for %d cases (no start, no peers)", o.Steps(), len(o.Cases()))
	}

	// A shard keeps whole groups: runners compared with each other are
	// measured on one machine.
	for i := 1; i <= 3; i++ {
		s := o
		s.Shard, s.Shards = i, 3
		for _, steps := range s.Schedule() {
			key := groupOf(steps[0].Case)
			n := 0
			for _, c := range o.Cases() {
				if groupOf(c) == key {
					n++
				}
			}
			if len(steps) != n*(o.Reps+1) {
				t.Errorf("shard %d/3: group %s has %d steps, want all %d cases' %d", i, key, len(steps), n, n*(o.Reps+1))
			}
		}
	}
}
