package runners_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

var guest scenarios.Guest

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, func(g scenarios.Guest) error {
		guest = g
		return nil
	}))
}

// testConfig keeps the compilation cache inside the test's temp dir so
// tests do not depend on, or fill, the user's cache.
func testConfig(t *testing.T) runners.Config {
	return runners.Config{Wasi: wasirun.Host{CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}}
}

func newRunner(t *testing.T, name string) sandbox.Runner {
	t.Helper()
	if info, _ := runners.Lookup(name); info.Netns {
		testenv.RequireRoot(t)
	}
	r, err := runners.New(name, testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The constructor builds, for every registry entry, the runner the entry
// declares: the sandbox's own name for itself is the registry's, and an
// unknown name is bad input.
func TestNewFollowsRegistry(t *testing.T) {
	for _, info := range runners.All {
		r, err := runners.New(info.Name, testConfig(t))
		if err != nil {
			t.Errorf("%s: %v", info.Name, err)
			continue
		}
		if r.Name() != info.Name {
			t.Errorf("registry entry %s builds runner %s", info.Name, r.Name())
		}
	}
	if _, err := runners.New("docker", testConfig(t)); !usage.IsBadInput(err) {
		t.Errorf("unknown runner: %v, want bad input", err)
	}
}

// Every runner echoes, byte for byte, what a client outside sends to the
// address the runner reports, in both I/O modes that work everywhere.
func TestEchoEveryRunner(t *testing.T) {
	for _, name := range runners.Names() {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, name)
			c := runners.CheckEcho(context.Background(), r, runners.Artifact(name, guest.Native, guest.Wasm), 256<<10)
			if c.Err != nil {
				t.Fatalf("echo under %s: %v\nguest stderr: %s", name, c.Err, c.Result.Stderr)
			}
			if c.Bytes != 256<<10 {
				t.Fatalf("echoed %d bytes, want %d", c.Bytes, 256<<10)
			}
			wantNetns := strings.Contains(name, "netns")
			if got := !c.Addr.Addr().IsLoopback(); got != wantNetns {
				t.Errorf("reachable at %s: in a namespace=%v, want %v", c.Addr, got, wantNetns)
			}
			if c.Result.UserCPU+c.Result.SysCPU <= 0 || c.Result.MaxRSS <= 0 {
				t.Errorf("no CPU or RSS accounted: %+v", c.Result)
			}
			testenv.NoObjects(t)
		})
	}
}

// A --dir grant is readable in the wasi runner at its guest path, and a
// read-only grant refuses writes.
func TestWasiDirGrant(t *testing.T) {
	dir := t.TempDir()
	secret := fmt.Sprintf("secret-%d", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, "wasi")
	run := func(path string, dirs []sandbox.Dir) sandbox.Result {
		g, err := r.Start(context.Background(), sandbox.Spec{
			Artifact: guest.Wasm, Args: []string{"cat", path}, Dirs: dirs, Timeout: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		return g.Wait()
	}
	res := run("/data/f.txt", []sandbox.Dir{{HostPath: dir, GuestPath: "/data", ReadOnly: true}})
	if res.ExitCode != 0 || string(res.Stdout) != secret {
		t.Fatalf("granted read: exit %d, stdout %q, stderr %q; want %q", res.ExitCode, res.Stdout, res.Stderr, secret)
	}
	// The same file without the grant: the oracle is the secret not coming back.
	res = run(filepath.Join(dir, "f.txt"), nil)
	if res.ExitCode == 0 || strings.Contains(string(res.Stdout), secret) {
		t.Fatalf("ungranted read succeeded: exit %d, stdout %q", res.ExitCode, res.Stdout)
	}
}

// The guest's environment is exactly what the Spec names plus the grants.
func TestCleanEnvironment(t *testing.T) {
	t.Setenv("CANARY_SECRET", "leaked")
	for _, name := range []string{"native", "wasi"} {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, name)
			g, err := r.Start(context.Background(), sandbox.Spec{
				Artifact: runners.Artifact(name, guest.Native, guest.Wasm),
				Args:     []string{"env"}, Env: []string{"A=1"}, Timeout: time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			res := g.Wait()
			if res.ExitCode != 0 || strings.TrimSpace(string(res.Stdout)) != "A=1" {
				t.Fatalf("env: exit %d, stdout %q, stderr %q; want exactly A=1", res.ExitCode, res.Stdout, res.Stderr)
			}
		})
	}
}

// Bad input is refused as an InputError, before anything is created.
func TestBadInput(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.wasm")
	os.WriteFile(empty, nil, 0o644)
	corrupt := filepath.Join(t.TempDir(), "corrupt.wasm")
	os.WriteFile(corrupt, []byte("\x00asm\x01\x00\x00\x00garbage"), 0o644)
	cases := []struct {
		runner, artifact string
		dirs             []sandbox.Dir
		want             string
	}{
		{"wasi", guest.Native, nil, "not a WebAssembly module"},
		{"native", guest.Wasm, nil, "is a WebAssembly module"},
		{"wasi", "/nonexistent/x.wasm", nil, "no such file"},
		{"wasi", empty, nil, "empty"},
		{"wasi", corrupt, nil, "not a valid WebAssembly module"},
		{"wasi", guest.Wasm, []sandbox.Dir{{HostPath: "/nonexistent-dir", GuestPath: "/d"}}, "no such file"},
	}
	for _, c := range cases {
		r := newRunner(t, c.runner)
		g, err := r.Start(context.Background(), sandbox.Spec{Artifact: c.artifact, Args: []string{"echo"}, Dirs: c.dirs})
		if err == nil {
			g.Stop()
			t.Errorf("%s %s: started, want refusal", c.runner, c.artifact)
			continue
		}
		if !usage.IsBadInput(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %q (bad input %v), want bad input containing %q", c.runner, c.artifact, err, usage.IsBadInput(err), c.want)
		}
	}
}

// A guest that never exits is killed at its timeout, in both worlds.
func TestTimeout(t *testing.T) {
	for _, name := range []string{"native", "wasi"} {
		t.Run(name, func(t *testing.T) {
			r := newRunner(t, name)
			g, err := r.Start(context.Background(), sandbox.Spec{
				Artifact: runners.Artifact(name, guest.Native, guest.Wasm),
				Args:     []string{"echo"}, Listen: []sandbox.Listen{{}}, Timeout: 2 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			res := g.Wait()
			if !res.TimedOut {
				t.Fatalf("not marked timed out: %+v", res)
			}
			if res.Wall > 30*time.Second {
				t.Fatalf("took %s to stop", res.Wall)
			}
		})
	}
}

// Limits hold from the native guest's first instruction: the kernel's own
// view of the guest's limits shows them.
func TestNativeLimits(t *testing.T) {
	r := newRunner(t, "native")
	g, err := r.Start(context.Background(), sandbox.Spec{
		Artifact: guest.Native, Args: []string{"cat", "/proc/self/limits"},
		Limits: sandbox.Limits{MemoryBytes: 256 << 20, Processes: 50}, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	res := g.Wait()
	if res.ExitCode != 0 {
		t.Fatalf("exit %d: %s", res.ExitCode, res.Stderr)
	}
	for _, want := range []string{`Max data size\s+268435456\s+268435456`, `Max processes\s+50\s+50`} {
		if !regexp.MustCompile(want).Match(res.Stdout) {
			t.Errorf("limits do not show %q:\n%s", want, res.Stdout)
		}
	}
}
