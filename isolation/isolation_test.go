package isolation

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

var guest scenarios.Guest

func TestMain(m *testing.M) {
	os.Exit(testenv.Main(m, func(g scenarios.Guest) error {
		guest = g
		if os.Geteuid() != 0 {
			return nil
		}
		// Native guests run as uid 65534 and get their memory limit from
		// the limit shim, which is this test binary: it must be reachable
		// by that uid, but go test builds it in a 0700 directory.
		if err := openToOthers(os.Args[0]); err != nil {
			return fmt.Errorf("make the test binary executable for uid 65534: %w", err)
		}
		return nil
	}))
}

// openToOthers adds o+x to the directories above path inside the temp
// directory, and o+rx to path.
func openToOthers(path string) error {
	path, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := addMode(path, 0o005); err != nil {
		return err
	}
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Dir(path); strings.HasPrefix(d, tmp+"/"); d = filepath.Dir(d) {
		if err := addMode(d, 0o001); err != nil {
			return err
		}
	}
	return executableBy(path, Unprivileged.UID, Unprivileged.GID)
}

func addMode(p string, m os.FileMode) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	return os.Chmod(p, st.Mode().Perm()|m)
}

func config(t *testing.T) Config {
	return Config{
		Guest:  guest,
		Runner: runners.Config{Wasi: wasirun.Host{CacheDir: filepath.Join(os.TempDir(), "nswasi-test-cache")}},
		Out:    t.TempDir(),
	}
}

func run(t *testing.T, cfg Config) *results.Isolation {
	t.Helper()
	iso, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range iso.Cells {
		if c.Observed == "" {
			t.Errorf("%s under %s has no verdict: %s", c.Probe, c.Runner, c.Reason)
		}
	}
	testenv.NoObjects(t)
	return iso
}

// observed indexes a run of one WASI host by probe and runner.
func observed(iso *results.Isolation) map[[2]string]results.Cell {
	m := map[[2]string]results.Cell{}
	for _, c := range iso.Cells {
		m[[2]string{c.Probe, c.Runner}] = c
	}
	return m
}

// The baseline matrix is shared by the tests that compare against it.
var (
	baselineOnce sync.Once
	baselineISO  *results.Isolation
)

func baseline(t *testing.T) map[[2]string]results.Cell {
	t.Helper()
	testenv.RequireRoot(t)
	baselineOnce.Do(func() { baselineISO = run(t, config(t)) })
	if baselineISO == nil {
		t.Fatal("the baseline run failed")
	}
	return observed(baselineISO)
}

