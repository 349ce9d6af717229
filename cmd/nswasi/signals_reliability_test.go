package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/testenv"
)

// SIGTERM mid-run ends every runner's guest and cleans up: exit 143, the
// sandbox process gone, every object nswasi recorded while it ran removed,
// and (native, wasi: the address stays valid) the listener refuses.
func TestExecSIGTERMEveryRunner(t *testing.T) {
	for _, runner := range []string{"native", "netns", "netns+fw", "wasi", "wasi+netns"} {
		t.Run(runner, func(t *testing.T) {
			if strings.Contains(runner, "netns") {
				testenv.RequireRoot(t)
			}
			state := privateState(t)
			r := startExec(t, runner, 1)
			echoes(t, r.addrs[0])
			own := capture(t, runner, r.cmd.Process.Pid, state)
			r.cmd.Process.Signal(syscall.SIGTERM)
			if code := r.wait(t); code != 143 {
				t.Errorf("exit status after SIGTERM: %d, want 143; stderr:\n%s", code, r.stderr)
			}
			own.gone(t)
			if !strings.Contains(runner, "netns") {
				if c, err := net.DialTimeout("tcp", r.addrs[0], time.Second); err == nil {
					c.Close()
					t.Errorf("guest still accepts at %s after nswasi exited", r.addrs[0])
				}
			}
		})
	}
}

// A signal that arrives while the sandbox is still being built (namespace,
// veth, cgroup, wazero compiling) leaves nothing behind either: after each
// run nothing its records name exists and no record is left (a nswasi
// killed by the default action before its handler was installed must be
// cleanable by `nswasi clean`). Each run records in a private state
// directory, so that only its own objects are judged and cleaned.
func TestSignalDuringStart(t *testing.T) {
	testenv.RequireRoot(t)
	for _, runner := range []string{"netns", "wasi+netns"} {
		artifact := guest.Native
		if strings.HasPrefix(runner, "wasi") {
			artifact = guest.Wasm
		}
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			for _, delay := range []time.Duration{0, 5 * time.Millisecond, 20 * time.Millisecond, 60 * time.Millisecond, 150 * time.Millisecond} {
				name := fmt.Sprintf("%s/%s/%s", runner, sig, delay)
				t.Run(name, func(t *testing.T) {
					state := privateState(t)
					cmd := exec.Command(nswasi, "exec", "--runner", runner, "--listen", ":0", "--timeout", "1m", "--", artifact, "echo")
					var stderr bytes.Buffer
					cmd.Stderr = &stderr
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					time.Sleep(delay)
					// What exists now is what the signal must clean up.
					objs := recorded(t, state)
					cmd.Process.Signal(sig)
					done := make(chan error, 1)
					go func() { done <- cmd.Wait() }()
					var killedByDefault bool
					select {
					case err := <-done:
						var ee *exec.ExitError
						// Before the handler is installed the default action kills
						// nswasi outright; after, it exits with 128+signal.
						if errors.As(err, &ee) && ee.ExitCode() == -1 {
							killedByDefault = true
						} else if errors.As(err, &ee) && ee.ExitCode() != 128+int(sig) {
							t.Errorf("exit %d, want %d; stderr: %s", ee.ExitCode(), 128+int(sig), stderr.String())
						}
					case <-time.After(30 * time.Second):
						cmd.Process.Kill()
						t.Fatalf("nswasi did not exit after %s", sig)
					}
					if r := recorded(t, state); len(r) > 0 {
						if !killedByDefault {
							t.Errorf("records left after nswasi handled %s: %v", sig, r)
						}
						// Killed before its handler ran: what it left must be cleanable.
						if out, err := exec.Command(nswasi, "clean").CombinedOutput(); err != nil {
							t.Errorf("clean: %v\n%s", err, out)
						}
						objs = append(objs, r...)
					}
					if p := present(t, objs); len(p) > 0 {
						t.Errorf("left behind: %v", p)
					}
					if r := recorded(t, state); len(r) > 0 {
						t.Errorf("records left: %v", r)
					}
				})
			}
		}
	}
}

// Commands that need root say so in one line and exit 2 when run without
// it, and create nothing.
func TestWithoutRoot(t *testing.T) {
	testenv.RequireRoot(t) // to switch to an unprivileged uid
	dir, err := os.MkdirTemp("", "nswasi-nonroot-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil { // MkdirTemp makes 0700
		t.Fatal(err)
	}
	for _, f := range []string{nswasi, guest.Native, guest.Wasm} {
		b, err := os.ReadFile(f)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "nswasi")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"exec", "--runner", "netns", "--listen", ":0", "--", filepath.Join(dir, "guest"), "echo"}, "runner netns creates network namespaces and needs root"},
		{[]string{"exec", "--runner", "wasi+netns", "--listen", ":0", "--", filepath.Join(dir, "guest.wasm"), "echo"}, "runner wasi+netns creates network namespaces and needs root"},
		{[]string{"run", "--quick", "--guest-dir", dir}, "run creates network namespaces and needs root"},
		{[]string{"clean"}, "clean removes network namespaces and veth pairs and needs root"},
		{[]string{"isolation", "--runners", "netns+fw", "--guest-dir", dir}, "runner netns+fw creates network namespaces and needs root"},
		{[]string{"isolation", "--runners", "native", "--guest-dir", dir}, "switching to it needs root"},
		{[]string{"bench", "--runners", "wasi+netns", "--guest-dir", dir}, "runner wasi+netns creates network namespaces and needs root"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[:min(3, len(c.args))], " "), func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit: %v, want status 2; stdout %q stderr %q", err, stdout.String(), stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], c.want) {
				t.Errorf("stderr %q: want one line containing %q", stderr.String(), c.want)
			}
		})
	}
	testenv.NoObjects(t)
}
