package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Every runner starts, serves its first request and reports memory;
// WASI runners once with an empty and once with a filled cache.
func TestStartAndMemory(t *testing.T) {
	names := []string{"native", "wasi"}
	if os.Geteuid() == 0 {
		names = append(names, "netns")
	}
	o := &Options{Runners: names, Reps: 1, Guest: guestForInternal, OutDir: t.TempDir()}
	o.Defaults()
	o.Runner.Wasi.CacheDir = "" // runStart gives each variant its own
	runs := runStart(context.Background(), o, nil)
	seen := map[string]bool{}
	for _, r := range runs {
		key := r.Scenario + " " + r.Direction + " " + r.Runner
		seen[key] = true
		if r.Error != "" || len(r.Reps) != 1 {
			t.Errorf("%s: %d reps, %s", key, len(r.Reps), r.Error)
			continue
		}
		v := r.Reps[0]
		switch r.Scenario {
		case "start":
			if v <= 0 || v > 120 {
				t.Errorf("%s: started in %v s", key, v)
			}
		case "memory":
			// A Go guest needs more than 1 MiB resident and, idle, far
			// less than 2 GiB.
			if v < 1<<20 || v > 2<<30 {
				t.Errorf("%s: %v bytes", key, v)
			}
		}
	}
	for _, want := range []string{"start  native", "start cold wasi", "start warm wasi", "memory idle wasi", "memory load native"} {
		if !seen[want] {
			t.Errorf("no %q run; got %v", want, seen)
		}
	}
}

// A shell with two sleeping children: the tree's memory is more than
// the shell's alone.
func TestTreeMemoryCountsDescendants(t *testing.T) {
	sh := exec.Command("sh", "-c", "sleep 30 & sleep 30 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sh.Process.Kill(); _ = sh.Wait() }()
	time.Sleep(300 * time.Millisecond)
	tree, _, err := treeMemory(sh.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", sh.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if alone := statusKB(st, "VmRSS:") << 10; tree <= alone {
		t.Errorf("tree %d bytes, shell alone %d: the children were not counted", tree, alone)
	}
	if _, _, err := treeMemory(0); err == nil {
		t.Error("no pid, no error")
	}
}

// start is measured by runStart, never as a case, whatever --sizes says.
func TestStartIsNotACase(t *testing.T) {
	o := &Options{Scenarios: []string{"rr", "start"}, Runners: []string{"native", "wasi"}, Modes: []string{"blocking"}, Sizes: []int{64}, Conns: []int{1}}
	for _, c := range o.Cases() {
		if c.Scenario == "start" {
			t.Fatalf("start case %s", c)
		}
	}
	// 2 rr cases, start: native once, wasi cold and warm.
	if n := o.Steps(); n != 2+3 {
		t.Errorf("%d progress steps, want 5", n)
	}
}

func TestWantMore(t *testing.T) {
	o := &Options{Reps: 2, MaxReps: 4, TargetCI: 0.05}
	if o.wantMore([]float64{100, 100.1, 99.9}) {
		t.Error("a tight interval asked for more repetitions")
	}
	if !o.wantMore([]float64{50, 150}) {
		t.Error("a wide interval did not ask for more")
	}
	if o.wantMore([]float64{50, 150, 60, 140}) {
		t.Error("more repetitions than the cap")
	}
	if o.wantMore([]float64{50}) {
		t.Error("fewer than --reps must not count: the fixed loop covers them")
	}
	if (&Options{Reps: 2, MaxReps: 4}).wantMore([]float64{50, 150}) {
		t.Error("no target, yet more repetitions")
	}
}

// A target no run can reach: the run makes MaxReps repetitions and says
// it stopped short.
func TestTargetCIStopsShortAndSaysSo(t *testing.T) {
	o := &Options{Scenarios: []string{"rr"}, Runners: []string{"native"}, Modes: []string{"blocking"},
		Sizes: []int{64}, Conns: []int{1}, Reps: 2, MaxReps: 4, TargetCI: 1e-9,
		Duration: 50 * time.Millisecond, Warmup: 10 * time.Millisecond, Guest: guestForInternal, OutDir: t.TempDir()}
	o.Defaults()
	run := runOne(context.Background(), o, o.Cases()[0])
	if run.Error != "" {
		t.Fatal(run.Error)
	}
	if len(run.Reps) != 4 || !run.TargetCIUnmet {
		t.Errorf("%d reps, unmet %v; want 4 and true", len(run.Reps), run.TargetCIUnmet)
	}
}

func TestPinTree(t *testing.T) {
	d, sb, ok := pinSets()
	if !ok {
		t.Skip("fewer than two CPUs: pinning is skipped by design")
	}
	if d.Count() != 1 || sb.Count() < 1 || cpuList(d) == cpuList(sb) {
		t.Fatalf("driver %s, sandbox %s", cpuList(d), cpuList(sb))
	}
	sh := exec.Command("sh", "-c", "sleep 30 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sh.Process.Kill(); _ = sh.Wait() }()
	time.Sleep(200 * time.Millisecond)
	if err := pinTree(sh.Process.Pid, sb); err != nil {
		t.Fatal(err)
	}
	pids, _ := treePIDs(sh.Process.Pid)
	if len(pids) < 2 {
		t.Fatalf("tree %v: the sleeping child is missing", pids)
	}
	for _, p := range pids {
		var got unix.CPUSet
		if err := unix.SchedGetaffinity(p, &got); err != nil {
			t.Fatal(err)
		}
		if got != sb {
			t.Errorf("process %d on CPUs %s, want %s", p, cpuList(got), cpuList(sb))
		}
	}
}
