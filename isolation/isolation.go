// Package isolation is nswasi's isolation suite: a catalogue of probes, each
// a guest scenario that tries one thing a sandbox may stop, run under every
// runner configuration and judged from outside the sandbox.
//
// The verdict of a cell (probe × runner) comes from an oracle nswasi runs
// itself: canary listeners that record what really reached them and from
// where, canary files whose fresh secret must come back verbatim, a new
// listener that counts only if nswasi reaches it, the kernel's own account
// of the guest's memory. The guest's report is kept as evidence only: Go's
// wasip1 net package simulates sockets inside the process, so a WASI guest
// can "connect" or "listen" without a packet leaving it.
//
// Each cell also has an expected verdict with a one-line rationale taken
// from what the sandbox promises (for wasi, the WASI specification, not
// what a runtime happens to do). Where observed and expected differ the
// cell is a mismatch: a finding, reported with its evidence.
package isolation

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

// Runners lists the runners of the suite: every runner the registry
// knows, the unsandboxed control first.
var Runners = runners.Names()

// Unprivileged is the uid and gid native guests run as unless Config.AsRoot
// is set: nobody/nogroup on Debian, with no capabilities.
var Unprivileged = sandbox.User{UID: 65534, GID: 65534}

// Config configures a run of the suite.
type Config struct {
	// Guest names the two builds of the guest program.
	Guest scenarios.Guest
	// Runners and Probes select what runs; empty means all.
	Runners, Probes []string
	// AsRoot runs native guests as nswasi's own user (root) instead of
	// Unprivileged.
	AsRoot bool
	// Runner configures the runners (namespace pool, wazero engine, cache).
	Runner runners.Config
	// WASIHosts lists the WASI hosts the WASI runners run under, each a
	// column of its own; empty means Runner.Wasi.WASIHost alone.
	WASIHosts []string
	// Out, when set, is the directory that receives isolation.json (saved
	// after every cell) and isolation.md.
	Out string
	// Progress, when set, gets one line per finished cell.
	Progress io.Writer
	// Leaks plants capabilities on purpose, to show that the oracles see
	// both outcomes. A real run plants none.
	Leaks Leaks
	// Parallel is how many cells run at once; zero means one per CPU, at
	// most maxParallel.
	// Every cell has its own sandbox, canaries and nonce, so cells do not
	// see each other's traffic or files; the matrix keeps its order.
	Parallel int
}

// maxParallel bounds the cells run at once by default: each WASI cell's
// host process holds about 100 MiB, and every namespace is made under the
// kernel's one routing lock, so many more would cost memory and gain
// little.
const maxParallel = 4

// Leaks are deliberately granted capabilities. Each must flip exactly the
// verdicts that depend on it.
type Leaks struct {
	// OutsideDir grants the directory that holds the canary file of
	// read-outside, at its host path.
	OutsideDir bool
	// Env grants the canary environment variable.
	Env bool
	// NoFirewall runs netns+fw without its firewall.
	NoFirewall bool
	// SecondListener grants a second listener, which listen-new then uses.
	SecondListener bool
	// NoMemoryLimit removes the memory limit of alloc-limit.
	NoMemoryLimit bool
}

// ParseRunners parses a comma-separated runner list; empty means all.
func ParseRunners(s string) ([]string, error) {
	return parseList(s, Runners, "runner")
}

// ParseProbes parses a comma-separated probe list; empty means all.
func ParseProbes(s string) ([]string, error) {
	return parseList(s, ProbeNames(), "probe")
}

func parseList(s string, all []string, what string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return append([]string(nil), all...), nil
	}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		found := false
		for _, a := range all {
			found = found || a == n
		}
		if !found {
			return nil, usage.BadInput("unknown %s %q (%ss: %s)", what, n, what, strings.Join(all, ", "))
		}
		out = append(out, n)
	}
	return out, nil
}

// suite is one run in progress.
type suite struct {
	cfg  Config
	fx   *fixture
	root bool
	out  *results.Isolation
}

