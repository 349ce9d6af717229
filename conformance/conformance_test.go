package conformance

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/internal/wasmtest"
	"github.com/nswasi/nswasi/wasirun"
)

func TestMain(m *testing.M) {
	wasirun.ServeIfHost() // the WASI runner re-executes this binary as its host
	os.Exit(m.Run())
}

// cacheDir is shared with the other packages' tests so that compiled
// modules stay warm between test functions and runs.
var cacheDir = filepath.Join(os.TempDir(), "nswasi-test-cache")

func str(s string) *string { return &s }

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name string
		json string
		want TestConfig
		err  string
	}{
		{"empty object", `{}`, TestConfig{}, ""},
		{"all fields", `{"args": ["a", "b c"], "env": {"K": "v\n\"w"}, "root": "fs-tests.dir", "exit_code": 33, "stdout": "hello", "stderr": ""}`,
			TestConfig{Args: []string{"a", "b c"}, Env: map[string]string{"K": "v\n\"w"}, Root: "fs-tests.dir", ExitCode: 33, Stdout: str("hello"), Stderr: str("")}, ""},
		{"empty args", `{"root": "d", "args": []}`, TestConfig{Args: []string{}, Root: "d"}, ""},
		{"upstream dirs", `{"dirs": ["fs-tests.dir"], "args": ["fs-tests.dir"]}`, TestConfig{Dirs: []string{"fs-tests.dir"}, Args: []string{"fs-tests.dir"}}, ""},
		{"dirs outside", `{"dirs": ["ok", "../up"]}`, TestConfig{}, "beside the test"},
		{"unknown field", `{"operations": []}`, TestConfig{}, `unknown field "operations"`},
		{"wrong type", `{"exit_code": "1"}`, TestConfig{}, "cannot unmarshal"},
		{"not json", `exit_code=1`, TestConfig{}, "invalid character"},
		{"trailing", `{} {}`, TestConfig{}, "trailing data"},
		{"env name with =", `{"env": {"A=B": "c"}}`, TestConfig{}, "env"},
		{"empty env name", `{"env": {"": "c"}}`, TestConfig{}, "env"},
		{"root outside", `{"root": "../up"}`, TestConfig{}, "beside the test"},
		{"root absolute", `{"root": "/etc"}`, TestConfig{}, "beside the test"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(c.json))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestEnvList(t *testing.T) {
	c := TestConfig{Env: map[string]string{"b": "2", "a": "x=y", "c": ""}}
	if got, want := c.EnvList(), []string{"a=x=y", "b=2", "c="}; !reflect.DeepEqual(got, want) {
		t.Errorf("EnvList %q, want %q", got, want)
	}
}

func TestJudge(t *testing.T) {
	trapStderr := []byte("thread 'main' (1) panicked at src/bin/x.rs:3:5:\nexpected errno SUCCESS; got NOTSUP\nnote: run with `RUST_BACKTRACE=1`\n" + trapLine + " wasm error: unreachable\nwasm stack trace:\n\tx.wasm.abort()\n")
	cases := []struct {
		name    string
		cfg     TestConfig
		out     Output
		outcome string
		reasons []string // substrings, one per reason, in order
		trapped bool
	}{
		{"defaults pass", TestConfig{}, Output{Stdout: []byte("anything")}, results.Pass, nil, false},
		{"exit code", TestConfig{}, Output{ExitCode: 3}, results.Fail, []string{"exit code 3, want exit code 0"}, false},
		{"wanted exit code", TestConfig{ExitCode: 33}, Output{ExitCode: 33}, results.Pass, nil, false},
		{"stdout", TestConfig{Stdout: str("hello")}, Output{Stdout: []byte("help")}, results.Fail,
			[]string{`stdout differs: got 4 bytes, want 5; first difference at byte 3: got "p", want "lo"`}, false},
		{"stdout longer", TestConfig{Stdout: str("hi")}, Output{Stdout: []byte("hi\n")}, results.Fail,
			[]string{`first difference at byte 2: got "\n", want end of output`}, false},
		{"stderr", TestConfig{Stderr: str("")}, Output{Stderr: []byte("oops\n")}, results.Fail,
			[]string{"stderr differs: got 5 bytes, want 0", "guest stderr: oops"}, false},
		{"trap", TestConfig{}, Output{ExitCode: wasirun.ExitTrap, Stderr: trapStderr}, results.Fail,
			[]string{"trapped (wasm error: unreachable), want exit code 0", "guest stderr: thread 'main' (1) panicked at src/bin/x.rs:3:5: expected errno SUCCESS; got NOTSUP"}, true},
		{"exit 70 without trap", TestConfig{ExitCode: 70}, Output{ExitCode: wasirun.ExitTrap}, results.Pass, nil, false},
		{"C assertion", TestConfig{}, Output{ExitCode: wasirun.ExitTrap, Stderr: []byte("Assertion failed: size == 3 (x.c: main: 24)\n" + trapLine + " wasm error: unreachable\n")}, results.Fail,
			[]string{"trapped", "guest stderr: Assertion failed: size == 3"}, true},
		{"timeout", TestConfig{}, Output{ExitCode: -1, TimedOut: true, Timeout: time.Second}, results.Timeout, []string{"timeout: still running after 1s"}, false},
		{"host deadline", TestConfig{}, Output{ExitCode: wasirun.ExitDeadline, Stderr: []byte(deadlineLine + " 1s passed\n"), Timeout: time.Second}, results.Timeout, []string{"timeout"}, false},
		{"exit 124 by the guest", TestConfig{ExitCode: 124}, Output{ExitCode: wasirun.ExitDeadline}, results.Pass, nil, false},
		{"host error", TestConfig{}, Output{HostErr: errors.New("wasi host: wasip1: not implemented\nyet")}, results.HostError, []string{"host error: wasi host: wasip1: not implemented yet"}, false},
		{"signal", TestConfig{}, Output{ExitCode: -1, Signal: "killed"}, results.HostError, []string{"killed by killed"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Judge(c.cfg, c.out)
			if v.Outcome != c.outcome || v.Trapped != c.trapped {
				t.Fatalf("outcome %s trapped %v, want %s %v (reasons %q)", v.Outcome, v.Trapped, c.outcome, c.trapped, v.Reasons)
			}
			if len(v.Reasons) != len(c.reasons) {
				t.Fatalf("reasons %q, want %d containing %q", v.Reasons, len(c.reasons), c.reasons)
			}
			for i, r := range c.reasons {
				if !strings.Contains(v.Reasons[i], r) {
					t.Errorf("reason %d %q, want it to contain %q", i, v.Reasons[i], r)
				}
			}
		})
	}
}

func TestClipKeepsCharacters(t *testing.T) {
	if got := clip("aé", 2); got != "a…" {
		t.Errorf("clip cut a character: %q", got)
	}
}

// writeSuite makes a suite folder: files maps a path to its content.
func writeSuite(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for p, b := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadSuite(t *testing.T) {
	mod := wasmtest.Build(wasmtest.Program{})
	dir := writeSuite(t, map[string][]byte{
		"b.wasm":             mod,
		"a.wasm":             mod,
		"a.json":             []byte(`{"root": "fs", "exit_code": 2}`),
		"fs/file":            nil,
		"manifest.json":      []byte(`{"name": "Hand-made tests [wasm32-wasip1]", "version": "wasm32-wasip1"}`),
		"not-a-test.wat":     nil,
		"sub/ignored.wasm":   mod,
		"other.json-is-fine": nil,
	})
	s, err := LoadSuite(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Hand-made tests [wasm32-wasip1]" {
		t.Errorf("name %q", s.Name)
	}
	if len(s.Tests) != 2 || s.Tests[0].Name != "a" || s.Tests[1].Name != "b" {
		t.Fatalf("tests %+v, want a and b", s.Tests)
	}
	if s.Tests[0].Root != "fs" || s.Tests[0].ExitCode != 2 || s.Tests[1].Root != "" {
		t.Errorf("configs %+v %+v", s.Tests[0].TestConfig, s.Tests[1].TestConfig)
	}

	noManifest := writeSuite(t, map[string][]byte{"x.wasm": mod})
	if s, err := LoadSuite(noManifest); err != nil || s.Name != noManifest {
		t.Errorf("without manifest: %v, name %q, want the folder", err, s.Name)
	}

	for name, files := range map[string]map[string][]byte{
		"no tests":     {"a.json": []byte(`{}`)},
		"bad json":     {"a.wasm": mod, "a.json": []byte(`{"exit_code": }`)},
		"missing root": {"a.wasm": mod, "a.json": []byte(`{"root": "nope"}`)},
		"missing dir":  {"a.wasm": mod, "a.json": []byte(`{"dirs": ["nope"]}`)},
		"bad manifest": {"a.wasm": mod, "manifest.json": []byte(`[`)},
	} {
		_, err := LoadSuite(writeSuite(t, files))
		if !usage.IsBadInput(err) {
			t.Errorf("%s: err %v, want bad input", name, err)
		}
	}
}

func TestDiscover(t *testing.T) {
	mod := wasmtest.Build(wasmtest.Program{})
	top := writeSuite(t, map[string][]byte{
		"c/a.wasm":         mod,
		"rust/b.wasm":      mod,
		"empty/README":     nil,
		"c/fs/nested.wasm": mod,
		"LICENSE":          nil,
	})
	got, err := Discover([]string{top})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(top, "c"), filepath.Join(top, "rust")}; !reflect.DeepEqual(got, want) {
		t.Errorf("Discover(top) = %q, want %q", got, want)
	}
	// A suite named directly, and twice, is one suite.
	got, err = Discover([]string{filepath.Join(top, "c"), filepath.Join(top, "c") + "/"})
	if err != nil || len(got) != 1 {
		t.Errorf("Discover(c, c/) = %q, %v; want one suite", got, err)
	}
	for _, bad := range []string{filepath.Join(top, "empty"), filepath.Join(top, "LICENSE"), filepath.Join(top, "nope")} {
		if _, err := Discover([]string{bad}); !usage.IsBadInput(err) {
			t.Errorf("Discover(%s): %v, want bad input", bad, err)
		}
	}
}

func TestCopyRoot(t *testing.T) {
	src := writeSuite(t, map[string][]byte{
		"file":                  []byte("content"),
		"sub/deep":              []byte("x"),
		"old.cleanup":           []byte("left over"),
		"dir.cleanup/inner":     []byte("left over"),
		"sub/nested.cleanup/in": nil,
	})
	if err := os.Symlink("../file", filepath.Join(src, "sub", "link")); err != nil {
		t.Fatal(err)
	}
	// The shared copy is read-only; the test's copy must not be.
	for _, p := range []string{"file", "sub/deep", "sub"} {
		os.Chmod(filepath.Join(src, p), map[bool]os.FileMode{true: 0o555, false: 0o444}[p == "sub"])
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "sub"), 0o755) })
	dst := filepath.Join(t.TempDir(), "root")
	if err := CopyRoot(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "file")); err != nil || string(b) != "content" {
		t.Errorf("file: %q, %v", b, err)
	}
	if target, err := os.Readlink(filepath.Join(dst, "sub", "link")); err != nil || target != "../file" {
		t.Errorf("link: %q, %v; want a link to ../file", target, err)
	}
	for _, p := range []string{"old.cleanup", "dir.cleanup", "sub/nested.cleanup"} {
		if _, err := os.Lstat(filepath.Join(dst, p)); !os.IsNotExist(err) {
			t.Errorf("%s was copied (%v)", p, err)
		}
	}
	for _, p := range []string{"file", "sub", "sub/deep"} {
		st, err := os.Stat(filepath.Join(dst, p))
		if err != nil || st.Mode().Perm()&0o200 == 0 {
			t.Errorf("%s: %v, mode %v; want owner-writable", p, err, st.Mode())
		}
	}
	if err := CopyRoot(src, dst); err == nil {
		t.Error("copy over an existing root succeeded")
	}
}