// What is certain by construction: positive controls are allowed
// everywhere, the native control allows what no sandbox stops, every cell
// has a verdict, and the files say what the run returned.
func TestMatrix(t *testing.T) {
	base := baseline(t)
	if len(base) != len(catalogue)*len(Runners) {
		t.Fatalf("%d cells, want %d", len(base), len(catalogue)*len(Runners))
	}
	// The progress total of nswasi run comes from Steps: one line per cell.
	if n := config(t).Steps(); len(baselineISO.Cells) != n {
		t.Errorf("%d cells written, Steps says %d", len(baselineISO.Cells), n)
	}
	for _, p := range []string{"accept-granted", "read-granted"} {
		for _, r := range Runners {
			if c := base[[2]string{p, r}]; c.Observed != results.Allowed {
				t.Errorf("positive control %s under %s: %s (%s)", p, r, c.Observed, c.Evidence)
			}
		}
	}
	for _, p := range []string{"connect-loopback", "connect-veth-host", "connect-tenant", "udp-send", "dns-canary",
		"listen-new", "list-interfaces", "proc-net-tcp", "write-readonly", "read-outside", "dotdot-traversal",
		"symlink-dir", "symlink-file", "create-outside", "exec-process"} {
		if c := base[[2]string{p, "native"}]; c.Observed != results.Allowed {
			t.Errorf("native control %s: %s, want allowed (%s)", p, c.Observed, c.Evidence)
		}
	}
	// Denials certain by construction: separate stacks, a sysfs mounted for
	// the namespace (as ip netns exec does), and WASI's missing socket calls.
	for _, cell := range [][2]string{{"connect-loopback", "netns"}, {"connect-tenant", "netns"}, {"proc-net-tcp", "netns"},
		{"list-interfaces", "netns"}, {"list-interfaces", "netns+fw"},
		{"connect-veth-host", "wasi"}, {"listen-new", "wasi"}, {"exec-process", "wasi"}, {"create-outside", "wasi"}} {
		if c := base[cell]; c.Observed != results.Denied {
			t.Errorf("%s under %s: %s, want denied (%s)", cell[0], cell[1], c.Observed, c.Evidence)
		}
	}
	for _, c := range base {
		if c.Mismatch != (c.Observed != c.Expected) {
			t.Errorf("%s under %s: mismatch flag %v with expected %s, observed %s", c.Probe, c.Runner, c.Mismatch, c.Expected, c.Observed)
		}
		if c.Rationale == "" || c.Evidence == "" {
			t.Errorf("%s under %s: empty rationale or evidence", c.Probe, c.Runner)
		}
	}
	if _, ok := os.LookupEnv(EnvCanary); ok {
		t.Errorf("%s still set after the run", EnvCanary)
	}
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), "nswasi-isolation-*"))
	if len(matches) > 0 {
		t.Errorf("fixture left behind: %v", matches)
	}
}

// Each planted leak must flip exactly the verdicts that depend on it, and
// nothing else among the probes run with it.
func TestPlantedLeaks(t *testing.T) {
	base := baseline(t)
	cases := []struct {
		name    string
		leaks   Leaks
		runners []string
		probes  []string
		flips   []string // probe/runner
	}{
		{"grant the outside directory", Leaks{OutsideDir: true}, []string{"wasi", "wasi+netns"},
			[]string{"read-granted", "write-readonly", "read-outside", "dotdot-traversal", "create-outside"},
			[]string{"read-outside/wasi", "read-outside/wasi+netns"}},
		{"grant the environment variable", Leaks{Env: true}, Runners,
			[]string{"env-canary", "fds-ungranted"},
			[]string{"env-canary/native", "env-canary/netns", "env-canary/netns+fw", "env-canary/wasi", "env-canary/wasi+netns"}},
		{"remove the firewall", Leaks{NoFirewall: true}, []string{"netns+fw"},
			[]string{"accept-granted", "connect-loopback", "connect-veth-host", "connect-tenant", "udp-send", "dns-canary", "listen-new", "raw-socket"},
			[]string{"connect-veth-host/netns+fw", "udp-send/netns+fw", "dns-canary/netns+fw", "listen-new/netns+fw"}},
		{"grant a second listener", Leaks{SecondListener: true}, []string{"netns+fw", "wasi", "wasi+netns"},
			[]string{"accept-granted", "listen-new", "connect-loopback"},
			[]string{"listen-new/netns+fw", "listen-new/wasi", "listen-new/wasi+netns"}},
		{"remove the memory limit", Leaks{NoMemoryLimit: true}, Runners,
			[]string{"alloc-limit"},
			[]string{"alloc-limit/native", "alloc-limit/netns", "alloc-limit/netns+fw", "alloc-limit/wasi", "alloc-limit/wasi+netns"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config(t)
			cfg.Leaks, cfg.Runners, cfg.Probes = tc.leaks, tc.runners, tc.probes
			iso := run(t, cfg)
			var flipped []string
			for _, c := range iso.Cells {
				b := base[[2]string{c.Probe, c.Runner}]
				if c.Observed != b.Observed {
					flipped = append(flipped, c.Probe+"/"+c.Runner)
					if c.Observed != results.Allowed {
						t.Errorf("%s under %s flipped to %s: a leak can only allow (%s)", c.Probe, c.Runner, c.Observed, c.Evidence)
					}
				}
			}
			sort.Strings(flipped)
			want := append([]string(nil), tc.flips...)
			sort.Strings(want)
			if strings.Join(flipped, " ") != strings.Join(want, " ") {
				t.Errorf("flipped %v, want exactly %v", flipped, want)
				for _, c := range iso.Cells {
					t.Logf("%s/%s: %s: %s", c.Probe, c.Runner, c.Observed, c.Evidence)
				}
			}
		})
	}
}