// Run runs the selected cells, cfg.Parallel at a time, and returns the
// matrix in plan order (probe, runner, host).
// With cfg.Out set, isolation.json is rewritten atomically after every cell
// and isolation.md at the end; if ctx is cancelled the cells not yet run
// are left out and the file is marked partial.
func Run(ctx context.Context, cfg Config) (*results.Isolation, error) {
	if len(cfg.Runners) == 0 {
		cfg.Runners = Runners
	}
	if len(cfg.Probes) == 0 {
		cfg.Probes = ProbeNames()
	}
	for _, r := range cfg.Runners {
		if _, err := ParseRunners(r); err != nil {
			return nil, err
		}
	}
	probes := make([]*Probe, 0, len(cfg.Probes))
	for _, n := range cfg.Probes {
		p := lookup(n)
		if p == nil {
			return nil, usage.BadInput("unknown probe %q (probes: %s)", n, strings.Join(ProbeNames(), ", "))
		}
		probes = append(probes, p)
	}
	if cfg.Out != "" {
		if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
			return nil, fmt.Errorf("output directory: %w", err)
		}
	}
	if len(cfg.WASIHosts) == 0 {
		h, err := wasirun.CheckWASIHost(cfg.Runner.Wasi.WASIHost)
		if err != nil {
			return nil, err
		}
		cfg.WASIHosts = []string{h}
	}
	for _, h := range cfg.WASIHosts {
		if _, err := wasirun.CheckWASIHost(h); err != nil {
			return nil, err
		}
	}
	s := &suite{cfg: cfg, root: os.Geteuid() == 0}
	s.out = &results.Isolation{
		SchemaVersion: results.SchemaVersion,
		Environment:   results.CurrentEnvironment(),
		Runners:       cfg.Runners,
		WASIHosts:     cfg.WASIHosts,
		NativeUser:    s.nativeUserName(),
		Partial:       true,
	}
	for _, p := range probes {
		s.out.Probes = append(s.out.Probes, p.Info)
	}
	fx, err := newFixture(cfg.Guest.Native, cfg.Runner.Namespace, s.root)
	if err != nil {
		return nil, fmt.Errorf("isolation fixture: %w", err)
	}
	s.fx = fx
	defer fx.Close()
	if err := s.save(); err != nil {
		return nil, err
	}
	type job struct {
		p            *Probe
		runner, host string
	}
	var jobs []job
	for _, p := range probes {
		for _, r := range cfg.Runners {
			for _, host := range s.hostsOf(r) {
				jobs = append(jobs, job{p, r, host})
			}
		}
	}
	workers := cfg.Parallel
	if workers <= 0 {
		workers = min(runtime.NumCPU(), maxParallel)
	}
	cells := make([]*results.Cell, len(jobs))
	var (
		mu      sync.Mutex
		next    int
		saveErr error
		wg      sync.WaitGroup
	)
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				j := jobs[i]
				c := s.runCell(ctx, j.p, j.runner, j.host)
				if ctx.Err() != nil && c.Observed == "" {
					// Interrupted mid-cell: the cell is lost, not recorded as unrunnable.
					return
				}
				mu.Lock()
				cells[i] = &c
				if s.cfg.Progress != nil {
					fmt.Fprintln(s.cfg.Progress, progressLine(c))
				}
				s.out.Cells = s.out.Cells[:0]
				for _, c := range cells {
					if c != nil {
						s.out.Cells = append(s.out.Cells, *c)
					}
				}
				if err := s.save(); err != nil && saveErr == nil {
					saveErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if saveErr != nil {
		return s.out, saveErr
	}
	if ctx.Err() != nil {
		return s.out, s.finish(ctx)
	}
	s.out.Partial = false
	return s.out, s.finish(ctx)
}

