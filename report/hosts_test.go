package report

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// A version-1 directory (its WASI runs were wazero's) and a version-2 one
// with both WASI hosts merge into one report in which every WASI runner
// appears once per host.
func TestReportMergesOneAndTwoHosts(t *testing.T) {
	d, err := Load("testdata/hostA", "testdata/twohosts")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Sources[0].Bench.Runs {
		if r.IsWASI() && r.WASIHost != "wazero" {
			t.Fatalf("version-1 run %s under %s loaded with host %q, want wazero", r.Scenario, r.Runner, r.WASIHost)
		}
	}
	out := t.TempDir()
	figs, err := Write(d, out)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Figure{}
	for _, f := range figs {
		byName[f.Name] = f
	}
	for _, n := range []string{"wasi-hosts-vs-native", "poll-oneoff-cost", "isolation-matrix"} {
		if byName[n] == nil {
			t.Fatalf("figure %s not drawn", n)
		}
		checkSVG(t, filepath.Join(out, PlotsDir, n+".svg"))
		checkPNG(t, filepath.Join(out, PlotsDir, n+".png"))
	}
	var legend []string
	for _, e := range byName["wasi-hosts-vs-native"].legend {
		legend = append(legend, e.name)
	}
	if got, want := strings.Join(legend, ", "), "wasi (wazero), wasi (nswasi), wasi+netns (wazero), wasi+netns (nswasi), native counterpart = 1"; got != want {
		t.Errorf("host comparison legend %q, want %q", got, want)
	}
	md := read(t, filepath.Join(out, MarkdownFile))
	for _, want := range []string{
		// The isolation matrix as a table, one column per runner-and-host.
		"| probe (fixture-two-hosts) | native | netns | wasi (wazero) | wasi (nswasi) | wasi+netns (wazero) | wasi+netns (nswasi) |",
		"| symlink-escape | allowed | allowed | allowed ! (expected denied) | denied | allowed ! (expected denied) | denied |",
		// The version-1 file's WASI columns are wazero's.
		"| probe (fixture-host-a) | native | netns | wasi (wazero) | wasi+netns (wazero) |",
		// The conformance table and its failures.
		"## WASI conformance",
		"| wazero | WASI Rust tests | 8 | 6 | 2 | 0 | 0 |",
		"| nswasi | all suites | 12 | 12 | 0 | 0 | 0 |",
		"| wazero | WASI C tests | synthetic\\_test\\_03 | timeout | no | SYNTHETIC: killed after 10s |",
		"WASI testsuite: wazero passed 9 of 12 (2 fail, 1 timeout); nswasi passed 12 of 12.",
		// The stream ratio table has a column per WASI runner-and-host, each over its counterpart.
		"| wasi (wazero) / native | wasi (nswasi) / native | wasi+netns (wazero) / netns | wasi+netns (nswasi) / netns |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks\n  %s", want)
		}
	}
}

