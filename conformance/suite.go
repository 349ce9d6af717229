// Package conformance runs folders of the WebAssembly wasi-testsuite
// (https://github.com/WebAssembly/wasi-testsuite, branch
// prod/testsuite-base: precompiled wasm32-wasip1 tests) under each WASI
// host nswasi has, through the ordinary WASI runner, and judges every test
// by its JSON description: arguments, environment, a root folder preopened
// as the guest's "/", and the expected exit code and output.
//
// Every test runs on its own fresh copy of its root folder, so tests can
// run in parallel, a test never sees another's leftovers, and the suite
// folder itself is only read.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
)

// Suite is one folder of tests.
type Suite struct {
	// Name comes from the folder's manifest.json, or is the folder's path
	// when there is none (as the reference runner does).
	Name string
	// Dir is the folder.
	Dir   string
	Tests []Test
}

// Test is one X.wasm of a suite with its X.json.
type Test struct {
	// Name is the file name without ".wasm".
	Name string
	// Wasm is the module's path.
	Wasm string
	TestConfig
}

// TestConfig is a test's JSON description; absent fields take the defaults
// of the zero value.
type TestConfig struct {
	// Args are the guest's arguments after its program name.
	Args []string `json:"args"`
	// Env is the guest's whole environment.
	Env map[string]string `json:"env"`
	// Root names a folder beside the test to preopen as the guest's "/";
	// empty means none.
	Root string `json:"root"`
	// Dirs name folders beside the test to preopen under their own names
	// (the upstream specification's field), after Root.
	Dirs []string `json:"dirs"`
	// ExitCode is the expected exit status.
	ExitCode int `json:"exit_code"`
	// Stdout and Stderr, when set, are the guest's expected output, exactly.
	Stdout *string `json:"stdout"`
	Stderr *string `json:"stderr"`
}

// EnvList returns Env as K=V strings sorted by key, the form a Spec takes.
func (c TestConfig) EnvList() []string {
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	env := make([]string, len(keys))
	for i, k := range keys {
		env[i] = k + "=" + c.Env[k]
	}
	return env
}

// ParseConfig reads a test's JSON description. Unknown fields are an
// error: a newer format field this code ignored would be judged wrongly
// without anyone noticing.
func ParseConfig(b []byte) (TestConfig, error) {
	var c TestConfig
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return TestConfig{}, fmt.Errorf("%v (this nswasi reads args, env, root, dirs, exit_code, stdout, stderr)", err)
	}
	if dec.More() {
		return TestConfig{}, fmt.Errorf("trailing data after the JSON object")
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return TestConfig{}, fmt.Errorf("env %q: a name must be non-empty without '=' or NUL, a value without NUL", k)
		}
	}
	for _, a := range c.Args {
		if strings.Contains(a, "\x00") {
			return TestConfig{}, fmt.Errorf("args: %q contains NUL", a)
		}
	}
	if c.Root != "" && !filepath.IsLocal(c.Root) {
		return TestConfig{}, fmt.Errorf("root %q: want a folder beside the test", c.Root)
	}
	for _, d := range c.Dirs {
		if !filepath.IsLocal(d) {
			return TestConfig{}, fmt.Errorf("dirs: %q: want a folder beside the test", d)
		}
	}
	return c, nil
}

// Preopen is one folder a test gets: Name beside the test, seen by the
// guest at Guest.
type Preopen struct{ Name, Guest string }

// Preopens lists the test's folders in fd order: Root as "/", then Dirs.
func (c TestConfig) Preopens() []Preopen {
	var p []Preopen
	if c.Root != "" {
		p = append(p, Preopen{c.Root, "/"})
	}
	for _, d := range c.Dirs {
		p = append(p, Preopen{d, d})
	}
	return p
}

// LoadSuite reads the tests of one folder: every *.wasm, in name order.
// A malformed description or a missing root folder is bad input.
func LoadSuite(dir string) (*Suite, error) {
	wasms, err := filepath.Glob(filepath.Join(dir, "*.wasm"))
	if err != nil {
		return nil, err
	}
	if len(wasms) == 0 {
		return nil, usage.BadInput("%s: no *.wasm tests", dir)
	}
	sort.Strings(wasms)
	s := &Suite{Name: dir, Dir: dir}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		var m struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, usage.BadInput("%s: %v", filepath.Join(dir, "manifest.json"), err)
		}
		if m.Name != "" {
			s.Name = m.Name
		}
	} else if !os.IsNotExist(err) {
		return nil, usage.BadInput("%s", err)
	}
	for _, w := range wasms {
		t := Test{Name: strings.TrimSuffix(filepath.Base(w), ".wasm"), Wasm: w}
		jsonPath := strings.TrimSuffix(w, ".wasm") + ".json"
		b, err := os.ReadFile(jsonPath)
		switch {
		case err == nil:
			if t.TestConfig, err = ParseConfig(b); err != nil {
				return nil, usage.BadInput("%s: %v", jsonPath, err)
			}
		case !os.IsNotExist(err):
			return nil, usage.BadInput("%s", err)
		}
		for _, p := range t.Preopens() {
			st, err := os.Stat(filepath.Join(dir, p.Name))
			if err != nil || !st.IsDir() {
				return nil, usage.BadInput("%s: %q is not a folder beside the test", jsonPath, p.Name)
			}
		}
		s.Tests = append(s.Tests, t)
	}
	return s, nil
}

// Discover turns the folders given on the command line into suite
// folders: a folder with *.wasm files is a suite; a folder without any,
// such as the testsuite's top level, stands for those of its immediate
// subfolders that have some.
func Discover(dirs []string) ([]string, error) {
	var suites []string
	seen := map[string]bool{}
	add := func(d string) {
		if abs, err := filepath.Abs(d); err == nil && !seen[abs] {
			seen[abs] = true
			suites = append(suites, d)
		}
	}
	for _, d := range dirs {
		st, err := os.Stat(d)
		if err != nil {
			return nil, usage.BadInput("%s: %v", d, unwrapPath(err))
		}
		if !st.IsDir() {
			return nil, usage.BadInput("%s: not a folder", d)
		}
		if hasWasm(d) {
			add(d)
			continue
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			return nil, usage.BadInput("%s: %v", d, unwrapPath(err))
		}
		n := 0
		for _, e := range entries {
			sub := filepath.Join(d, e.Name())
			if e.IsDir() && hasWasm(sub) {
				add(sub)
				n++
			}
		}
		if n == 0 {
			return nil, usage.BadInput("%s: no *.wasm tests in it or in its subfolders", d)
		}
	}
	return suites, nil
}

func hasWasm(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*.wasm"))
	return len(m) > 0
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