func (s *suite) finish(ctx context.Context) error {
	if err := s.save(); err != nil {
		return err
	}
	if s.cfg.Out != "" {
		if err := results.WriteFileAtomic(filepath.Join(s.cfg.Out, "isolation.md"), []byte(Markdown(s.out))); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *suite) save() error {
	if s.cfg.Out == "" {
		return nil
	}
	return results.WriteAtomic(filepath.Join(s.cfg.Out, results.IsolationFile), s.out)
}

func (s *suite) nativeUserName() string {
	if s.cfg.AsRoot || !s.root {
		return fmt.Sprintf("uid %d (nswasi's own)", os.Geteuid())
	}
	return fmt.Sprintf("uid %d gid %d, no capabilities", Unprivileged.UID, Unprivileged.GID)
}

// nativeRoot says whether native guests have root's privileges.
func (s *suite) nativeRoot() bool { return s.root && s.cfg.AsRoot }

func (s *suite) runner(name, wasiHost string) (sandbox.Runner, error) {
	if info, _ := runners.Lookup(name); info.Kind == runnerinfo.Namespace && info.Firewall && s.cfg.Leaks.NoFirewall {
		return nsrun.Netns{Options: s.cfg.Runner.Namespace}, nil
	}
	cfg := s.cfg.Runner
	cfg.Wasi.WASIHost = wasiHost
	return runners.New(name, cfg)
}

// hostsOf lists the WASI hosts a runner runs under: every one chosen for
// a WASI runner, none ("") for a native one.
func (s *suite) hostsOf(runner string) []string { return s.cfg.hostsOf(runner) }

// hostsOf lists the columns of runner: one per WASI host for a WASI
// runner, one ("") otherwise.
func (c Config) hostsOf(runner string) []string {
	if info, _ := runners.Lookup(runner); info.WASI() {
		if len(c.WASIHosts) == 0 {
			return []string{c.Runner.Wasi.WASIHost}
		}
		return c.WASIHosts
	}
	return []string{""}
}

// Steps is the number of progress lines a Run with c writes: one per
// cell, every probe under every runner's columns.
func (c Config) Steps() int {
	rs, ps := c.Runners, c.Probes
	if len(rs) == 0 {
		rs = Runners
	}
	if len(ps) == 0 {
		ps = ProbeNames()
	}
	columns := 0
	for _, r := range rs {
		columns += len(c.hostsOf(r))
	}
	return len(ps) * columns
}

// isWasi and inNetns ask the registry what a runner is.
func isWasi(runner string) bool { return runners.KindOf(runner) == runnerinfo.WASI }
func inNetns(runner string) bool {
	r, _ := runners.Lookup(runner)
	return r.Netns
}

// Guest paths of the granted directories: remapped under WASI, host paths
// natively (there is no mount namespace).
func (s *suite) grantedPath(runner string) string {
	if isWasi(runner) {
		return "/grant"
	}
	return s.fx.path("granted")
}

func (s *suite) readonlyPath(runner string) string {
	if isWasi(runner) {
		return "/readonly"
	}
	return s.fx.path("readonly")
}

// cell is one probe under one runner while it runs.
type cell struct {
	s      *suite
	runner string
	guest  sandbox.Guest
	addr   netip.AddrPort // the control listener, as nswasi reaches it
	report *guestReport
	ctlErr error
	result sandbox.Result
	nonce  string
}

// guestReport mirrors the guest's probeReport.
type guestReport struct {
	Nonce string   `json:"nonce"`
	OK    bool     `json:"ok"`
	Error string   `json:"error,omitempty"`
	Data  string   `json:"data,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// hostAddr is the root-namespace side of the guest's veth; for runners
// without a namespace of their own, the tenant namespace's (the address a
// service on the host would bind for namespaced guests).
func (c *cell) hostAddr() (netip.Addr, error) {
	if inNetns(c.runner) {
		// nsrun gives the host end .1 and the guest end .2 of one /30.
		return c.addr.Addr().Prev(), nil
	}
	if c.s.fx.tenant == nil {
		return netip.Addr{}, c.s.fx.tenantErr
	}
	return c.s.fx.tenant.HostAddr.Addr(), nil
}

func (s *suite) runCell(ctx context.Context, p *Probe, runner, wasiHost string) results.Cell {
	exp := p.Expect(runner, s.nativeRoot())
	rc := results.Cell{Probe: p.Info.Name, Runner: runner, RunnerKind: runners.KindOf(runner), WASIHost: wasiHost,
		Expected: exp.Verdict, Rationale: exp.Why}
	if why := s.cannotRun(p, runner); why != "" {
		rc.Reason = why
		return rc
	}
	r, err := s.runner(runner, wasiHost)
	if err != nil {
		rc.Reason = err.Error()
		return rc
	}
	spec := sandbox.Spec{
		Artifact: s.cfg.Guest.Wasm,
		Args:     []string{p.Guest},
		Env:      []string{},
		Listen:   []sandbox.Listen{{}},
		Dirs: []sandbox.Dir{
			{HostPath: s.fx.path("granted"), GuestPath: "/grant"},
			{HostPath: s.fx.path("readonly"), GuestPath: "/readonly", ReadOnly: true},
		},
		Timeout: time.Minute,
	}
	if !isWasi(runner) {
		spec.Artifact = s.fx.guest
		if s.root && !s.cfg.AsRoot {
			u := Unprivileged
			spec.User = &u
		}
	}
	leaks := s.cfg.Leaks
	if leaks.Env {
		spec.Env = append(spec.Env, EnvCanary+"="+s.fx.envSecret)
	}
	if leaks.OutsideDir {
		spec.Dirs = append(spec.Dirs, sandbox.Dir{HostPath: s.fx.path("outside"), GuestPath: s.fx.path("outside"), ReadOnly: true})
	}
	if leaks.SecondListener {
		spec.Listen = append(spec.Listen, sandbox.Listen{})
	}
	if p.prepare != nil {
		p.prepare(s, &spec)
	}

	c := &cell{s: s, runner: runner, nonce: nonce()}
	g, err := r.Start(ctx, spec)
	if err != nil {
		rc.Reason = "the sandbox did not start: " + oneLine(err)
		return rc
	}
	c.guest = g
	c.addr = g.Addrs()[0]
	stopped := false
	defer func() {
		if !stopped {
			g.Stop()
		}
	}()
	a, err := p.arm(c)
	if err != nil {
		rc.Reason = "could not set up the oracle: " + oneLine(err)
		return rc
	}
	defer a.release()

	conn, err := c.exchange(ctx, a.args)
	if a.live != nil {
		a.live()
	}
	if conn != nil {
		conn.Close()
	}
	c.result = waitOrStop(g, 20*time.Second)
	stopped = true
	if err != nil {
		c.ctlErr = err
	}
	verdict, evidence := a.judge()
	if verdict == "" {
		rc.Reason = evidence
	} else {
		rc.Observed = verdict
		rc.Mismatch = verdict != rc.Expected
	}
	rc.Evidence = c.evidence(evidence)
	return rc
}

// exchange sends the probe's request over the control connection and reads
// the guest's report. The connection stays open (the guest waits for its
// close) so that a probe can observe the guest while it still runs.
func (c *cell) exchange(ctx context.Context, args []string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr.String())
	if err != nil {
		return nil, fmt.Errorf("control connection to %s: %w", c.addr, err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req, _ := json.Marshal(map[string]any{"nonce": c.nonce, "args": args})
	if _, err := conn.Write(append(req, '\n')); err != nil {
		return conn, fmt.Errorf("send request: %w", err)
	}
	line, err := bufio.NewReaderSize(conn, 1<<16).ReadBytes('\n')
	if err != nil {
		return conn, fmt.Errorf("no report from the guest: %w", err)
	}
	var rep guestReport
	if err := json.Unmarshal(line, &rep); err != nil {
		return conn, fmt.Errorf("malformed report: %w", err)
	}
	if rep.Nonce != c.nonce {
		return conn, fmt.Errorf("report answers nonce %q, not %q", rep.Nonce, c.nonce)
	}
	c.report = &rep
	return conn, nil
}

func waitOrStop(g sandbox.Guest, d time.Duration) sandbox.Result {
	done := make(chan sandbox.Result, 1)
	go func() { done <- g.Wait() }()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		return g.Stop()
	}
}

// evidence puts the oracle's account first, then the guest's own.
func (c *cell) evidence(oracle string) string {
	parts := []string{"oracle: " + oracle}
	if c.report != nil {
		g := fmt.Sprintf("guest says ok=%v", c.report.OK)
		if c.report.Error != "" {
			g += ", error: " + c.report.Error
		}
		if len(c.report.Notes) > 0 {
			g += ", notes: " + strings.Join(c.report.Notes, "; ")
		}
		if c.report.Data != "" {
			g += ", data: " + clip(c.report.Data, 160)
		}
		parts = append(parts, g)
	} else if c.ctlErr != nil {
		parts = append(parts, "guest: "+oneLine(c.ctlErr))
	}
	parts = append(parts, exitSummary(c.result))
	return strings.Join(parts, " | ")
}

func exitSummary(r sandbox.Result) string {
	var s string
	switch {
	case r.TimedOut:
		s = "guest timed out"
	case r.Signal != 0:
		s = "guest killed by " + r.Signal.String()
	default:
		s = fmt.Sprintf("guest exit %d", r.ExitCode)
	}
	if r.ExitCode != 0 {
		if e := strings.TrimSpace(string(r.Stderr)); e != "" {
			s += ", stderr: " + clip(lastLines(e, 3), 300)
		}
	}
	return s
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " / ")
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", "\\n")
	if len(s) > n {
		return s[:n] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

func oneLine(err error) string { return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ") }

// cannotRun says why a probe cannot run under a runner here, or "".
func (s *suite) cannotRun(p *Probe, runner string) string {
	if inNetns(runner) && !s.root {
		return "needs root: the runner creates a network namespace"
	}
	if p.needsTenant && s.fx.tenant == nil {
		return s.fx.tenantErr.Error()
	}
	if p.needsVethHost && !inNetns(runner) && s.fx.tenant == nil {
		return "this runner has no veth of its own, and the stand-in (the tenant namespace's host side) " + s.fx.tenantErr.Error()
	}
	if p.needsShim && !isWasi(runner) && s.root && !s.cfg.AsRoot {
		self, err := os.Executable()
		if err == nil {
			err = executableBy(self, Unprivileged.UID, Unprivileged.GID)
		}
		if err != nil {
			return "the limit shim (nswasi itself) cannot run as the unprivileged guest user: " + oneLine(err)
		}
	}
	return ""
}

func progressLine(c results.Cell) string {
	switch {
	case c.Observed == "":
		return fmt.Sprintf("%-18s %-20s not run: %s", c.Probe, c.Label(), c.Reason)
	case c.Mismatch:
		return fmt.Sprintf("%-18s %-20s %-8s expected %s  MISMATCH", c.Probe, c.Label(), c.Observed, c.Expected)
	}
	return fmt.Sprintf("%-18s %-20s %-8s as expected", c.Probe, c.Label(), c.Observed)
}
