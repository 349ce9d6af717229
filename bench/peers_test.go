package bench

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/sandbox"
	"golang.org/x/sys/unix"
)

// What iperf3 3.12 prints, with exit status 0, when -J is given and
// nobody listens: the failure is only in the JSON.
const iperfRefusedJSON = `{
	"start":	{"connected": [], "version": "iperf 3.12"},
	"intervals":	[],
	"end":	{
	},
	"error":	"unable to connect to server: Connection refused"
}`

func TestParseIperfRefusedWithStatusZero(t *testing.T) {
	bps, refused, err := parseIperf([]byte(iperfRefusedJSON), nil)
	if err == nil || !refused || bps != 0 {
		t.Fatalf("parseIperf(refused JSON, status 0) = %v, refused %v, %v; want an error marked refused", bps, refused, err)
	}
	ok := []byte(`{"end": {"sum_received": {"bits_per_second": 8e9}}}`)
	if bps, refused, err := parseIperf(ok, nil); err != nil || refused || bps != 1e9 {
		t.Fatalf("parseIperf(ok) = %v, %v, %v; want 1e9 bytes/s", bps, refused, err)
	}
	if _, _, err := parseIperf([]byte(`{"end": {}}`), nil); err == nil {
		t.Error("a report with no received bytes was taken as a measurement")
	}
}

func needTool(t *testing.T, tool string) string {
	t.Helper()
	bin, err := exec.LookPath(tool)
	if err != nil {
		t.Skipf("%s is not installed (scripts/provision.sh installs it)", tool)
	}
	return bin
}

