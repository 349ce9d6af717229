package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

// DefaultTimeout bounds one test, module compilation included: a cold
// compilation of a 2 MB Rust test takes about 8 s on an idle core.
const DefaultTimeout = 60 * time.Second

// MarkdownFile is the name of the table written beside ConformanceFile.
const MarkdownFile = "conformance.md"

// keepOutput bounds the stdout and stderr kept per case in the result file.
const keepOutput = 4 << 10

// Config says what to run.
type Config struct {
	// Suites are loaded suite folders.
	Suites []*Suite
	// Hosts are the WASI hosts (wasirun.HostWazero, HostNswasi) to run
	// every test under.
	Hosts []string
	// Runner is the template of the WASI runner: its engine, cache and
	// executable; WASIHost and ExactEnv are set per case.
	Runner wasirun.Host
	// Timeout bounds each test; zero means DefaultTimeout.
	Timeout time.Duration
	// Jobs is how many tests run at once; zero means 1.
	Jobs int
	// Expectations, when set, are compared with ExpectationsHost's
	// failures if that host is among Hosts.
	Expectations     *Expectations
	ExpectationsHost string
	// Out, when set, is the folder conformance.json and conformance.md
	// are written to (created if missing).
	Out string
	// Progress, when set, gets one line per finished case.
	Progress io.Writer
}

