package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndSchemaCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, IsolationFile)
	in := &Isolation{SchemaVersion: SchemaVersion, Environment: CurrentEnvironment(), Runners: []string{"native"},
		Cells: []Cell{{Probe: "p", Runner: "native", Expected: Allowed, Observed: Denied, Mismatch: true}}}
	if err := WriteAtomic(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadIsolation(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Cells) != 1 || !out.Cells[0].Mismatch || out.Environment.GoVersion == "" {
		t.Fatalf("round trip lost data: %+v", out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	for _, c := range []struct{ body, want string }{
		{`{"schema_version": 99, "runs": []}`, "schema_version 99"},
		{`{"runs": []}`, "no schema_version"},
		{`{"schema_version": 1, "runz": []}`, "unknown field"},
		{`not json`, "not a result file"},
	} {
		os.WriteFile(p, []byte(c.body), 0o644)
		if _, err := LoadBench(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("load %q: error %v, want one containing %q", c.body, err, c.want)
		}
	}
}

// TestVersion1Upgrade: files written before WASI hosts were a dimension
// still load, and their WASI rows name the only host there was.
func TestVersion1Upgrade(t *testing.T) {
	p := filepath.Join(t.TempDir(), BenchFile)
	os.WriteFile(p, []byte(`{"schema_version": 1, "environment": {}, "runs": [
		{"scenario": "rr", "runner": "wasi+netns", "mode": "poll", "size": 64, "conns": 1, "engine": "compiler", "metric": "tps", "unit": "1/s", "reps": [1], "summary": {}},
		{"scenario": "rr", "runner": "netns", "mode": "poll", "size": 64, "conns": 1, "engine": "native", "metric": "tps", "unit": "1/s", "reps": [1], "summary": {}}]}`), 0o644)
	b, err := LoadBench(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.SchemaVersion != SchemaVersion || b.Runs[0].WASIHost != "wazero" || b.Runs[1].WASIHost != "" {
		t.Fatalf("version 1 upgraded to %d with hosts %q, %q; want wazero for wasi+netns only", b.SchemaVersion, b.Runs[0].WASIHost, b.Runs[1].WASIHost)
	}
	q := filepath.Join(t.TempDir(), IsolationFile)
	os.WriteFile(q, []byte(`{"schema_version": 1, "environment": {}, "probes": [], "runners": ["wasi"], "cells": [{"probe": "p", "runner": "wasi", "expected": "denied", "rationale": "", "evidence": "", "mismatch": false}]}`), 0o644)
	iso, err := LoadIsolation(q)
	if err != nil || iso.Cells[0].WASIHost != "wazero" {
		t.Fatalf("isolation v1: %v, %+v", err, iso)
	}
}

func TestHostCallMeanCI(t *testing.T) {
	// Calls of 10, 20 and 30 ns: mean 20, sd 10, half-width 1.96·10/√3.
	h := HostCall{Calls: 3, TotalNS: 60, SumSquaresNS2: 100 + 400 + 900}
	mean, half := h.MeanCI()
	if mean != 20 || half < 11.31 || half > 11.32 {
		t.Fatalf("MeanCI = %v ± %v, want 20 ± 11.316", mean, half)
	}
	if _, half := (HostCall{Calls: 3, TotalNS: 60}).MeanCI(); half != 0 {
		t.Fatalf("no sum of squares gives ± %v, want 0", half)
	}
}
