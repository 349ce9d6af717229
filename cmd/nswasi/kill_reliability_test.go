package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/procmark"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/nsrun"
)

// privateState points every nswasi this test starts (and the test itself)
// at a state directory of its own, so that `nswasi clean` judges only
// their records and never another engineer's nswasi on the same machine.
// Whatever a failed test leaves recorded there is removed when it ends
// (the recording processes are gone by then).
func privateState(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(nsrun.StateDirEnv, dir)
	t.Cleanup(func() {
		if files, _ := filepath.Glob(filepath.Join(dir, "records", "*.json")); len(files) > 0 {
			if _, err := nsrun.Clean(nsrun.Options{StateDir: dir}); err != nil {
				t.Errorf("cleaning up after the test: %v", err)
			}
		}
	})
	return dir
}

// recorded lists the objects the records in state name, as nsrun.Objects
// spells them.
func recorded(t *testing.T, state string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(state, "records", "*.json"))
	var objs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec nsrun.Record
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("record %s: %v", f, err)
		}
		objs = append(objs, rec.Objects()...)
	}
	slices.Sort(objs)
	return objs
}

// present lists which of objs exist.
func present(t *testing.T, objs []string) []string {
	t.Helper()
	all, err := nsrun.Objects()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		if slices.Contains(all, o) {
			out = append(out, o)
		}
	}
	return out
}

// SIGKILL of nswasi mid-run, with a native guest that has left a
// descendant in a new session and an orphaned one behind: the guest dies
// with nswasi (parent-death signal), its objects are recorded and still
// there, and `nswasi clean` then kills every descendant and removes every
// recorded object and record.
func TestSIGKILLThenCleanKillsDescendants(t *testing.T) {
	testenv.RequireRoot(t)
	for _, runner := range []string{"native", "netns", "netns+fw"} {
		t.Run(runner, func(t *testing.T) {
			state := privateState(t)
			mark := procmark.New("kill")
			defer procmark.Kill(mark)
			script := procmark.EscapeScript(t, mark, guest.Native)
			cmd := exec.Command(nswasi, "exec", "--runner", runner, "--listen", ":0", "--timeout", "2m", "--", script, "echo")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			procmark.Wait(t, mark, "sleep", 2)
			guests := procmark.Wait(t, mark, "guest", 1)
			objs := recorded(t, state)
			want := 1 // the cgroup
			if runner != "native" {
				want += 2 // the namespace and its veth
			}
			if len(objs) != want {
				t.Errorf("recorded objects while the guest runs: %v, want %d", objs, want)
			}
			if p := present(t, objs); !slices.Equal(p, objs) {
				t.Errorf("recorded %v, but only %v exist", objs, p)
			}
			cmd.Process.Kill()
			cmd.Wait()
			// The parent-death signal reaches the guest itself.
			deadline := time.Now().Add(5 * time.Second)
			for _, pid := range guests {
				for processAlive(pid) && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if processAlive(pid) {
					t.Errorf("guest %d outlived nswasi", pid)
				}
			}
			if p := present(t, objs); !slices.Equal(p, objs) {
				t.Errorf("before clean, recorded %v but only %v exist: the test would not see clean work", objs, p)
			}
			out, err := exec.Command(nswasi, "clean").CombinedOutput()
			if err != nil {
				t.Fatalf("nswasi clean: %v\n%s", err, out)
			}
			procmark.GoneWithin(t, mark, 5*time.Second, "after nswasi clean")
			if p := present(t, objs); len(p) > 0 {
				t.Errorf("left after clean: %v\n%s", p, out)
			}
			if r := recorded(t, state); len(r) > 0 {
				t.Errorf("records left after clean: %v", r)
			}
		})
	}
}

// processAlive says whether pid runs and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return false
	}
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && b[i+2] != 'Z'
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

// children lists the pids whose parent is pid.
func children(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 1 && f[1] == strconv.Itoa(pid) {
				out = append(out, c)
			}
		}
	}
	return out
}

// ownedRun is what one nswasi process had while it ran: its children (the
// sandbox process) and the objects its records named.
type ownedRun struct {
	runner   string
	state    string
	children []int
	objs     []string
}

// capture looks at nswasi process pid, which records in state, while it runs.
func capture(t *testing.T, runner string, pid int, state string) ownedRun {
	t.Helper()
	o := ownedRun{runner: runner, state: state, children: children(pid), objs: recorded(t, state)}
	if len(o.children) == 0 {
		t.Errorf("nswasi (pid %d) has no child process while its guest runs", pid)
	}
	if p := present(t, o.objs); !slices.Equal(p, o.objs) {
		t.Errorf("recorded %v, but only %v exist", o.objs, p)
	}
	if strings.Contains(runner, "netns") && !slices.ContainsFunc(o.objs, func(s string) bool { return strings.HasPrefix(s, "netns ") }) {
		t.Errorf("runner %s: no namespace recorded while the guest runs (%v): the checks after exit would prove nothing", runner, o.objs)
	}
	return o
}

// gone fails t unless, after nswasi has exited, its sandbox process is
// gone and every object it recorded, and the record, are removed.
func (o ownedRun) gone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range o.children {
		for processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if processAlive(pid) {
			t.Errorf("%s: sandbox process %d outlived nswasi", o.runner, pid)
		}
	}
	if p := present(t, o.objs); len(p) > 0 {
		t.Errorf("%s: left behind: %v", o.runner, p)
	}
	if r := recorded(t, o.state); len(r) > 0 {
		t.Errorf("%s: records left: %v", o.runner, r)
	}
}