// The defect of issue 12: on a fresh machine the client ran before the
// one-off server listened, and iperf3's refusal (status 0, error in the
// JSON) was never retried. Here the server starts well after the client.
func TestIperfClientWaitsForLateServer(t *testing.T) {
	bin := needTool(t, "iperf3")
	port, err := sandbox.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(bin, "-s", "-1", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	time.AfterFunc(700*time.Millisecond, func() { _ = srv.Start() })
	defer func() {
		if srv.Process != nil {
			_ = srv.Process.Kill()
			_ = srv.Wait()
		}
	}()
	bps, err := iperfClient(context.Background(), bin,
		[]string{"-c", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "1", "-J"}, 30*time.Second)
	if err != nil || bps <= 0 {
		t.Fatalf("client against a server that starts 0.7 s later: %v bytes/s, %v", bps, err)
	}
}

func TestPeerToolsOnLoopback(t *testing.T) {
	ctx := context.Background()
	if bin, err := exec.LookPath("iperf3"); err != nil {
		t.Log("iperf3 not installed: skipped its part (scripts/provision.sh installs it)")
	} else {
		bps, cmd, err := iperfOnce(ctx, &Options{}, "native", bin, 1, 0)
		if err != nil || bps <= 0 || !strings.Contains(cmd, "-O 0") {
			t.Errorf("iperf3 on loopback: %v bytes/s (%s), %v", bps, cmd, err)
		}
	}
	bin := needTool(t, "sockperf")
	rtt, cmd, err := sockperfOnce(ctx, &Options{}, "native", bin, 1)
	// A loopback round trip takes more than 100 ns and less than 100 ms
	// even on a loaded machine.
	if err != nil || rtt < 100 || rtt > 1e8 || !strings.Contains(cmd, "--full-rtt") {
		t.Errorf("sockperf on loopback: %v ns (%s), %v", rtt, cmd, err)
	}
}

func TestParseSockperf(t *testing.T) {
	full := "sockperf: Summary: Round trip is 21.570 usec\n" +
		"sockperf: ---> percentile 90.000 =   19.547\n" +
		"sockperf: ---> percentile 50.000 =   17.883\n"
	if ns, err := parseSockperfP50(full); err != nil || math.Abs(ns-17883) > 1e-6 {
		t.Errorf("full RTT output: %v ns, %v; want 17883", ns, err)
	}
	half := "sockperf: Summary: Latency is 10.785 usec\nsockperf: ---> percentile 50.000 =    8.941\n"
	if ns, err := parseSockperfP50(half); err == nil {
		t.Errorf("half-RTT output was taken as a round trip: %v ns", ns)
	}
}

func TestFillRatio(t *testing.T) {
	p := results.Peer{PeerReps: []float64{100, 200, 100}, NswasiReps: []float64{110, 180, 90}}
	fillRatio(&p)
	// medians 100 and 110; paired ratios 1.1, 0.9, 0.9 (mean 0.9667).
	if math.Abs(p.Ratio-1.1) > 1e-9 {
		t.Errorf("ratio %v, want 110/100", p.Ratio)
	}
	if !(p.RatioCILow < 0.9667 && p.RatioCIHigh > 0.9667) || p.RatioCIHigh-p.RatioCILow > 1 {
		t.Errorf("interval [%v, %v] does not bracket the paired mean 0.9667 tightly", p.RatioCILow, p.RatioCIHigh)
	}
	if p.PeerSummary.N != 3 || p.NswasiSummary.Median != 110 {
		t.Errorf("summaries %+v %+v", p.PeerSummary, p.NswasiSummary)
	}
}

// Every check is either measured or recorded as skipped with a reason:
// none is dropped silently.
func TestPeersNeverDropACheck(t *testing.T) {
	// Under wasi only, wrk's wasi check is the one that runs (or fails
	// to start without a guest build, which it must say).
	o := &Options{Runners: []string{"wasi"}, Reps: 1, PeerDuration: time.Second, PeerOmit: 0, Guest: guestForInternal}
	o.Defaults()
	var progress strings.Builder
	peers := runPeers(context.Background(), o, &progress)
	if len(peers) != 6 {
		t.Fatalf("%d peer records, want 6 (iperf3 and sockperf × two paths, wrk × two runners): %+v", len(peers), peers)
	}
	for _, p := range peers {
		if p.Skipped == "" && p.Ratio == 0 && p.Detail == "" {
			t.Errorf("%s %s %s: neither measured nor skipped nor failed with a reason", p.Tool, p.Path, p.Runner)
		}
	}
	if n := strings.Count(progress.String(), "skipped:"); n != 5 {
		t.Errorf("%d skip lines, want 5:\n%s", n, progress.String())
	}
}

// The whole comparison, both paths, one short repetition each.
func TestPeersCompare(t *testing.T) {
	needTool(t, "iperf3")
	needTool(t, "sockperf")
	needTool(t, "wrk")
	names := []string{"native", "wasi"}
	if os.Geteuid() == 0 {
		names = append(names, "netns")
	} else {
		t.Log("not root: the veth path (netns) is left out")
	}
	o := &Options{Runners: names, Reps: 1, PeerDuration: time.Second, PeerOmit: 0, Guest: guestForInternal}
	o.OutDir = t.TempDir()
	o.Defaults()
	peers := runPeers(context.Background(), o, nil)
	for _, p := range peers {
		if p.Skipped != "" {
			if p.Path == "veth" && os.Geteuid() != 0 {
				continue
			}
			t.Errorf("%s %s skipped: %s", p.Tool, p.Path, p.Skipped)
			continue
		}
		if p.Ratio <= 0 || len(p.PeerReps) != 1 || len(p.NswasiReps) != 1 {
			t.Errorf("%s %s: ratio %v, reps %v / %v: %s", p.Tool, p.Path, p.Ratio, p.PeerReps, p.NswasiReps, p.Detail)
		}
	}
}

func TestParseWrk(t *testing.T) {
	ok := "  1866 requests in 2.03s, 2.03MB read\nRequests/sec:    919.02\nTransfer/sec:      1.00MB\n"
	if v, err := parseWrk(ok); err != nil || v != 919.02 {
		t.Errorf("parseWrk(ok) = %v, %v", v, err)
	}
	for _, bad := range []string{
		ok + "  Socket errors: connect 0, read 3, write 0, timeout 0\n",
		ok + "  Non-2xx or 3xx responses: 12\n",
		"unable to connect to 127.0.0.1:1 Connection refused\n",
	} {
		if v, err := parseWrk(bad); err == nil {
			t.Errorf("parseWrk(%q) = %v, want an error", bad, v)
		}
	}
}

// With pinning, a peer tool's server is placed on the sandbox's CPUs, as
// nswasi's guests are, not left on the driver's CPU it was forked from.
func TestPeerServerPlacedLikeAGuest(t *testing.T) {
	d, sb, ok := pinSets()
	if !ok {
		t.Skip("fewer than two CPUs: pinning is skipped by design")
	}
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	// The server starts with the driver's threads on every CPU, which
	// are then pinned back to pinDriver: all of them here, so that the
	// test leaves the process as it found it.
	o := &Options{Pin: true, pinSandbox: sb, pinDriver: all, unpinned: all}
	srv, err := startServer(context.Background(), o, "native", "/bin/sh", func(string) []string {
		return []string{"-c", "echo listening; exec sleep 30"}
	}, "listening")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	var got unix.CPUSet
	if err := unix.SchedGetaffinity(serverPid(t, srv), &got); err != nil {
		t.Fatal(err)
	}
	if got != sb || got == d {
		t.Errorf("server on CPUs %s, want the sandbox's %s (driver: %s)", cpuList(got), cpuList(sb), cpuList(d))
	}
	if err := (&Options{Pin: true}).placeSandbox(0); err == nil {
		t.Error("pinning a sandbox without a process id succeeded")
	}
}

func serverPid(t *testing.T, srv *server) int {
	p, ok := srv.g.(interface{ Pid() int })
	if !ok {
		t.Fatal("the runner's guest has no pid")
	}
	return p.Pid()
}

// A peer tool's server on the veth path runs in the netns runner's
// sandbox, as the guest it is compared with does: its own network
// namespace (a bare one read a third faster than the runner's), and told
// to bind inside it, where the runner says it is reachable.
func TestPeerServerInTheGuestsSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the netns runner needs root")
	}
	srv, err := startServer(context.Background(), &Options{}, "netns", "/bin/sh", func(bind string) []string {
		return []string{"-c", "echo bind=" + bind + "; exec sleep 30"}
	}, "bind=")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	self, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", serverPid(t, srv)))
	if err != nil {
		t.Fatal(err)
	}
	if theirs == self {
		t.Errorf("server in nswasi's own network namespace %s", self)
	}
	if a, err := netip.ParseAddr(srv.host); err != nil || a.IsLoopback() || !strings.Contains(srv.out.String(), "bind=0.0.0.0") {
		t.Errorf("server told %q, reachable at %s; want every address inside the namespace, reached at its veth", srv.out.String(), srv.host)
	}
}

// The load average recorded beside a peer check reads /proc/loadavg, and
// says nothing when it could not be read.
func TestLoadAverageSaid(t *testing.T) {
	if l := loadAverage(); l < 0 {
		t.Fatal("no load average from /proc/loadavg")
	}
	if s := load(1.5).upTo(2); !strings.Contains(s, "load average 1.5 at the start, 2.0 at the end") {
		t.Errorf("upTo = %q", s)
	}
	if s := load(-1).upTo(2); s != "" {
		t.Errorf("an unknown load said %q", s)
	}
}