// Run runs every test of every suite under every host and judges it. On
// interruption (ctx done) it returns the cases that finished, marked
// Partial, with ctx's error; on a failure to write it returns the result
// and the error.
func Run(ctx context.Context, cfg Config) (*results.Conformance, error) {
	if len(cfg.Hosts) == 0 {
		return nil, usage.BadInput("no WASI host to run the tests under")
	}
	for _, h := range cfg.Hosts {
		if _, err := wasirun.CheckWASIHost(h); err != nil {
			return nil, err
		}
	}
	if e := cfg.Runner.Engine; e != "" && !slices.Contains(wasirun.Engines, e) {
		return nil, usage.BadInput("engine %q: want %s", e, strings.Join(wasirun.Engines, " or "))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	jobs := max(cfg.Jobs, 1)
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, usage.BadInput("--out %s: %v", cfg.Out, unwrapPath(err))
		}
	}
	tmp, err := os.MkdirTemp("", "nswasi-conformance-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	res := &results.Conformance{
		SchemaVersion: results.SchemaVersion,
		Environment:   results.CurrentEnvironment(),
		Config: results.ConformanceConfig{
			Engine:   engineName(cfg.Runner.Engine),
			TimeoutS: cfg.Timeout.Seconds(),
			Jobs:     jobs,
		},
		Hosts: cfg.Hosts,
		Cases: []results.ConformanceCase{},
	}
	type job struct {
		suite *Suite
		test  Test
		host  string
		n     int
	}
	// Host-major order: the first host compiles each module into the
	// shared cache, the next ones find it there.
	var all []job
	for _, h := range cfg.Hosts {
		for _, s := range cfg.Suites {
			for _, t := range s.Tests {
				all = append(all, job{s, t, h, len(all)})
			}
		}
	}
	for _, s := range cfg.Suites {
		res.Suites = append(res.Suites, results.ConformanceSuite{Name: s.Name, Dir: s.Dir, Tests: len(s.Tests)})
	}

	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	cases := make([]*results.ConformanceCase, len(all))
	next := make(chan job)
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				c := runCase(ctx, cfg, tmp, j.suite, j.test, j.host)
				if ctx.Err() != nil {
					continue // an interrupted case says nothing about the host
				}
				mu.Lock()
				cases[j.n] = c
				done++
				if cfg.Progress != nil {
					fmt.Fprintf(cfg.Progress, "[%d/%d] %-6s %s/%s: %s\n", done, len(all), j.host, filepath.Base(j.suite.Dir), j.test.Name, summary(c))
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, j := range all {
		select {
		case next <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()

	for _, c := range cases {
		if c != nil {
			res.Cases = append(res.Cases, *c)
		}
	}
	res.Partial = len(res.Cases) < len(all)
	sort.SliceStable(res.Cases, func(i, k int) bool {
		a, b := res.Cases[i], res.Cases[k]
		if a.Suite != b.Suite {
			return a.Suite < b.Suite
		}
		return a.Test < b.Test
	})
	if cfg.Expectations != nil && slices.Contains(cfg.Hosts, cfg.ExpectationsHost) {
		res.Expectations = Compare(cfg.Expectations, cfg.ExpectationsHost, res.Cases)
	}
	var werr error
	if cfg.Out != "" {
		werr = Write(cfg.Out, res)
	}
	return res, errors.Join(ctx.Err(), werr)
}

// Write writes conformance.json and conformance.md into dir, each atomically.
func Write(dir string, res *results.Conformance) error {
	if err := results.WriteAtomic(filepath.Join(dir, results.ConformanceFile), res); err != nil {
		return err
	}
	return results.WriteFileAtomic(filepath.Join(dir, MarkdownFile), []byte(Markdown(res)))
}

// runCase runs one test under one host on fresh copies of its folders.
func runCase(ctx context.Context, cfg Config, tmp string, s *Suite, t Test, host string) *results.ConformanceCase {
	c := &results.ConformanceCase{Suite: s.Name, Test: t.Name, Host: host, WantExitCode: t.ExitCode}
	spec := sandbox.Spec{
		Artifact: t.Wasm,
		Args:     t.Args,
		Env:      t.EnvList(),
		Timeout:  cfg.Timeout,
	}
	if spec.Args == nil {
		spec.Args = []string{}
	}
	var out Output
	out.Timeout = cfg.Timeout
	if pre := t.Preopens(); len(pre) > 0 {
		caseDir, err := os.MkdirTemp(tmp, host+"-"+t.Name+"-")
		if err == nil {
			defer os.RemoveAll(caseDir)
		}
		for i, p := range pre {
			if err != nil {
				break
			}
			copied := filepath.Join(caseDir, strconv.Itoa(i))
			if err = CopyRoot(filepath.Join(s.Dir, p.Name), copied); err != nil {
				err = fmt.Errorf("copy %s: %w", p.Name, err)
			}
			spec.Dirs = append(spec.Dirs, sandbox.Dir{HostPath: copied, GuestPath: p.Guest})
		}
		if err != nil {
			out.HostErr = err
		}
	}
	if out.HostErr == nil {
		out = runGuest(ctx, cfg.Runner, host, spec)
	}
	v := Judge(t.TestConfig, out)
	c.Outcome, c.Reasons, c.Trapped = v.Outcome, v.Reasons, v.Trapped
	c.ExitCode = out.ExitCode
	c.Stdout = string(tail(out.Stdout, keepOutput))
	c.Stderr = string(tail(out.Stderr, keepOutput))
	if out.wall > 0 {
		c.WallS = out.wall.Seconds()
	}
	return c
}

// runGuest starts the test through the ordinary WASI runner and waits for it.
func runGuest(ctx context.Context, tmpl wasirun.Host, host string, spec sandbox.Spec) Output {
	r := tmpl
	r.WASIHost = host
	r.ExactEnv = true // the environment tests compare every variable
	start := time.Now()
	g, err := r.Start(ctx, spec)
	if err != nil {
		o := Output{ExitCode: -1, Timeout: spec.Timeout, wall: time.Since(start)}
		// The host compiles the module before it reports ready, under the
		// same deadline as the guest: a compilation that outlives it is a
		// timeout, not a host error.
		if o.wall >= spec.Timeout {
			o.TimedOut = true
		} else {
			o.HostErr = err
		}
		return o
	}
	res := g.Wait()
	o := Output{
		ExitCode:        res.ExitCode,
		TimedOut:        res.TimedOut,
		Timeout:         spec.Timeout,
		HostErr:         res.Err,
		Stdout:          res.Stdout,
		Stderr:          res.Stderr,
		OutputTruncated: res.StdoutTruncated || res.StderrTruncated,
		wall:            time.Since(start),
	}
	if res.Signal != 0 && !res.TimedOut {
		o.Signal = res.Signal.String()
	}
	return o
}

// CopyRoot copies the folder src to dst (which must not exist) for one
// test: regular files, folders and symbolic links (as links, never
// followed), each made writable by its owner as in a fresh checkout of
// the testsuite, whatever the source's own modes (a shared copy may be
// read-only). Left-overs of earlier runs (*.cleanup) are not copied: the
// testsuite's runners remove them before each test.
func CopyRoot(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && strings.HasSuffix(d.Name(), ".cleanup") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		to := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		mode := info.Mode().Perm() | 0o200
		switch {
		case d.IsDir():
			return os.Mkdir(to, mode|0o100)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case d.Type().IsRegular():
			return copyFile(p, to, mode)
		default:
			return fmt.Errorf("%s: neither file, folder nor symbolic link", p)
		}
	})
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func engineName(e string) string {
	if e == "" {
		return "compiler"
	}
	return e
}

// summary is a case's outcome in a few words, for progress lines and tables.
func summary(c *results.ConformanceCase) string {
	if c.Outcome == results.Pass {
		return "pass"
	}
	if len(c.Reasons) == 0 {
		return c.Outcome
	}
	return c.Outcome + ": " + c.Reasons[0]
}
