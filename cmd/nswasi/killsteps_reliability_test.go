package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/procmark"
	"github.com/nswasi/nswasi/internal/testenv"
)

// ofExe lists the live processes running the executable exe: this test
// binary's own nswasi build, so only processes this test started.
func ofExe(exe string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && target == exe && processAlive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// SIGKILL of nswasi at every step of building the sandbox and mid-run,
// under every runner, with a native guest that forks and double-forks
// (setsid) before it serves; then `nswasi clean`; then a sweep from
// outside: no process of the test's nswasi build or carrying the guest's
// mark, none of the objects the records named, no record, no temporary
// file. The kill moments go from 0 to 100 ms after the start and one
// after the listener is announced; the test requires that some kills
// landed in the middle of a start (a record written, no listener yet).
func TestSIGKILLAtEveryStepThenClean(t *testing.T) {
	testenv.RequireRoot(t)
	delays := []time.Duration{0, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond, 100 * time.Millisecond, -1}
	midStart := map[string]int{}
	for _, runner := range []string{"native", "netns", "netns+fw", "wasi", "wasi+netns"} {
		for _, delay := range delays {
			name := fmt.Sprintf("%s/%s", runner, delay)
			if delay < 0 {
				name = runner + "/mid-run"
			}
			t.Run(name, func(t *testing.T) {
				state := privateState(t)
				tmp := t.TempDir()
				t.Setenv("TMPDIR", tmp)
				mark := procmark.New("steps")
				defer procmark.Kill(mark)
				artifact, args := guest.Wasm, []string{"echo"}
				if !strings.HasPrefix(runner, "wasi") {
					artifact = procmark.EscapeScript(t, mark, guest.Native)
				}
				cmd := exec.Command(nswasi, append([]string{"exec", "--runner", runner, "--listen", ":0", "--timeout", "2m", "--", artifact}, args...)...)
				pr, pw := io.Pipe()
				var stderr bytes.Buffer
				cmd.Stderr = io.MultiWriter(pw, &stderr)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				announced := make(chan struct{})
				go func() {
					sc := bufio.NewScanner(pr)
					once := false
					for sc.Scan() {
						if !once && listenerLine.MatchString(sc.Text()) {
							close(announced)
							once = true
						}
					}
				}()
				if delay < 0 {
					select {
					case <-announced:
					case <-time.After(time.Minute):
						t.Fatalf("no listener announced; stderr: %s", stderr.String())
					}
					if !strings.HasPrefix(runner, "wasi") {
						procmark.Wait(t, mark, "sleep", 2) // the descendants exist
					}
				} else {
					time.Sleep(delay)
				}
				cmd.Process.Kill()
				cmd.Wait()
				pw.Close()
				objs := recorded(t, state)
				select {
				case <-announced:
				default:
					if len(objs) > 0 {
						midStart[runner]++
					}
				}
				out, err := exec.Command(nswasi, "clean").CombinedOutput()
				if err != nil {
					t.Fatalf("nswasi clean: %v\n%s", err, out)
				}
				// The sweep, from outside.
				procmark.GoneWithin(t, mark, 5*time.Second, "after clean")
				deadline := time.Now().Add(5 * time.Second)
				for len(ofExe(nswasi)) > 0 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if left := ofExe(nswasi); len(left) > 0 {
					t.Errorf("processes of this test's nswasi left after clean: %v", left)
				}
				if p := present(t, objs); len(p) > 0 {
					t.Errorf("left after clean: %v\n%s", p, out)
				}
				if r := recorded(t, state); len(r) > 0 {
					t.Errorf("records left after clean: %v", r)
				}
				if left, _ := filepath.Glob(filepath.Join(state, "records", "*")); len(left) > 0 {
					t.Errorf("files left in the records directory: %v", left)
				}
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
			})
		}
	}
	total := 0
	for _, n := range midStart {
		total += n
	}
	t.Logf("kills that landed mid-start (a record written, no listener announced yet), per runner: %v", midStart)
	if total == 0 {
		t.Errorf("no kill landed in the middle of a start: the test did not test start-up")
	}
}