// As root, a native guest may open raw sockets and read nswasi's
// /proc/PID/environ; the expectations say so, and the oracles see it.
func TestAsRoot(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := config(t)
	cfg.AsRoot = true
	cfg.Runners = []string{"native", "netns", "netns+fw"}
	cfg.Probes = []string{"raw-socket", "env-canary"}
	iso := run(t, cfg)
	want := map[[2]string]string{
		{"raw-socket", "native"}: results.Allowed, {"raw-socket", "netns"}: results.Allowed, {"raw-socket", "netns+fw"}: results.Denied,
		{"env-canary", "native"}: results.Allowed, {"env-canary", "netns"}: results.Allowed, {"env-canary", "netns+fw"}: results.Allowed,
	}
	for k, c := range observed(iso) {
		if c.Observed != want[k] || c.Expected != want[k] {
			t.Errorf("%s under %s as root: expected %s, observed %s, want both %s (%s)", k[0], k[1], c.Expected, c.Observed, want[k], c.Evidence)
		}
	}
}

// An interrupted run keeps the cells it finished in a file marked partial,
// starts no more, and leaves nothing behind.
func TestInterrupted(t *testing.T) {
	testenv.RequireRoot(t)
	cfg := config(t)
	cfg.Runners = []string{"native", "netns"}
	cfg.Probes = []string{"accept-granted", "connect-loopback"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cells := 0
	cfg.Progress = writerFunc(func(p []byte) (int, error) {
		if cells++; cells == 2 {
			cancel()
		}
		return len(p), nil
	})
	_, err := Run(ctx, cfg)
	if err == nil {
		t.Fatal("Run returned no error after cancellation")
	}
	iso, err := results.LoadIsolation(filepath.Join(cfg.Out, results.IsolationFile))
	if err != nil {
		t.Fatal(err)
	}
	// Cells run in parallel: the cells in flight when the second one
	// finished may finish too, and are kept; those not started are not.
	if !iso.Partial || len(iso.Cells) < 2 || len(iso.Cells) >= 4 {
		t.Errorf("partial=%v with %d cells, want partial with 2 or 3 of 4", iso.Partial, len(iso.Cells))
	}
	for _, c := range iso.Cells {
		if c.Observed == "" && c.Reason == "" {
			t.Errorf("%s under %s kept without a verdict or a reason", c.Probe, c.Runner)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "isolation.md")); err != nil {
		t.Error(err)
	}
	testenv.NoObjects(t)
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// The matrix marks mismatches and cells without a verdict, and the report
// explains every mismatch.
func TestRender(t *testing.T) {
	iso := &results.Isolation{
		Runners: []string{"native", "wasi"},
		Probes:  []results.ProbeInfo{{Name: "p"}},
		Cells: []results.Cell{
			{Probe: "p", Runner: "native", Expected: results.Allowed, Observed: results.Allowed, Evidence: "e1"},
			{Probe: "p", Runner: "wasi", Expected: results.Denied, Observed: results.Allowed, Mismatch: true, Rationale: "promise", Evidence: "the secret came back"},
		},
	}
	tab := Table(iso)
	if !strings.Contains(tab, "allowed !") || !strings.Contains(tab, "1 mismatches") {
		t.Errorf("table does not mark the mismatch:\n%s", tab)
	}
	md := Markdown(iso)
	if !strings.Contains(md, "### p under wasi: expected denied, observed allowed") || !strings.Contains(md, "the secret came back") {
		t.Errorf("markdown does not explain the mismatch:\n%s", md)
	}
	iso.Cells[1] = results.Cell{Probe: "p", Runner: "wasi", Expected: results.Denied, Reason: "needs root"}
	if tab := Table(iso); !strings.Contains(tab, "-") || !strings.Contains(tab, "1 without a verdict") {
		t.Errorf("table does not mark the cell without a verdict:\n%s", tab)
	}
}

func TestParseLists(t *testing.T) {
	if _, err := ParseProbes("read-outside,nope"); err == nil || !strings.Contains(err.Error(), `unknown probe "nope"`) {
		t.Errorf("ParseProbes: %v", err)
	}
	if rs, err := ParseRunners(""); err != nil || len(rs) != len(Runners) {
		t.Errorf("ParseRunners(\"\") = %v, %v", rs, err)
	}
	if _, err := ParseRunners("docker"); err == nil {
		t.Error("ParseRunners accepted docker")
	}
}

// The file-system probes under both WASI hosts, judged from outside:
// nswasi's host keeps every path beneath its preopen, symbolic links
// included; wazero's follows links out (a finding, see docs/findings.md),
// and both refuse ".." and read only what is granted.
func TestWASIHostsFileSystem(t *testing.T) {
	want := map[string]map[string]string{
		wasirun.HostNswasi: {"read-granted": results.Allowed, "read-outside": results.Denied, "dotdot-traversal": results.Denied,
			"symlink-file": results.Denied, "symlink-dir": results.Denied, "write-readonly": results.Denied, "create-outside": results.Denied},
		wasirun.HostWazero: {"read-granted": results.Allowed, "read-outside": results.Denied, "dotdot-traversal": results.Denied,
			"symlink-file": results.Allowed, "symlink-dir": results.Allowed, "write-readonly": results.Denied, "create-outside": results.Denied},
	}
	for host, cells := range want {
		t.Run(host, func(t *testing.T) {
			cfg := config(t)
			cfg.Runner.Wasi.WASIHost = host
			cfg.Runners = []string{"wasi"}
			for p := range cells {
				cfg.Probes = append(cfg.Probes, p)
			}
			iso := run(t, cfg)
			for _, c := range iso.Cells {
				if c.Observed != cells[c.Probe] {
					t.Errorf("%s under wasi (%s): %s, want %s (%s)", c.Probe, host, c.Observed, cells[c.Probe], c.Evidence)
				}
				if c.WASIHost != host {
					t.Errorf("%s: cell records WASI host %q, want %q", c.Probe, c.WASIHost, host)
				}
			}
		})
	}
}

// Two WASI hosts are two columns, in the run's host order, whatever order
// the cells finished in; native runners keep one column.
func TestRenderTwoHosts(t *testing.T) {
	iso := &results.Isolation{
		Runners:   []string{"native", "wasi"},
		WASIHosts: []string{"wazero", "nswasi"},
		Probes:    []results.ProbeInfo{{Name: "symlink-file"}},
		Cells: []results.Cell{
			{Probe: "symlink-file", Runner: "native", Expected: results.Allowed, Observed: results.Allowed},
			{Probe: "symlink-file", Runner: "wasi", WASIHost: "nswasi", Expected: results.Denied, Observed: results.Denied},
			{Probe: "symlink-file", Runner: "wasi", WASIHost: "wazero", Expected: results.Denied, Observed: results.Allowed, Mismatch: true},
		},
	}
	if got := strings.Join(Columns(iso), ","); got != "native,wasi (wazero),wasi (nswasi)" {
		t.Fatalf("columns %q", got)
	}
	tab := Table(iso)
	if !strings.Contains(tab, "WASI (WAZERO)") || !strings.Contains(tab, "allowed !      denied") {
		t.Errorf("table:\n%s", tab)
	}
	if md := Markdown(iso); !strings.Contains(md, "| symlink-file | allowed | **allowed !** | denied |") ||
		!strings.Contains(md, "### symlink-file under wasi (wazero)") {
		t.Errorf("markdown:\n%s", md)
	}
}
