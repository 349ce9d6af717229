package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/nsrun"
)

// peerSize is the write size of both sides of the fidelity comparison:
// iperf3's default for TCP.
const peerSize = 128 << 10

// runPeers measures iperf3 over root-namespace loopback (against the
// native runner) and over a namespace's veth (against the netns runner),
// in this invocation, and the nswasi stream-in run that matches it: same
// direction, write size, one connection, duration and repetitions.
func runPeers(ctx context.Context, o *Options, progress io.Writer) []results.Peer {
	say := func(format string, a ...any) {
		if progress != nil {
			fmt.Fprintf(progress, format+"\n", a...)
		}
	}
	bin, err := exec.LookPath("iperf3")
	if err != nil {
		say("fidelity: iperf3 is not installed: no peer comparison (apt-get install iperf3)")
		return nil
	}
	// iperf3 takes whole seconds.
	secs := max(1, int(o.Duration.Round(time.Second)/time.Second))
	po := *o
	po.Duration = time.Duration(secs) * time.Second
	po.Warmup = po.Duration / 4
	po.Verify = false
	var peers []results.Peer
	for _, p := range []struct{ path, runner string }{{"loopback", "native"}, {"veth", "netns"}} {
		if !slices.Contains(o.Runners, p.runner) || ctx.Err() != nil {
			continue
		}
		peer := results.Peer{Tool: "iperf3", Path: p.path}
		bps, err := iperfPath(ctx, bin, p.path, o, secs)
		if err != nil {
			peer.Detail = "iperf3 failed: " + err.Error()
			peers = append(peers, peer)
			say("fidelity %s: %s", p.path, peer.Detail)
			continue
		}
		peer.BPS = median(bps)
		run := runOne(ctx, &po, Case{Scenario: "stream", Direction: "in", Runner: p.runner, Mode: "blocking", Size: peerSize, Conns: 1})
		if run.Error != "" || run.Summary.N == 0 {
			peer.Detail = fmt.Sprintf("nswasi stream-in %s failed: %s", p.runner, run.Error)
		} else {
			peer.Ratio = run.Summary.Median / peer.BPS
			peer.Detail = fmt.Sprintf("nswasi stream-in under %s, blocking, %d KiB writes, 1 connection: median %.0f MB/s of %d reps %v; iperf3 -l 128K -t %d: %d reps %v MB/s",
				p.runner, peerSize>>10, run.Summary.Median/1e6, run.Summary.N, mbps(run.Reps), secs, len(bps), mbps(bps))
		}
		peers = append(peers, peer)
		say("fidelity %s: iperf3 %.0f MB/s, nswasi/iperf3 %.2f", p.path, peer.BPS/1e6, peer.Ratio)
	}
	return peers
}

// iperfPath runs o.Reps iperf3 tests, the server in the root namespace on
// loopback or inside a fresh nswasi namespace, the client outside.
func iperfPath(ctx context.Context, bin, path string, o *Options, secs int) ([]float64, error) {
	var out []float64
	for range o.Reps {
		var bps float64
		var err error
		if path == "loopback" {
			bps, err = iperfOnce(ctx, bin, "127.0.0.1", secs, nil)
		} else {
			var ns *nsrun.Namespace
			ns, err = nsrun.New(o.Runner.Namespace)
			if err != nil {
				return nil, err
			}
			bps, err = iperfOnce(ctx, bin, ns.PeerAddr.Addr().String(), secs, ns.Spawn)
			err = errors.Join(err, ns.Close())
		}
		if err != nil {
			return nil, err
		}
		out = append(out, bps)
	}
	return out, nil
}

// iperfOnce starts a one-off iperf3 server at host (through spawn, on a
// thread inside a namespace, when given), runs the client against it and
// returns the receiver's bytes per second.
func iperfOnce(ctx context.Context, bin, host string, secs int, spawn func(func()) error) (float64, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	srv := exec.Command(bin, "-s", "-1", "-B", host, "-p", strconv.Itoa(port))
	srv.Env = []string{}
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	srv.Stderr = &stderr
	started := make(chan error, 1)
	exited := make(chan struct{})
	run := func() {
		defer close(exited)
		if err := srv.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		_ = srv.Wait()
	}
	if spawn == nil {
		// The forking thread must outlive the server: Pdeathsig follows
		// the thread, not the process (as in sandbox.StartProcess).
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			run()
		}()
	} else if err := spawn(run); err != nil {
		return 0, err
	}
	if err := <-started; err != nil {
		return 0, fmt.Errorf("iperf3 server: %w", err)
	}
	defer func() {
		_ = syscall.Kill(-srv.Process.Pid, syscall.SIGKILL)
		<-exited
	}()
	var out []byte
	for try := 0; ; try++ {
		cctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+20*time.Second)
		cl := exec.CommandContext(cctx, bin, "-c", host, "-p", strconv.Itoa(port), "-t", strconv.Itoa(secs), "-l", "128K", "-J")
		cl.Env = []string{}
		out, err = cl.Output()
		cancel()
		if err == nil || try >= 50 || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond) // the server may not listen yet
	}
	if err != nil {
		select {
		case <-exited:
			return 0, fmt.Errorf("iperf3 server exited early (%v): %s", srv.ProcessState, stderr.String())
		default:
		}
		return 0, fmt.Errorf("iperf3 client: %v: %s %s", err, firstLine(string(out)), stderr.String())
	}
	var rep struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		return 0, fmt.Errorf("iperf3 output: %w", err)
	}
	if rep.Error != "" {
		return 0, fmt.Errorf("iperf3: %s", rep.Error)
	}
	return rep.End.SumReceived.BitsPerSecond / 8, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func mbps(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x / 1e6)
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