func TestExpectations(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ExpectationsFile)
	os.WriteFile(p, []byte(`version = 1

[[suite]]
name = "S"

[[suite.test]]
name = "fails"
action = "skip"

[[suite.test]]
name = "passes"
action = "skip"

[[suite.test]]
name = "absent"
action = "skip"
`), 0o644)
	e, err := LoadExpectations(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []SuiteTest{{"S", "fails"}, {"S", "passes"}, {"S", "absent"}}; !reflect.DeepEqual(e.Tests, want) {
		t.Fatalf("tests %v, want %v", e.Tests, want)
	}
	if got := FindExpectations([]string{filepath.Join(dir, "c"), "/nonexistent"}); got != p {
		t.Errorf("FindExpectations from a suite folder: %q, want %q", got, p)
	}
	if got := FindExpectations([]string{dir}); got != p {
		t.Errorf("FindExpectations from the top folder: %q, want %q", got, p)
	}

	cases := []results.ConformanceCase{
		{Suite: "S", Test: "fails", Host: "wazero", Outcome: results.Fail},
		{Suite: "S", Test: "passes", Host: "wazero", Outcome: results.Pass},
		{Suite: "S", Test: "surprise", Host: "wazero", Outcome: results.Timeout},
		{Suite: "S", Test: "ok", Host: "wazero", Outcome: results.Pass},
		{Suite: "S", Test: "fails", Host: "nswasi", Outcome: results.Pass},
		{Suite: "T", Test: "fails", Host: "wazero", Outcome: results.Fail}, // another suite's test of the same name
	}
	c := Compare(e, "wazero", cases)
	if c.Agree {
		t.Error("agree, with an unexpected timeout and a listed pass")
	}
	if want := []string{"S/surprise", "T/fails"}; !reflect.DeepEqual(c.Unexpected, want) {
		t.Errorf("unexpected %q, want %q", c.Unexpected, want)
	}
	want := []results.ExpectedFailure{
		{Suite: "S", Test: "fails", Ran: true, Outcome: results.Fail},
		{Suite: "S", Test: "passes", Ran: true, Outcome: results.Pass},
		{Suite: "S", Test: "absent"},
	}
	if !reflect.DeepEqual(c.Listed, want) {
		t.Errorf("listed %+v, want %+v", c.Listed, want)
	}
	if !cases[0].ExpectedFailure || !cases[1].ExpectedFailure || cases[2].ExpectedFailure || cases[4].ExpectedFailure {
		t.Errorf("ExpectedFailure marks wrong: %+v", cases)
	}
	agree := Compare(e, "wazero", []results.ConformanceCase{{Suite: "S", Test: "fails", Host: "wazero", Outcome: results.Fail}, {Suite: "S", Test: "x", Host: "wazero", Outcome: results.Pass}})
	if !agree.Agree {
		t.Errorf("disagree on exactly the listed failure: %+v", agree)
	}

	for name, text := range map[string]string{
		"version": "version = 2\n",
		"action":  "version = 1\n[[suite]]\nname = \"S\"\n[[suite.test]]\nname = \"t\"\naction = \"fail\"\n",
		"key":     "version = 1\n[[suite]]\nname = \"S\"\nreason = \"x\"\n",
		"syntax":  "version = \n",
	} {
		p := filepath.Join(dir, name+".toml")
		os.WriteFile(p, []byte(text), 0o644)
		if _, err := LoadExpectations(p); !usage.IsBadInput(err) {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
}

// TestRunHandMade runs hand-made modules through the wazero host: every
// way a case can end, and the run's files.
func TestRunHandMade(t *testing.T) {
	w := wasmtest.Build
	hello := w(wasmtest.Program{Stdout: "hello"})
	dir := writeSuite(t, map[string][]byte{
		"manifest.json":    []byte(`{"name": "hand-made"}`),
		"hello.wasm":       hello,
		"hello.json":       []byte(`{"stdout": "hello"}`),
		"hello-wrong.wasm": hello,
		"hello-wrong.json": []byte(`{"stdout": "hullo"}`),
		"exit3.wasm":       w(wasmtest.Program{Exit: 3}),
		"exit3-want.wasm":  w(wasmtest.Program{Exit: 3}),
		"exit3-want.json":  []byte(`{"exit_code": 3}`),
		"stderr.wasm":      w(wasmtest.Program{Stderr: "oops"}),
		"stderr.json":      []byte(`{"stderr": "oops", "stdout": ""}`),
		// The guest gets an empty stdin: a read returns end of file at
		// once (exit 0) instead of waiting for the test to time out.
		"stdin.wasm": w(wasmtest.Program{ReadStdin: true}),
		// Exactly the test's environment: no NSWASI_DIRS for the root.
		"env.wasm": w(wasmtest.Program{Count: "env"}),
		"env.json": []byte(`{"env": {"A": "1", "B": "two words"}, "root": "fs", "exit_code": 2}`),
		// The program name, then the test's arguments.
		"args.wasm": w(wasmtest.Program{Count: "args"}),
		"args.json": []byte(`{"args": ["x", "y z"], "exit_code": 3}`),
		// fd 3 is the root when the test has one, and absent otherwise.
		"preopen.wasm":    w(wasmtest.Program{Preopen: true}),
		"preopen.json":    []byte(`{"root": "fs"}`),
		"no-preopen.wasm": w(wasmtest.Program{Preopen: true}),
		"no-preopen.json": []byte(`{"exit_code": 8}`),
		// Creating a file exclusively succeeds only on a fresh copy
		// without the left-over that the suite folder holds.
		"create.wasm": w(wasmtest.Program{Create: "stale.cleanup"}),
		"create.json": []byte(`{"root": "fs"}`),
		// The upstream format's dirs: preopened under their own names.
		"dirs.wasm":        w(wasmtest.Program{Create: "stale.cleanup"}),
		"dirs.json":        []byte(`{"dirs": ["fs"], "args": ["fs"]}`),
		"fs/stale.cleanup": []byte("left by an earlier run"),
		"fs/keep":          nil,
	})
	suite, err := LoadSuite(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	var progress strings.Builder
	cfg := Config{
		Suites:   []*Suite{suite},
		Hosts:    []string{wasirun.HostWazero},
		Runner:   wasirun.Host{CacheDir: cacheDir},
		Timeout:  time.Minute,
		Jobs:     2,
		Out:      out,
		Progress: &progress,
	}
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"hello": results.Pass, "hello-wrong": results.Fail, "exit3": results.Fail, "exit3-want": results.Pass,
		"stderr": results.Pass, "stdin": results.Pass, "env": results.Pass, "args": results.Pass,
		"preopen": results.Pass, "no-preopen": results.Pass, "create": results.Pass, "dirs": results.Pass,
	}
	if len(res.Cases) != len(want) || res.Partial {
		t.Fatalf("%d cases (partial %v), want %d", len(res.Cases), res.Partial, len(want))
	}
	for _, c := range res.Cases {
		if c.Suite != "hand-made" || c.Host != wasirun.HostWazero {
			t.Errorf("case %s/%s under %s", c.Suite, c.Test, c.Host)
		}
		if c.Outcome != want[c.Test] {
			t.Errorf("%s: %s %q (exit %d, stderr %q), want %s", c.Test, c.Outcome, c.Reasons, c.ExitCode, c.Stderr, want[c.Test])
		}
		switch c.Test {
		case "hello-wrong":
			if len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], `first difference at byte 1: got "ello", want "ullo"`) || c.Stdout != "hello" {
				t.Errorf("hello-wrong: reasons %q, stdout %q", c.Reasons, c.Stdout)
			}
		case "exit3":
			if len(c.Reasons) != 1 || c.Reasons[0] != "exit code 3, want exit code 0" {
				t.Errorf("exit3: reasons %q", c.Reasons)
			}
		}
	}
	if strings.Count(progress.String(), "\n") != len(want) {
		t.Errorf("progress has %d lines, want %d:\n%s", strings.Count(progress.String(), "\n"), len(want), progress.String())
	}
	// The suite folder is only read.
	if b, err := os.ReadFile(filepath.Join(dir, "fs", "stale.cleanup")); err != nil || string(b) != "left by an earlier run" {
		t.Errorf("the suite's own root changed: %q, %v", b, err)
	}
	loaded, err := results.LoadConformance(filepath.Join(out, results.ConformanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if loaded.SchemaVersion != results.SchemaVersion || len(loaded.Cases) != len(want) {
		t.Errorf("loaded %+v", loaded)
	}
	md, err := os.ReadFile(filepath.Join(out, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| wazero | 10/12 | 2 | 0 | 0 |") || !strings.Contains(string(md), "exit code 3, want exit code 0") {
		t.Errorf("conformance.md lacks the tally or a reason:\n%s", md)
	}

	// A second run on the same folder starts from fresh copies again.
	cfg.Out = ""
	cfg.Progress = nil
	res2, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := Count(res2, wasirun.HostWazero); n.Pass != 10 {
		t.Errorf("second run: %+v, want 10 passes again", n)
	}
}

// A test that never ends is a timeout, and the run goes on.
func TestRunTimeout(t *testing.T) {
	dir := writeSuite(t, map[string][]byte{
		"spin.wasm": wasmtest.Build(wasmtest.Program{Loop: true}),
		"ok.wasm":   wasmtest.Build(wasmtest.Program{}),
	})
	suite, err := LoadSuite(dir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := Run(context.Background(), Config{
		Suites:  []*Suite{suite},
		Hosts:   []string{wasirun.HostWazero},
		Runner:  wasirun.Host{CacheDir: cacheDir},
		Timeout: 3 * time.Second,
		Jobs:    1,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range res.Cases {
		got[c.Test] = c.Outcome
		if c.Test == "spin" && (len(c.Reasons) != 1 || !strings.Contains(c.Reasons[0], "timeout: still running after 3s")) {
			t.Errorf("spin: reasons %q", c.Reasons)
		}
	}
	if got["spin"] != results.Timeout || got["ok"] != results.Pass {
		t.Errorf("outcomes %v, want spin timeout, ok pass", got)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("run took %s with a 3s timeout", el)
	}
}

// An interrupted run returns what finished, marked partial.
func TestRunInterrupted(t *testing.T) {
	files := map[string][]byte{}
	for _, n := range []string{"a", "b", "c", "d"} {
		files[n+".wasm"] = wasmtest.Build(wasmtest.Program{Loop: true})
	}
	suite, err := LoadSuite(writeSuite(t, files))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := t.TempDir()
	start := time.Now()
	res, err := Run(ctx, Config{
		Suites: []*Suite{suite}, Hosts: []string{wasirun.HostWazero},
		Runner: wasirun.Host{CacheDir: cacheDir}, Timeout: time.Minute, Jobs: 2, Out: out,
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want the context's", err)
	}
	if res == nil || !res.Partial || len(res.Cases) != 0 {
		t.Fatalf("result %+v, want partial without cases", res)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("interrupted run took %s", el)
	}
	if _, err := results.LoadConformance(filepath.Join(out, results.ConformanceFile)); err != nil {
		t.Errorf("partial result not written: %v", err)
	}
}

func TestRunBadInput(t *testing.T) {
	suite := &Suite{Name: "s", Dir: t.TempDir()}
	for name, cfg := range map[string]Config{
		"no host":      {Suites: []*Suite{suite}},
		"unknown host": {Suites: []*Suite{suite}, Hosts: []string{"wasmtime"}},
		"engine":       {Suites: []*Suite{suite}, Hosts: []string{"wazero"}, Runner: wasirun.Host{Engine: "jit"}},
	} {
		if _, err := Run(context.Background(), cfg); !usage.IsBadInput(err) {
			t.Errorf("%s: %v, want bad input", name, err)
		}
	}
}
