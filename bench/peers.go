package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
)

// peerSize is the write size of both sides of the iperf3 comparison:
// iperf3's default for TCP.
const peerSize = 128 << 10

// rrPeerSize is the message size of both sides of the sockperf
// comparison: sockperf's own default is 14 bytes, its header; 64 leaves
// room for it and is one of rr's default sizes.
const rrPeerSize = 64

// peerPath is one network path a peer tool and nswasi share: the server
// (nswasi's guest, or the tool's server) in the root namespace on
// loopback under native, or in a fresh namespace behind its veth under
// netns; the client outside in both.
type peerPath struct{ name, runner string }

var peerPaths = []peerPath{{"loopback", "native"}, {"veth", "netns"}}

// peerSteps is the number of peer checks runPeers reports, one line each:
// iperf3 and sockperf on each path, wrk under native and wasi.
const peerSteps = 2*2 + 2

// peerCheck is one comparison: a tool, its nswasi twin, and how to run
// one repetition of the tool.
type peerCheck struct {
	tool     string
	install  string // Debian package
	scenario string // nswasi's case, with direction for stream
	dir      string
	size     int
	metric   string
	unit     string
	// once runs one repetition of the tool against a server it starts
	// under runner.
	once func(ctx context.Context, o *Options, runner, bin string) (float64, string, error)
	// value picks the figure compared from one nswasi repetition.
	value func(run results.Run) (float64, bool)
}

// runPeers checks nswasi's own driver and guest against established tools
// on the same path, in this invocation: iperf3 against stream-in and
// sockperf against rr, on loopback (native) and veth (netns). Each
// repetition of the tool alternates with one of the nswasi case (which
// order goes first alternates too), so that a change of load on the
// machine falls on both. Every check that cannot run is recorded with the
// reason and said in one line.
func runPeers(ctx context.Context, o *Options, progress io.Writer) []results.Peer {
	say := func(format string, a ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", a...)
		}
	}
	secs := int(o.PeerDuration / time.Second)
	omit := int(o.PeerOmit / time.Second)
	checks := []peerCheck{
		{
			tool: "iperf3", install: "iperf3", scenario: "stream", dir: "in", size: peerSize,
			metric: "throughput", unit: "bytes/s",
			once: func(ctx context.Context, o *Options, runner, bin string) (float64, string, error) {
				return iperfOnce(ctx, o, runner, bin, secs, omit)
			},
			value: func(run results.Run) (float64, bool) {
				return run.Summary.Median, run.Summary.N > 0
			},
		},
		{
			tool: "sockperf", install: "sockperf", scenario: "rr", size: rrPeerSize,
			metric: "rtt_p50", unit: "ns",
			once: func(ctx context.Context, o *Options, runner, bin string) (float64, string, error) {
				return sockperfOnce(ctx, o, runner, bin, secs)
			},
			value: func(run results.Run) (float64, bool) {
				if run.LatencyNS == nil {
					return 0, false
				}
				return float64(run.LatencyNS.P50), true
			},
		},
	}
	var peers []results.Peer
	for _, chk := range checks {
		bin, lookErr := exec.LookPath(chk.tool)
		for _, p := range peerPaths {
			if ctx.Err() != nil {
				return peers
			}
			peer := results.Peer{Tool: chk.tool, Path: p.name}
			switch {
			case lookErr != nil:
				peer.Skipped = fmt.Sprintf("%s is not installed (scripts/provision.sh installs it; apt-get install %s)", chk.tool, chk.install)
			case !slices.Contains(o.Runners, p.runner):
				peer.Skipped = fmt.Sprintf("runner %s, which serves the %s path, is not among the runners", p.runner, p.name)
			}
			if peer.Skipped != "" {
				say("fidelity %s %s: skipped: %s", chk.tool, p.name, peer.Skipped)
				peers = append(peers, peer)
				continue
			}
			peer = comparePeer(ctx, o, chk, bin, p)
			if peer.Detail != "" && peer.Ratio == 0 {
				say("fidelity %s %s: %s", chk.tool, p.name, peer.Detail)
			} else {
				say("fidelity %s %s: nswasi/%s %.2f [%.2f, %.2f]", chk.tool, p.name, chk.tool, peer.Ratio, peer.RatioCILow, peer.RatioCIHigh)
			}
			peers = append(peers, peer)
		}
	}
	// wrk and nswasi's own http driver take turns against one guest
	// serving standalone (one granted listener, no control connection).
	bin, lookErr := exec.LookPath("wrk")
	for _, runner := range []string{"native", "wasi"} {
		if ctx.Err() != nil {
			return peers
		}
		peer := results.Peer{Tool: "wrk", Path: "loopback", Runner: runner}
		switch {
		case lookErr != nil:
			peer.Skipped = "wrk is not installed (scripts/provision.sh installs it; apt-get install wrk)"
		case !slices.Contains(o.Runners, runner):
			peer.Skipped = fmt.Sprintf("runner %s is not among the runners", runner)
		}
		if peer.Skipped != "" {
			say("fidelity wrk %s: skipped: %s", runner, peer.Skipped)
		} else {
			peer = compareWrk(ctx, o, bin, runner)
			if peer.Ratio == 0 {
				say("fidelity wrk %s: %s", runner, peer.Detail)
			} else {
				say("fidelity wrk %s: nswasi/wrk %.2f [%.2f, %.2f]", runner, peer.Ratio, peer.RatioCILow, peer.RatioCIHigh)
			}
		}
		peers = append(peers, peer)
	}
	return peers
}

