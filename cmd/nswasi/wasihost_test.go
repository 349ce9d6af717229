package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/testenv"
)

// Under nswasi's own WASI host, a guest blocked for ever in a host call
// (the echo guest waits in a blocking sock_accept) is still stopped by
// --timeout and by SIGINT, promptly, and nothing is left behind.
func TestNswasiHostStopsBlockedGuest(t *testing.T) {
	for _, runner := range []string{"wasi", "wasi+netns"} {
		t.Run(runner, func(t *testing.T) {
			if strings.Contains(runner, "netns") {
				testenv.RequireRoot(t)
			}
			r := startExec(t, runner, 1, "--wasi-host", "nswasi")
			echoes(t, r.addrs[0])
			if !strings.Contains(r.stderr.String(), "WASI host nswasi") {
				t.Errorf("exec does not say which WASI host runs the guest:\n%s", r.stderr)
			}
			start := time.Now()
			r.cmd.Process.Signal(os.Interrupt)
			if code := r.wait(t); code != 130 {
				t.Errorf("exit status after SIGINT: %d, want 130; stderr:\n%s", code, r.stderr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("SIGINT took %v to stop a blocked guest", d)
			}
			testenv.NoObjects(t)

			// The timeout counts from the host's start, compilation
			// included, which takes seconds on a loaded machine.
			start = time.Now()
			r = startExec(t, runner, 1, "--wasi-host", "nswasi", "--timeout", "8s")
			if code := r.wait(t); code != 124 {
				t.Errorf("exit status after --timeout: %d, want 124; stderr:\n%s", code, r.stderr)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("--timeout 8s stopped a blocked guest after %v", d)
			}
			testenv.NoObjects(t)
		})
	}
}

// exec runs one WASI host; the commands that compare take a list, and an
// unknown host is refused in one line by every command.
func TestWASIHostFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"exec", "--runner", "wasi", "--wasi-host", "wazero,nswasi", "--", guest.Wasm, "exit", "0"}, "this command runs one WASI host"},
		{[]string{"exec", "--runner", "wasi", "--wasi-host", "wasmtime", "--", guest.Wasm, "exit", "0"}, `WASI host "wasmtime"`},
		{[]string{"bench", "--wasi-host", "nswasi,nswasi"}, "nswasi twice"},
		{[]string{"isolation", "--wasi-host", "nswasi,", "--runners", "wasi"}, "empty host name"},
		{[]string{"conformance", "--wasi-host", "wasmtime", "."}, `WASI host "wasmtime"`},
	} {
		refused(t, exec.Command(nswasi, c.args...), c.want)
	}
}
