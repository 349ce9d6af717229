package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/BurntSushi/toml"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
)

// ExpectationsFile is the name of the list of tests that wazero's
// maintainers skip on Linux, kept beside the suite folders of the shared
// testsuite copy.
const ExpectationsFile = "wazero-expectations-linux.toml"

// Expectations is a test-skip list in the testsuite runner's TOML
// format: for each suite (by manifest name) the tests a runtime is known
// to fail.
type Expectations struct {
	// Path is the file it was read from.
	Path  string
	Tests []SuiteTest
}

// SuiteTest names one test of one suite.
type SuiteTest struct{ Suite, Test string }

// LoadExpectations reads a skip list. Entries whose action is not "skip"
// are refused rather than guessed at.
func LoadExpectations(path string) (*Expectations, error) {
	var f struct {
		Version int `toml:"version"`
		Suite   []struct {
			Name string `toml:"name"`
			Test []struct {
				Name   string `toml:"name"`
				Action string `toml:"action"`
			} `toml:"test"`
		} `toml:"suite"`
	}
	md, err := toml.DecodeFile(path, &f)
	if err != nil {
		return nil, usage.BadInput("expectations %s: %v", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, usage.BadInput("expectations %s: unknown key %s", path, und[0])
	}
	if f.Version != 1 {
		return nil, usage.BadInput("expectations %s: version %d, this nswasi reads version 1", path, f.Version)
	}
	e := &Expectations{Path: path}
	for _, s := range f.Suite {
		for _, t := range s.Test {
			if t.Action != "skip" {
				return nil, usage.BadInput("expectations %s: %s/%s: action %q, want skip", path, s.Name, t.Name, t.Action)
			}
			e.Tests = append(e.Tests, SuiteTest{s.Name, t.Name})
		}
	}
	return e, nil
}

// Has reports whether the list names test of suite.
func (e *Expectations) Has(suite, test string) bool {
	for _, t := range e.Tests {
		if t.Suite == suite && t.Test == test {
			return true
		}
	}
	return false
}

// FindExpectations looks for ExpectationsFile in each folder given and
// in its parent, and returns the first found, or "".
func FindExpectations(dirs []string) string {
	for _, d := range dirs {
		for _, p := range []string{filepath.Join(d, ExpectationsFile), filepath.Join(filepath.Dir(filepath.Clean(d)), ExpectationsFile)} {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// Compare marks the cases of host that e lists and compares host's
// failures (anything but a pass) with the list.
func Compare(e *Expectations, host string, cases []results.ConformanceCase) *results.ConformanceExpectations {
	out := &results.ConformanceExpectations{Host: host, Source: e.Path, Agree: true}
	ran := map[SuiteTest]*results.ConformanceCase{}
	for i := range cases {
		c := &cases[i]
		if c.Host != host {
			continue
		}
		ran[SuiteTest{c.Suite, c.Test}] = c
		c.ExpectedFailure = e.Has(c.Suite, c.Test)
		if c.Outcome != results.Pass && !c.ExpectedFailure {
			out.Unexpected = append(out.Unexpected, fmt.Sprintf("%s/%s", c.Suite, c.Test))
			out.Agree = false
		}
	}
	for _, t := range e.Tests {
		l := results.ExpectedFailure{Suite: t.Suite, Test: t.Test}
		if c := ran[t]; c != nil {
			l.Ran, l.Outcome = true, c.Outcome
			if c.Outcome == results.Pass {
				out.Agree = false
			}
		}
		out.Listed = append(out.Listed, l)
	}
	sort.Strings(out.Unexpected)
	return out
}
