package wasirun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nswasi/nswasi/scenarios"
	"github.com/tetratelabs/wazero/sys"
)

// TestWasiContextInterruptsSpin shows that wazero itself stops a guest
// that loops forever without a single host call once the context ends, in
// both engines: the host process's own deadline works even if nswasi's
// SIGKILL at the timeout never came.
func TestWasiContextInterruptsSpin(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	g, err := scenarios.Build(ctx, dir)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range Engines {
		t.Run(engine, func(t *testing.T) {
			cfg := hostConfig{Module: g.Wasm, Args: []string{"spin"}, Engine: engine,
				CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}
			mod, err := instantiate(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			_, err = mod.start.Call(ctx)
			took := time.Since(t0)
			var exit *sys.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
				t.Fatalf("spin ended with %v, want sys.ExitError with ExitCodeDeadlineExceeded", err)
			}
			if took < 300*time.Millisecond || took > 5*time.Second {
				t.Errorf("interrupted after %s, want soon after the 300ms deadline", took)
			}
			t.Logf("%s: interrupted %s after start", engine, took.Round(time.Millisecond))
		})
	}
}
