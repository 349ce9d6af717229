package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
	"go.uber.org/goleak"
)

var (
	guest    scenarios.Guest
	guestDir string
)

func TestMain(m *testing.M) {
	wasirun.ServeIfHost() // the wasi runners and the limit shim re-execute this binary
	g, dir, err := testenv.BuildGuest()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	guest, guestDir = g, dir
	// goleak fails the whole binary if any test leaves a goroutine behind.
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		// The long soak (make soak) judges exactly its own objects; over
		// its minutes on a shared machine a whole-machine look would
		// judge other engineers' nswasi runs.
		if code == 0 && os.Geteuid() == 0 && os.Getenv("NSWASI_SOAK_STARTS") == "" {
			if err := testenv.CheckNoObjects(); err != nil {
				fmt.Fprintln(os.Stderr, "FAIL: after all tests:", err)
				code = 1
			}
		}
		os.Exit(code)
	}))
}

// cacheDir is shared with the runners tests so that compiled modules stay warm.
var cacheDir = filepath.Join(os.TempDir(), "nswasi-test-cache")

func newRunner(t testing.TB, name string) sandbox.Runner {
	t.Helper()
	if strings.Contains(name, "netns") {
		testenv.RequireRoot(t)
	}
	r, err := runners.New(name, runners.Config{Wasi: wasirun.Host{CacheDir: cacheDir}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func artifact(runner string) string {
	return runners.Artifact(runner, guest.Native, guest.Wasm)
}

// isWasi tells the WASI runners from the native ones.
func isWasi(runner string) bool { return strings.HasPrefix(runner, "wasi") }

// available lists the runners this test process can use: all four as
// root, the two without namespaces otherwise.
func available() []string {
	if os.Geteuid() == 0 {
		return runners.Names()
	}
	return []string{"native", "wasi"}
}