// wrkSize and wrkConns are the http check's body size and connections
// (the quick sweep's http case).
const (
	wrkSize  = 1024
	wrkConns = 4
)

// compareWrk starts the http workload standalone under runner and runs
// o.Reps alternating repetitions of wrk and of nswasi's http driver
// against it, after one unrecorded warm-up of the driver.
func compareWrk(ctx context.Context, o *Options, bin, runner string) results.Peer {
	peer := results.Peer{
		Tool: "wrk", Path: "loopback", Scenario: "http", Runner: runner, Mode: "netpoll",
		Size: wrkSize, Conns: wrkConns, Metric: "requests", Unit: "1/s",
		PeerReps: []float64{}, NswasiReps: []float64{},
	}
	load0 := loadAverage()
	secs := int(o.PeerDuration / time.Second)
	args := []string{"-t", "1", "-c", strconv.Itoa(wrkConns), "-d", strconv.Itoa(secs) + "s", "--timeout", "5s"}
	peer.Command = "wrk " + strings.Join(args, " ")
	info, _ := runners.Lookup(runner)
	cfg := o.Runner
	if info.WASI() {
		cfg.Wasi.Engine = o.Engine
	}
	r, err := runners.New(runner, cfg)
	if err != nil {
		peer.Detail = err.Error()
		return peer
	}
	g, _, err := o.startPlaced(ctx, r, sandbox.Spec{
		Artifact: runners.Artifact(runner, o.Guest.Native, o.Guest.Wasm),
		Args:     []string{"http", "-mode", peer.Mode, "-size", strconv.Itoa(wrkSize)},
		Env:      []string{},
		Listen:   []sandbox.Listen{{}},
		Timeout:  time.Duration(2*o.Reps+1)*(o.PeerDuration+2*grace) + time.Minute,
	})
	if err != nil {
		peer.Detail = "start: " + err.Error()
		return peer
	}
	defer g.Stop()
	addr := g.Addrs()[0]
	url := "http://" + addr.String() + "/"
	nswasiOnce := func(d time.Duration, keep bool) error {
		cr, err := httpLoad(ctx, addr, wrkSize, wrkConns, d, false)
		if err != nil {
			return fmt.Errorf("nswasi http driver: %w", err)
		}
		if keep {
			peer.NswasiReps = append(peer.NswasiReps, float64(cr.Ops)/cr.Elapsed.Seconds())
		}
		return nil
	}
	wrkOnce := func() error {
		cctx, cancel := context.WithTimeout(ctx, o.PeerDuration+30*time.Second)
		defer cancel()
		cl := exec.CommandContext(cctx, bin, append(args, url)...)
		cl.Env = []string{}
		out, err := cl.CombinedOutput()
		if err != nil {
			return fmt.Errorf("wrk: %v: %s", err, lastLines(string(out), 3))
		}
		rps, err := parseWrk(string(out))
		if err != nil {
			return err
		}
		peer.PeerReps = append(peer.PeerReps, rps)
		return nil
	}
	err = nswasiOnce(max(o.PeerOmit, 100*time.Millisecond), false)
	for i := 0; i < o.Reps && err == nil; i++ {
		if i%2 == 0 {
			err = errors.Join(nswasiOnce(o.PeerDuration, true), wrkOnce())
		} else {
			err = errors.Join(wrkOnce(), nswasiOnce(o.PeerDuration, true))
		}
	}
	if err != nil {
		peer.Detail = oneLine(err)
		return peer
	}
	fillRatio(&peer)
	peer.Detail = fmt.Sprintf("nswasi http driver vs %s against one standalone guest under %s, netpoll, %s bodies, %d connections, %d alternating repetitions of %s each%s",
		peer.Command, runner, formatSize(wrkSize), wrkConns, o.Reps, o.PeerDuration, load0.upTo(loadAverage()))
	return peer
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s*([0-9.]+)`)
	wrkErrors = regexp.MustCompile(`(Socket errors:.*|Non-2xx or 3xx responses:.*)`)
)

// parseWrk reads wrk's requests per second; any socket error or non-2xx
// answer fails the repetition.
func parseWrk(out string) (float64, error) {
	if m := wrkErrors.FindAllString(out, -1); m != nil {
		return 0, fmt.Errorf("wrk saw errors: %s", strings.Join(m, "; "))
	}
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("wrk output has no Requests/sec: %s", lastLines(out, 3))
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("wrk: %s requests/s", m[1])
	}
	return v, nil
}

// comparePeer runs o.Reps alternating repetitions of the tool and of the
// nswasi case on path p.
func comparePeer(ctx context.Context, o *Options, chk peerCheck, bin string, p peerPath) results.Peer {
	c := Case{Scenario: chk.scenario, Direction: chk.dir, Runner: p.runner, Mode: "blocking", Size: chk.size, Conns: 1}
	peer := results.Peer{
		Tool: chk.tool, Path: p.name, Scenario: c.Scenario + dirSuffix(c.Direction), Runner: p.runner,
		Mode: c.Mode, Size: c.Size, Conns: 1, Metric: chk.metric, Unit: chk.unit,
		PeerReps: []float64{}, NswasiReps: []float64{},
	}
	load0 := loadAverage()
	// One nswasi repetition per guest: each is preceded by its own
	// warm-up, as long as the tool's omitted start.
	po := *o
	po.Reps = 1
	po.Duration = o.PeerDuration
	po.Warmup = max(o.PeerOmit, 100*time.Millisecond)
	po.Verify = false
	nswasiOnce := func() error {
		run := runOne(ctx, &po, c)
		v, ok := chk.value(run)
		if run.Error != "" || !ok {
			return fmt.Errorf("nswasi %s under %s failed: %s", peer.Scenario, p.runner, run.Error)
		}
		peer.NswasiReps = append(peer.NswasiReps, v)
		return nil
	}
	toolOnce := func() error {
		v, cmd, err := chk.once(ctx, o, p.runner, bin)
		if err != nil {
			return fmt.Errorf("%s failed: %w", chk.tool, err)
		}
		peer.Command = cmd
		peer.PeerReps = append(peer.PeerReps, v)
		return nil
	}
	for i := range o.Reps {
		steps := []func() error{nswasiOnce, toolOnce}
		if i%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				peer.Detail = oneLine(err)
				return peer
			}
		}
	}
	fillRatio(&peer)
	if chk.tool == "iperf3" {
		peer.BPS = peer.PeerSummary.Median
	}
	peer.Detail = fmt.Sprintf("nswasi %s under %s, %s, %s, 1 connection vs %s, %d alternating repetitions of %s each%s",
		peer.Scenario, p.runner, c.Mode, formatSize(c.Size), peer.Command, o.Reps, o.PeerDuration, load0.upTo(loadAverage()))
	return peer
}

func dirSuffix(dir string) string {
	if dir == "" {
		return ""
	}
	return "-" + dir
}

// fillRatio summarizes both tools' repetitions and computes the ratio of
// the medians and the interval of the paired ratios.
func fillRatio(p *results.Peer) {
	ps, ns := results.Summarize(p.PeerReps), results.Summarize(p.NswasiReps)
	p.PeerSummary, p.NswasiSummary = &ps, &ns
	if ps.Median == 0 {
		return
	}
	p.Ratio = ns.Median / ps.Median
	var pair []float64
	for i := range min(len(p.PeerReps), len(p.NswasiReps)) {
		if p.PeerReps[i] > 0 {
			pair = append(pair, p.NswasiReps[i]/p.PeerReps[i])
		}
	}
	rs := results.Summarize(pair)
	p.RatioCILow, p.RatioCIHigh = rs.CILow, rs.CIHigh
}

// server is a peer tool's server, running under a runner.
type server struct {
	g      sandbox.Guest
	host   string // where the client reaches it
	exited chan struct{}
	out    *lockedBuffer
}

// startServer starts bin under runner, as the nswasi guest it is compared
// with runs: the same network namespace, mount namespace and cgroup, and
// the same CPUs when pinned. (A bare namespace is not the same path: iperf3
// in one read 24 Gbit/s where the netns runner's guest, iperf3 included,
// got 17.) The tools bind their own port, so the runner grants one
// listener only to say where the sandbox is reachable; args gets the
// address to bind: 127.0.0.1 in the root namespace, every address inside
// a namespace, which has only its loopback and its end of the veth.
// startServer returns once a line of the server's output contains ready.
func startServer(ctx context.Context, o *Options, runner, bin string, args func(bind string) []string, ready string) (*server, error) {
	info, _ := runners.Lookup(runner)
	bind := "127.0.0.1"
	if info.Netns {
		bind = "0.0.0.0"
	}
	r, err := runners.New(runner, o.Runner)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	g, _, err := o.startPlaced(ctx, r, sandbox.Spec{
		Artifact: bin,
		Args:     args(bind),
		Env:      []string{},
		Listen:   []sandbox.Listen{{}},
		Stdout:   pw,
		Stderr:   pw,
		Timeout:  o.PeerDuration + o.PeerOmit + 2*time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("%s server: %w", bin, err)
	}
	s := &server{g: g, host: g.Addrs()[0].Addr().String(), exited: make(chan struct{}), out: &lockedBuffer{}}
	go func() {
		defer close(s.exited)
		g.Wait()
		pw.Close()
	}()
	isReady := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			s.out.add(sc.Text())
			if !signalled && strings.Contains(sc.Text(), ready) {
				isReady <- true
				signalled = true
			}
		}
		if !signalled {
			isReady <- false
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case ok := <-isReady:
		if ok {
			return s, nil
		}
		s.stop()
		return nil, fmt.Errorf("%s server exited before it listened: %s", bin, s.out.String())
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, fmt.Errorf("%s server did not say %q within 10 s: %s", bin, ready, s.out.String())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

func (s *server) stop() {
	s.g.Stop()
	<-s.exited
}

// lockedBuffer keeps a server's first output lines for error messages.
type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lockedBuffer) add(l string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) < 20 {
		b.lines = append(b.lines, strings.TrimSpace(l))
	}
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "; ")
}

// iperfOnce starts a one-off iperf3 server at host, waits until it
// listens (it says so on stdout; --forceflush, as a pipe would buffer it), runs one client test of secs seconds after omit seconds of
// slow start left out, and returns the receiver's bytes per second.
func iperfOnce(ctx context.Context, o *Options, runner, bin string, secs, omit int) (float64, string, error) {
	port, err := sandbox.FreePort()
	if err != nil {
		return 0, "", err
	}
	srv, err := startServer(ctx, o, runner, bin, func(bind string) []string {
		return []string{"-s", "-1", "--forceflush", "-B", bind, "-p", strconv.Itoa(port)}
	}, "Server listening")
	if err != nil {
		return 0, "", err
	}
	defer srv.stop()
	host := srv.host
	// -N: Go sets TCP_NODELAY on every TCP connection, nswasi's driver's
	// included; iperf3 leaves Nagle on unless told. Same socket options on
	// both sides, or the comparison measures Nagle (RATIONALE.md).
	args := []string{"-c", host, "-t", strconv.Itoa(secs), "-O", strconv.Itoa(omit), "-l", "128K", "-N", "-J"}
	cmd := "iperf3 " + strings.Join(args, " ")
	bps, err := iperfClient(ctx, bin, append(args, "-p", strconv.Itoa(port)), time.Duration(secs+omit)*time.Second+20*time.Second)
	if err != nil {
		select {
		case <-srv.exited:
			err = fmt.Errorf("%w (server exited: %s)", err, srv.out.String())
		default:
		}
	}
	return bps, cmd, err
}

// iperfClient runs the iperf3 client and reads the receiver's rate from
// its JSON. iperf3 (3.12 at least) exits with status 0 when it fails with
// -J, the error only in the JSON: a refused connection must be read from
// there. It is retried for a few seconds, in case the server, though it
// said so, does not accept yet.
func iperfClient(ctx context.Context, bin string, args []string, timeout time.Duration) (float64, error) {
	for try := 0; ; try++ {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		cl := exec.CommandContext(cctx, bin, args...)
		cl.Env = []string{}
		out, err := cl.Output()
		cancel()
		bps, refused, err := parseIperf(out, err)
		if err == nil || !refused || try >= 30 || ctx.Err() != nil {
			return bps, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// parseIperf reads iperf3 -J output; refused says the client could not
// connect (worth a retry).
func parseIperf(out []byte, runErr error) (bps float64, refused bool, err error) {
	var rep struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		if runErr != nil {
			return 0, false, fmt.Errorf("iperf3 client: %v: %s", runErr, firstLine(string(out)))
		}
		return 0, false, fmt.Errorf("iperf3 output: %w", jerr)
	}
	if rep.Error != "" {
		return 0, strings.Contains(rep.Error, "Connection refused"), fmt.Errorf("iperf3: %s", rep.Error)
	}
	if runErr != nil {
		return 0, false, fmt.Errorf("iperf3 client: %v", runErr)
	}
	if rep.End.SumReceived.BitsPerSecond <= 0 {
		return 0, false, errors.New("iperf3 reported no received bytes")
	}
	return rep.End.SumReceived.BitsPerSecond / 8, false, nil
}

// sockperfOnce starts a sockperf TCP server at host, waits until it
// listens, runs one ping-pong client of secs seconds with rrPeerSize
// messages and returns the median round-trip time in nanoseconds.
// --full-rtt makes sockperf report the round trip, as nswasi's rr does;
// by default it reports half of it as "latency".
func sockperfOnce(ctx context.Context, o *Options, runner, bin string, secs int) (float64, string, error) {
	port, err := sandbox.FreePort()
	if err != nil {
		return 0, "", err
	}
	srv, err := startServer(ctx, o, runner, bin, func(bind string) []string {
		return []string{"server", "--tcp", "-i", bind, "-p", strconv.Itoa(port)}
	}, "block on socket")
	if err != nil {
		return 0, "", err
	}
	defer srv.stop()
	host := srv.host
	args := []string{"ping-pong", "--tcp", "-i", host, "-m", strconv.Itoa(rrPeerSize), "-t", strconv.Itoa(secs), "--full-rtt"}
	cmd := "sockperf " + strings.Join(args, " ")
	cctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+20*time.Second)
	defer cancel()
	cl := exec.CommandContext(cctx, bin, append(args, "-p", strconv.Itoa(port))...)
	cl.Env = []string{}
	out, err := cl.CombinedOutput()
	if err != nil {
		return 0, cmd, fmt.Errorf("sockperf client: %v: %s", err, lastLines(string(out), 3))
	}
	ns, err := parseSockperfP50(string(out))
	return ns, cmd, err
}

var sockperfP50 = regexp.MustCompile(`percentile 50\.000 =\s*([0-9.]+)`)

// parseSockperfP50 reads the median (in µs in sockperf's output) and
// returns it in nanoseconds; it insists on the round-trip summary line,
// so that half-RTT output is never taken for a round trip.
func parseSockperfP50(out string) (float64, error) {
	if !strings.Contains(out, "Round trip is") {
		return 0, fmt.Errorf("sockperf output has no round-trip summary (without --full-rtt it reports half the round trip): %s", lastLines(out, 3))
	}
	m := sockperfP50.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("sockperf output has no median: %s", lastLines(out, 3))
	}
	us, err := strconv.ParseFloat(m[1], 64)
	if err != nil || us <= 0 {
		return 0, fmt.Errorf("sockperf median %q", m[1])
	}
	return us * 1e3, nil
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// load is the machine's one-minute load average, or negative when
// unknown. The peer checks record it: on a loaded machine the ratio
// moves with the load, on both paths alike (RATIONALE.md).
type load float64

func loadAverage() load {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return load(v)
}

// upTo says the load average over a check, from l to end.
func (l load) upTo(end load) string {
	if l < 0 || end < 0 {
		return ""
	}
	return fmt.Sprintf("; load average %.1f at the start, %.1f at the end (%d CPUs)", float64(l), float64(end), runtime.NumCPU())
}