// The findings quote each WASI runner-and-host's ratio to its native
// counterpart with its Fieller interval, computed here from the fixture's
// repetitions, and name size, connections, engine and host.
func TestHostRatioFindingsCarryTheirNumbers(t *testing.T) {
	d, err := Load("testdata/twohosts")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(findings(d), "\n")
	runs := runsOf(d.Sources[0], "stream")
	get := func(label, mode string) results.Run {
		r, found := find(onlyDirection(runs, "in"), label, mode, 128<<10)
		if !found {
			t.Fatalf("no stream in run of %s / %s", label, mode)
		}
		return r
	}
	want := "Poll mode, stream in (driver → guest) (128 KiB, 1 connection, engine compiler): WASI ran "
	for i, c := range []struct{ label, base string }{
		{"wasi (wazero)", "native"}, {"wasi (nswasi)", "native"}, {"wasi+netns (wazero)", "netns"}, {"wasi+netns (nswasi)", "netns"},
	} {
		r := fieller(get(c.label, "poll").Reps, get(c.base, "poll").Reps)
		if !r.bounded {
			t.Fatalf("%s: no bounded interval in the fixture", c.label)
		}
		if i > 0 {
			want += "; "
		}
		want += fmt.Sprintf("%s at %s× %s poll (95%% CI %s–%s)", c.label, ratioCell(r.value), c.base, ratioCell(r.lo), ratioCell(r.hi))
	}
	if !strings.Contains(text, want+".") {
		t.Errorf("findings lack\n  %s.\ngot:\n%s", want, text)
	}
	// nswasi's host is faster than wazero's in poll mode in this fixture,
	// and netpoll fails under wazero only.
	if !strings.Contains(text, "Netpoll mode, stream in (driver → guest) (128 KiB, 1 connection, engine compiler): WASI ran wasi (nswasi) at ") ||
		!strings.Contains(text, "failed under wasi (wazero), wasi+netns (wazero).") {
		t.Errorf("netpoll finding does not say which host failed:\n%s", text)
	}
	// poll_oneoff's cost per host, with its interval.
	hc := func(label string) results.HostCall {
		for _, r := range d.Sources[0].Bench.Runs {
			if r.Traced && r.Label() == label && r.Scenario == "rr" && r.Mode == "poll" {
				return r.Hostcalls["poll_oneoff"]
			}
		}
		t.Fatalf("no traced rr poll run of %s", label)
		return results.HostCall{}
	}
	for _, l := range []string{"wasi (wazero)", "wasi (nswasi)"} {
		mean, half := hc(l).MeanCI()
		if half == 0 {
			t.Fatalf("%s: the fixture has no spread", l)
		}
		w := fmt.Sprintf("%s / poll, 64 B, 1 connection, engine compiler: %s ± %s per call", l, durationNS(mean), durationNS(half))
		if !strings.Contains(text, w) {
			t.Errorf("findings lack %q:\n%s", w, text)
		}
	}
}

// The isolation matrix has a column per runner-and-host built from the
// cells, though Isolation.Runners names each runner once.
func TestIsolationColumnsPerHost(t *testing.T) {
	d, err := Load("testdata/twohosts")
	if err != nil {
		t.Fatal(err)
	}
	g := newIsoGrid(d.Sources[0].Isolation)
	if got, want := strings.Join(g.runners, ", "), "native, netns, wasi (wazero), wasi (nswasi), wasi+netns (wazero), wasi+netns (nswasi)"; got != want {
		t.Errorf("columns %q, want %q", got, want)
	}
	for col, verdict := range map[string]string{"wasi (wazero)": results.Allowed, "wasi (nswasi)": results.Denied} {
		if c := g.cells[[2]string{"symlink-escape", col}]; c.Observed != verdict {
			t.Errorf("symlink-escape under %s: %q, want %q", col, c.Observed, verdict)
		}
	}
	// A runner listed without a cell still gets its column.
	iso := *d.Sources[0].Isolation
	iso.Runners = append(append([]string(nil), iso.Runners...), "netns+fw")
	if g := newIsoGrid(&iso); g.runners[len(g.runners)-1] != "netns+fw" {
		t.Errorf("a listed runner without cells lost its column: %v", g.runners)
	}
}

// compare keeps the two hosts' runs apart: a run key names the host.
func TestCompareKeepsHostsApart(t *testing.T) {
	d, err := Load("testdata/twohosts")
	if err != nil {
		t.Fatal(err)
	}
	s := d.Sources[0]
	c := Compare(s, s)
	n := 0
	for _, r := range s.Bench.Runs {
		if ok(r) {
			n++
		}
	}
	if len(c.Changes) != n {
		t.Errorf("%d runs compared, %d runs have repetitions: keys collide", len(c.Changes), n)
	}
	found := false
	for _, ch := range c.Changes {
		if strings.HasPrefix(ch.Key, "stream in wasi (nswasi) poll ") {
			found = true
		}
	}
	if !found {
		t.Error("no compare key names the nswasi host")
	}
}
