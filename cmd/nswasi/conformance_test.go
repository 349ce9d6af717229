package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/wasmtest"
)

// handMadeSuite writes a suite of two hand-made tests, one that passes
// and one that fails, and returns its folder.
func handMadeSuite(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hand")
	os.Mkdir(dir, 0o755)
	for name, b := range map[string][]byte{
		"ok.wasm":       wasmtest.Build(wasmtest.Program{Stdout: "hello"}),
		"ok.json":       []byte(`{"stdout": "hello"}`),
		"exit.wasm":     wasmtest.Build(wasmtest.Program{Exit: 7}),
		"manifest.json": []byte(`{"name": "hand-made"}`),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConformanceCommand(t *testing.T) {
	suite := handMadeSuite(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(nswasi, "conformance", "--wasi-host", "wazero", "--out", out, suite)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"| wazero | 1/2 | 1 | 0 | 0 |", "wrote " + out + "/conformance.json"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "wazero hand/exit: fail: exit code 7, want exit code 0") {
		t.Errorf("progress lacks the failure and its reason:\n%s", stderr.String())
	}
	res, err := results.LoadConformance(filepath.Join(out, results.ConformanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cases) != 2 || res.Expectations != nil || res.Environment.WazeroVersion == "" {
		t.Errorf("conformance.json: %d cases, expectations %v, wazero %q", len(res.Cases), res.Expectations, res.Environment.WazeroVersion)
	}
	if _, err := os.Stat(filepath.Join(out, "conformance.md")); err != nil {
		t.Error(err)
	}

	// Without --out the whole table is printed.
	b, err := exec.Command(nswasi, "conformance", "--wasi-host", "wazero", "--expectations", "none", suite).Output()
	if err != nil || !strings.Contains(string(b), "| hand | exit | **FAIL** |") {
		t.Errorf("%v; stdout:\n%s", err, b)
	}
}

func TestConformanceBadInput(t *testing.T) {
	suite := handMadeSuite(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	badJSON := filepath.Join(dir, "bad")
	os.Mkdir(badJSON, 0o755)
	os.WriteFile(filepath.Join(badJSON, "a.wasm"), wasmtest.Build(wasmtest.Program{}), 0o644)
	os.WriteFile(filepath.Join(badJSON, "a.json"), []byte(`{"operations": []}`), 0o644)
	notCreated := filepath.Join(dir, "not-created")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no folder", nil, "no testsuite folder given"},
		{"missing folder", []string{"/nonexistent"}, "no such file"},
		{"no tests", []string{t.TempDir()}, "no *.wasm tests"},
		{"file", []string{file}, "not a folder"},
		{"bad test json", []string{badJSON}, `unknown field "operations"`},
		{"unknown host", []string{"--wasi-host", "wazero,wasmtime", suite}, `WASI host "wasmtime"`},
		{"empty host", []string{"--wasi-host", "wazero,", suite}, "empty host name"},
		{"host twice", []string{"--wasi-host", "wazero,wazero", suite}, "wazero twice"},
		{"jobs", []string{"--jobs", "0", suite}, "--jobs 0"},
		{"timeout", []string{"--timeout", "-1s", suite}, "--timeout -1s"},
		{"engine", []string{"--engine", "jit", "--out", notCreated, suite}, `engine "jit"`},
		{"out is a file", []string{"--out", file, suite}, "not a directory"},
		{"missing expectations", []string{"--expectations", "/nonexistent.toml", suite}, "expectations /nonexistent.toml"},
		{"unknown flag", []string{"--frobnicate", suite}, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused(t, exec.Command(nswasi, append([]string{"conformance"}, c.args...)...), c.want)
		})
	}
	if _, err := os.Stat(notCreated); !os.IsNotExist(err) {
		t.Errorf("--out folder made on bad input: %v", err)
	}
}
