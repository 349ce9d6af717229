package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReportCommand runs the built nswasi as a user would, on the
// synthetic fixtures in report/testdata.
func TestReportCommand(t *testing.T) {
	a, b := filepath.Join("..", "..", "report", "testdata", "hostA"), filepath.Join("..", "..", "report", "testdata", "hostB")
	out := filepath.Join(t.TempDir(), "both")
	cmd := exec.Command(nswasi, "report", a, b, "--out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nswasi report: %v\n%s", err, msg)
	}
	for _, f := range []string{"report.md", "report.html", "plots/throughput.svg", "plots/throughput.png", "plots/isolation-matrix.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}

	// Several directories without --out: one line, status 2, nothing written.
	dir := t.TempDir()
	cmd = exec.Command(nswasi, "report", a, b)
	cmd.Dir = dir
	msg, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || strings.Count(strings.TrimSpace(string(msg)), "\n") != 0 {
		t.Errorf("report without --out: %v, output %q; want status 2 and one line", err, msg)
	}
	for _, bad := range [][]string{{"report", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "o")}, {"compare", a}} {
		msg, err := exec.Command(nswasi, bad...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("nswasi %v: %v, %q; want status 2", bad, err, msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad input left %v behind", entries)
	}

	msg, err = exec.Command(nswasi, "compare", a, b).CombinedOutput()
	if err != nil {
		t.Fatalf("nswasi compare: %v\n%s", err, msg)
	}
	if !strings.Contains(string(msg), "significant") || !strings.Contains(string(msg), "Mann-Whitney") {
		t.Errorf("compare output:\n%s", msg)
	}
}

// TestReportMergesHosts merges a version-1 directory (WASI on wazero only)
// with a version-2 one holding both WASI hosts and a conformance.json, as
// a user would: both hosts are columns and series of their own.
func TestReportMergesHosts(t *testing.T) {
	a, b := filepath.Join("..", "..", "report", "testdata", "hostA"), filepath.Join("..", "..", "report", "testdata", "twohosts")
	out := filepath.Join(t.TempDir(), "merged")
	if msg, err := exec.Command(nswasi, "report", a, b, "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("nswasi report: %v\n%s", err, msg)
	}
	for _, f := range []string{"plots/wasi-hosts-vs-native.png", "plots/poll-oneoff-cost.png", "plots/isolation-matrix.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| probe (fixture-host-a) | native | netns | wasi (wazero) | wasi+netns (wazero) |",
		"| probe (fixture-two-hosts) | native | netns | wasi (wazero) | wasi (nswasi) | wasi+netns (wazero) | wasi+netns (nswasi) |",
		"## WASI conformance"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}
