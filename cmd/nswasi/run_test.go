package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/testenv"
)

// tinyExperiment is small enough for a test: two probes, one workload;
// the pipeline's tests run it too.
var tinyExperiment = func() string {
	b, err := os.ReadFile(filepath.Join("..", "..", "pipeline", "testdata", "tiny.yaml"))
	if err != nil {
		panic(err)
	}
	return string(b)
}()

func writeExperiment(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exp.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run, end to end: isolation, bench and report from one experiment file,
// the experiment saved beside the results, nothing left behind.
func TestRunTinyExperiment(t *testing.T) {
	testenv.RequireRoot(t)
	exp := writeExperiment(t, tinyExperiment)
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(nswasi, "run", "--experiment", exp, "--out", out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nswasi run: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "report: "+filepath.Join(out, "report.html")) {
		t.Errorf("run does not end by saying where the report is:\n%s", b)
	}
	if !strings.Contains(string(b), "estimated duration on a quiet 2-core machine: ") {
		t.Errorf("run does not say its estimated duration before it starts:\n%s", b)
	}
	for _, f := range []string{"experiment.yaml", "experiment.resolved.yaml", "isolation.json", "isolation.md",
		"results.json", "bench.txt", "report.md", "report.html", "plots/isolation-matrix.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: missing or empty (%v)", f, err)
		}
	}
	saved, _ := os.ReadFile(filepath.Join(out, "experiment.yaml"))
	if string(saved) != tinyExperiment {
		t.Errorf("experiment.yaml is not the file as given:\n%s", saved)
	}
	iso, err := results.LoadIsolation(filepath.Join(out, "isolation.json"))
	// 2 probes × (native + wasi under each of the two WASI hosts, the
	// default of an experiment that names none).
	if err != nil || len(iso.Cells) != 6 || iso.Partial {
		t.Fatalf("isolation.json: %v, %+v", err, iso)
	}
	bench, err := results.LoadBench(filepath.Join(out, "results.json"))
	if err != nil || len(bench.Runs) < 3 || bench.Partial {
		t.Fatalf("results.json: %v, %d runs", err, len(bench.Runs))
	}
	hosts := map[string]bool{}
	for _, r := range bench.Runs {
		if r.Runner == "wasi" && r.Scenario == "rr" {
			hosts[r.WASIHost] = true
		}
	}
	if !hosts["wazero"] || !hosts["nswasi"] {
		t.Errorf("rr under wasi ran under WASI hosts %v, want wazero and nswasi", hosts)
	}
	testenv.NoObjects(t)

	// The same --out again is refused unless --force.
	b, err = exec.Command(nswasi, "run", "--experiment", exp, "--out", out).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(b), "exists") {
		t.Errorf("second run into the same --out: %v\n%s", err, b)
	}
}

// An invalid experiment is refused before anything runs: one line naming
// file, line and field, exit 2, no output directory.
func TestRunBadExperiment(t *testing.T) {
	exp := writeExperiment(t, "bench:\n  reps: 3\n  colour: red\n")
	out := filepath.Join(t.TempDir(), "never")
	b, err := exec.Command(nswasi, "run", "--experiment", exp, "--out", out).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit: %v, want 2\n%s", err, b)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], exp+":3: bench.colour: unknown key") {
		t.Errorf("output %q: want one line naming file, line and field", b)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("bad experiment created %s", out)
	}
}

// Ctrl-C mid-run keeps the finished results, makes a report marked
// partial, exits 130 and leaves no kernel object.
func TestRunInterrupted(t *testing.T) {
	testenv.RequireRoot(t)
	exp := writeExperiment(t, `name: long
bench:
  scenarios: [idle]
  runners: [native, netns, wasi, wasi+netns]
  modes: [blocking, nonblocking]
  reps: 3
  duration: 1s
  warmup: 10ms
`)
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(nswasi, "run", "--experiment", exp, "--out", out)
	var outBuf strings.Builder
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	resultsFile := filepath.Join(out, "results.json")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := results.LoadBench(resultsFile); err == nil && len(b.Runs) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no finished run within 2 minutes:\n%s", outBuf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit after SIGINT: %v, want 130\n%s", err, outBuf.String())
	}
	b, err := results.LoadBench(resultsFile)
	if err != nil || len(b.Runs) < 1 || !b.Partial {
		t.Fatalf("after SIGINT results.json: err %v, runs %d, partial %v", err, len(b.Runs), b != nil && b.Partial)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
		t.Errorf("no report after SIGINT: %v\n%s", err, outBuf.String())
	}
	md, _ := os.ReadFile(filepath.Join(out, "report.md"))
	if !strings.Contains(strings.ToLower(string(md)), "partial") {
		t.Errorf("report.md does not say the results are partial")
	}
	testenv.NoObjects(t)
}
