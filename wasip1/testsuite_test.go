package wasip1_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/nswasi/nswasi/conformance"
	"github.com/nswasi/nswasi/wasip1"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"
)

// TestTestsuiteWithoutOpenat2 runs the WebAssembly WASI testsuite against
// the host with path resolution forced onto the user-space walk, the
// resolver of kernels without openat2. (The conformance package runs the
// same suite through the ordinary runner, where this kernel's openat2
// resolves.) The suite is the one CI keeps beside the clone.
func TestTestsuiteWithoutOpenat2(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "wasi-testsuite")
	if d := os.Getenv("NSWASI_WASI_TESTSUITE"); d != "" {
		root = d
	}
	dirs, err := conformance.Discover([]string{root})
	if err != nil {
		t.Skipf("SKIP (no WASI testsuite at %s: %v): set NSWASI_WASI_TESTSUITE to run it", root, err)
	}
	wasip1.SetWalkOnly(true)
	t.Cleanup(func() { wasip1.SetWalkOnly(false) })
	ctx := context.Background()
	cache := wazero.NewCompilationCache()
	defer cache.Close(ctx)
	ran := 0
	for _, d := range dirs {
		suite, err := conformance.LoadSuite(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, test := range suite.Tests {
			t.Run(filepath.Base(d)+"/"+test.Name, func(t *testing.T) {
				out := runTest(t, ctx, cache, suite, test)
				if v := conformance.Judge(test.TestConfig, out); v.Outcome != "pass" {
					t.Errorf("%s: %v\nstderr: %s", v.Outcome, v.Reasons, out.Stderr)
				}
			})
			ran++
		}
	}
	if ran == 0 {
		t.Fatalf("no tests found under %s", root)
	}
}

// runTest runs one test in this process: fresh copies of its folders,
// stdout and stderr into files, the exit status as a host would report it.
func runTest(t *testing.T, ctx context.Context, cache wazero.CompilationCache, suite *conformance.Suite, test conformance.Test) conformance.Output {
	tmp := t.TempDir()
	var dirs []wasip1.Dir
	preopen := func(name, guest string) {
		dst := filepath.Join(tmp, fmt.Sprint(len(dirs)))
		if err := conformance.CopyRoot(filepath.Join(suite.Dir, name), dst); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, wasip1.Dir{HostPath: dst, GuestPath: guest})
	}
	if test.Root != "" {
		preopen(test.Root, "/")
	}
	for _, d := range test.Dirs {
		preopen(d, d)
	}
	stdout, _ := os.Create(filepath.Join(tmp, "stdout"))
	stderr, _ := os.Create(filepath.Join(tmp, "stderr"))
	defer stdout.Close()
	defer stderr.Close()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().WithCompilationCache(cache))
	defer r.Close(ctx)
	h, err := wasip1.Instantiate(ctx, r, wasip1.Config{
		Args: append([]string{test.Name + ".wasm"}, test.Args...), Env: test.EnvList(),
		Stdout: stdout, Stderr: stderr, Dirs: dirs,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	bin, err := os.ReadFile(test.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	var o conformance.Output
	_, err = r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(""))
	var exit *sys.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		o.ExitCode = int(exit.ExitCode())
	default:
		o.ExitCode = 70
		fmt.Fprintf(stderr, "nswasi: guest trapped: %v\n", err)
	}
	o.Stdout, _ = os.ReadFile(stdout.Name())
	o.Stderr, _ = os.ReadFile(stderr.Name())
	return o
}
