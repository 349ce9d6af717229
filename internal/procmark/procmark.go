// Package procmark lets a test find exactly the processes it started, on a
// machine where others run the same programs: each carries a mark in its
// environment. It also writes the native guest that tries to outlive its
// sandbox.
package procmark

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Var is the environment variable that carries the mark.
const Var = "NSWASI_TEST_MARK"

// New returns a mark unique to this process and moment.
func New(what string) string {
	return fmt.Sprintf("%s-%d-%d", what, os.Getpid(), time.Now().UnixNano())
}

// EscapeScript writes a native guest that leaves two descendants meant to
// outlive it — one in a new session (setsid), one double-forked so that it
// is orphaned at once — and then sleeps itself (or, with exec, execs exec
// with its arguments). All three carry mark and run sleep (or exec).
func EscapeScript(t testing.TB, mark string, exec ...string) string {
	t.Helper()
	for _, p := range []string{"/bin/sh", "/bin/sleep", "/usr/bin/setsid"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("SKIP: %s missing: %v", p, err)
		}
	}
	last := "exec /bin/sleep 3600"
	if len(exec) > 0 {
		last = "exec"
		for _, a := range exec {
			last += " '" + a + "'"
		}
		last += ` "$@"`
	}
	path := filepath.Join(t.TempDir(), "escape.sh")
	script := "#!/bin/sh\nexport " + Var + "=" + mark + "\n" +
		"/usr/bin/setsid /bin/sleep 3600 </dev/null >/dev/null 2>&1 &\n" +
		"( /bin/sleep 3600 </dev/null >/dev/null 2>&1 & ) &\n" +
		last + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// The directory must be reachable by a guest running as another uid.
	os.Chmod(filepath.Dir(path), 0o755)
	return path
}

// Find lists the live (not zombie) processes whose environment holds mark.
func Find(mark string) []int {
	want := []byte(Var + "=" + mark + "\x00")
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(env, want) {
			continue
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}

// Wait waits until n marked processes run comm (the shell and its
// subshell are transient), or fails t.
func Wait(t testing.TB, mark, comm string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var pids []int
		for _, pid := range Find(mark) {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); string(b) == comm+"\n" {
				pids = append(pids, pid)
			}
		}
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %v of %d marked %s processes started (all marked: %v)", pids, n, comm, Find(mark))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// GoneWithin fails t if marked processes are still alive after d, and
// then kills them: they are the test's own.
func GoneWithin(t testing.TB, mark string, d time.Duration, what string) {
	t.Helper()
	if left := AliveAfter(mark, d); len(left) > 0 {
		t.Errorf("%s: marked processes still alive after %s: %v", what, d, left)
		Kill(mark)
	}
}

// AliveAfter waits up to d for the marked processes to go, and lists those left.
func AliveAfter(mark string, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		left := Find(mark)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill sends SIGKILL to every process carrying mark.
func Kill(mark string) {
	for _, pid := range Find(mark) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
