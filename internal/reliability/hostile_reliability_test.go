package reliability

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

// hostileCase is one misbehaving guest, checked under one runner.
type hostileCase struct {
	name  string
	args  []string
	spec  func(s *sandbox.Spec)
	drive func(t *testing.T, g sandbox.Guest) // between start and Wait/Stop; nil: just Wait
	check func(t *testing.T, runner string, r sandbox.Result)
}

const memLimit = 64 << 20

var hostileCases = []hostileCase{
	{
		// The timeout kills it; for WASI, TestWasiContextInterruptsSpin
		// (wasirun) shows the context alone interrupts the loop.
		name: "spin", args: []string{"spin"},
		spec: func(s *sandbox.Spec) { s.Timeout = time.Second },
		check: func(t *testing.T, _ string, r sandbox.Result) {
			if !r.TimedOut || r.Wall > 20*time.Second {
				t.Errorf("spin: TimedOut=%v after %s, want true within 20s", r.TimedOut, r.Wall)
			}
		},
	},
	{
		name: "membomb", args: []string{"membomb"},
		spec: func(s *sandbox.Spec) { s.Limits.MemoryBytes = memLimit; s.Timeout = time.Minute },
		check: func(t *testing.T, runner string, r sandbox.Result) {
			// The guest's own runtime gives up when the kernel (native) or
			// wazero (memory.grow) refuses more: exit 2 with a runtime fatal
			// error. Which allocation hits the limit first varies: usually
			// the heap ("out of memory"), under load sometimes a new
			// thread's stack, which RLIMIT_DATA counts too.
			oom := regexp.MustCompile(`out of memory|cannot allocate memory|cannot map pages|failed to create new OS thread`)
			if r.TimedOut || r.ExitCode != 2 || !oom.Match(r.Stderr) {
				t.Errorf("membomb: exit %d signal %v timedOut %v, want exit 2 with \"out of memory\"; stderr tail: %s",
					r.ExitCode, r.Signal, r.TimedOut, tail(r.Stderr))
			}
			// What the sandbox process needs anyway (for WASI: the wazero
			// host's runtime and the compiled module, which grows with the
			// guest) comes on top of the limit; it is measured, not guessed:
			// the same runner's peak RSS for a guest that allocates nothing.
			bound := baselineRSS[runner] + memLimit + 32<<20
			if r.MaxRSS <= 0 || r.MaxRSS > bound {
				t.Errorf("membomb: peak RSS %d MiB, want (0, %d MiB]", r.MaxRSS>>20, bound>>20)
			}
			t.Logf("membomb under a %d MiB limit: peak RSS %d MiB, %s", memLimit>>20, r.MaxRSS>>20, describe(r))
		},
	},
	{
		name: "crash-panic", args: []string{"crash", "panic"},
		check: func(t *testing.T, _ string, r sandbox.Result) {
			if r.ExitCode != 2 || r.Signal != 0 || r.Err != nil || !strings.Contains(string(r.Stderr), "deliberate panic") {
				t.Errorf("panic: exit %d signal %v err %v, want exit 2 with the panic on stderr; stderr: %s", r.ExitCode, r.Signal, r.Err, tail(r.Stderr))
			}
		},
	},
	{
		name: "crash-fault", args: []string{"crash", "fault"},
		check: func(t *testing.T, runner string, r sandbox.Result) {
			if isWasi(runner) {
				if r.ExitCode != wasirun.ExitTrap || !strings.Contains(string(r.Stderr), "out of bounds memory access") {
					t.Errorf("trap: exit %d, want %d (ExitTrap) naming the trap; stderr: %s", r.ExitCode, wasirun.ExitTrap, tail(r.Stderr))
				}
				return
			}
			if r.Signal != syscall.SIGSEGV || r.ExitCode != -1 {
				t.Errorf("fault: exit %d signal %v, want killed by SIGSEGV", r.ExitCode, r.Signal)
			}
		},
	},
	{
		name: "exit-7", args: []string{"exit", "7"},
		check: func(t *testing.T, _ string, r sandbox.Result) {
			if r.ExitCode != 7 || r.Signal != 0 || r.TimedOut || r.Err != nil {
				t.Errorf("exit 7: %+v", brief(r))
			}
		},
	},
	{
		name: "closelisten", args: []string{"closelisten"},
		spec: func(s *sandbox.Spec) { s.Listen = []sandbox.Listen{{}} },
		drive: func(t *testing.T, g sandbox.Guest) {
			// Once the guest has closed the only copy, connections are refused.
			addr := g.Addrs()[0].String()
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					if !errors.Is(err, syscall.ECONNREFUSED) {
						t.Errorf("dial after close: %v, want connection refused", err)
					}
					return
				}
				c.Close()
				if time.Now().After(deadline) {
					t.Errorf("%s still accepts 10s after the guest closed its listener", addr)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		},
		check: stoppedBySIGKILL,
	},
	{
		name: "noaccept", args: []string{"noaccept"},
		spec: func(s *sandbox.Spec) { s.Listen = []sandbox.Listen{{}} },
		drive: func(t *testing.T, g sandbox.Guest) {
			// The kernel completes the handshake into the backlog; nothing
			// ever answers, and the client's deadline, not nswasi, ends it.
			c, err := net.DialTimeout("tcp", g.Addrs()[0].String(), 10*time.Second)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(500 * time.Millisecond))
			if _, err := c.Write([]byte("hello?\n")); err != nil {
				t.Errorf("write into the backlog: %v", err)
			}
			var ne net.Error
			if _, err := c.Read(make([]byte, 1)); !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("read from a guest that never accepts: %v, want a timeout", err)
			}
		},
		check: stoppedBySIGKILL,
	},
}

func stoppedBySIGKILL(t *testing.T, _ string, r sandbox.Result) {
	t.Helper()
	if r.Signal != syscall.SIGKILL || r.TimedOut || r.Err != nil {
		t.Errorf("after Stop: %+v, want killed by SIGKILL, not timed out, no error", brief(r))
	}
}

// TestHostileGuests runs each hostile guest under each runner, checks that
// its Result records what happened, and that a well-behaved guest then
// runs normally under the same runner.
func TestHostileGuests(t *testing.T) {
	for _, runner := range available() {
		t.Run(runner, func(t *testing.T) {
			r := newRunner(t, runner)
			// First a normal guest: warms the compilation cache, so that a
			// one-second timeout is spent running, not compiling.
			echoAfter(t, r, runner)
			baselineRSS[runner] = measureBaseline(t, r, runner)
			for _, c := range hostileCases {
				t.Run(c.name, func(t *testing.T) {
					spec := sandbox.Spec{Artifact: artifact(runner), Args: c.args, Timeout: time.Minute}
					if c.spec != nil {
						c.spec(&spec)
					}
					g, err := r.Start(context.Background(), spec)
					if err != nil {
						t.Fatalf("start: %v", err)
					}
					var res sandbox.Result
					if c.drive != nil {
						c.drive(t, g)
						res = g.Stop()
					} else {
						res = g.Wait()
					}
					c.check(t, runner, res)
					echoAfter(t, r, runner)
				})
			}
		})
	}
}

// baselineRSS is each runner's peak RSS for a guest that allocates nothing.
var baselineRSS = map[string]int64{}

func measureBaseline(t *testing.T, r sandbox.Runner, runner string) int64 {
	t.Helper()
	g, err := r.Start(context.Background(), sandbox.Spec{Artifact: artifact(runner), Args: []string{"env"}, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("baseline: %v", err)
	}
	res := g.Wait()
	if res.ExitCode != 0 || res.MaxRSS <= 0 {
		t.Fatalf("baseline guest: exit %d, RSS %d", res.ExitCode, res.MaxRSS)
	}
	t.Logf("baseline peak RSS under %s: %d MiB", runner, res.MaxRSS>>20)
	return res.MaxRSS
}

// echoAfter checks that the runner still works: the rest of an experiment
// would continue.
func echoAfter(t *testing.T, r sandbox.Runner, runner string) {
	t.Helper()
	c := runners.CheckEcho(context.Background(), r, artifact(runner), 4096)
	if c.Err != nil || c.Bytes != 4096 {
		t.Errorf("next guest under %s: echoed %d bytes, err %v", runner, c.Bytes, c.Err)
	}
}

// A flood on stdout and stderr is kept to OutputLimit bytes each, marked
// truncated, and nswasi's own heap stays flat while it passes through.
func TestFloodBounded(t *testing.T) {
	const flood = 64 << 20
	for _, runner := range available() {
		t.Run(runner, func(t *testing.T) {
			r := newRunner(t, runner)
			before := heapInUse()
			rssBefore := vmRSS(t)
			peak := make(chan uint64, 1)
			stop := make(chan struct{})
			go func() { // sample the heap while the flood passes
				var max uint64
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						peak <- max
						return
					case <-tick.C:
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						max = maxU(max, ms.HeapInuse)
					}
				}
			}()
			g, err := r.Start(context.Background(), sandbox.Spec{
				Artifact: artifact(runner), Args: []string{"flood", strconv.Itoa(flood)}, Timeout: time.Minute,
			})
			if err != nil {
				close(stop)
				<-peak
				t.Fatal(err)
			}
			res := g.Wait()
			close(stop)
			maxHeap := <-peak
			after := heapInUse()
			rssAfter := vmRSS(t)
			if res.ExitCode != 0 || res.TimedOut {
				t.Fatalf("flood: %+v; stderr tail %s", brief(res), tail(res.Stderr))
			}
			if len(res.Stdout) != sandbox.OutputLimit || len(res.Stderr) != sandbox.OutputLimit ||
				!res.StdoutTruncated || !res.StderrTruncated {
				t.Errorf("kept %d/%d bytes (truncated %v/%v), want %d each, truncated",
					len(res.Stdout), len(res.Stderr), res.StdoutTruncated, res.StderrTruncated, sandbox.OutputLimit)
			}
			// Two tail buffers of at most 2*OutputLimit each, plus the
			// Result's copies; 64 MiB per stream went through.
			const slack = 16 << 20
			if maxHeap > before+slack || after > before+slack {
				t.Errorf("heap in use: %d MiB before, peak %d MiB, %d MiB after %d MiB per stream: not flat",
					before>>20, maxHeap>>20, after>>20, flood>>20)
			}
			if rssAfter > rssBefore+2*slack {
				t.Errorf("RSS grew from %d to %d MiB", rssBefore>>20, rssAfter>>20)
			}
			t.Logf("%s: heap %d→peak %d→%d KiB, RSS %d→%d KiB over %d MiB per stream",
				runner, before>>10, maxHeap>>10, after>>10, rssBefore>>10, rssAfter>>10, flood>>20)
			runtime.KeepAlive(res)
		})
	}
}

// A native fork bomb under an unprivileged user with a process limit is
// stopped by the kernel, and nothing of it survives the guest.
func TestForkBombContained(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): runs the guest under another uid, and RLIMIT_NPROC does not bind root")
	}
	// The guest and the limit shim (this test binary) must be reachable by
	// the unprivileged uid: go test and MkdirTemp make 0700 directories.
	openUp(t, guest.Native)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	openUp(t, self)
	uid := uint32(60000 + os.Getpid()%5000) // a uid no one else uses, so the count is ours
	const limit = 20
	for _, runner := range []string{"native", "netns"} {
		t.Run(runner, func(t *testing.T) {
			r := newRunner(t, runner)
			// The oracle is outside the guest: the uid's tasks (RLIMIT_NPROC
			// counts threads too), sampled while it runs. The guest's own
			// count, when it gets to print one, is checked too.
			peak := make(chan int, 1)
			stop := make(chan struct{})
			go func() {
				max := 0
				for {
					max = maxInt(max, threadsOf(uid))
					select {
					case <-stop:
						peak <- max
						return
					case <-time.After(time.Millisecond):
					}
				}
			}()
			g, err := r.Start(context.Background(), sandbox.Spec{
				Artifact: guest.Native, Args: []string{"forkbomb"},
				User:    &sandbox.User{UID: uid, GID: uid},
				Limits:  sandbox.Limits{Processes: limit},
				Timeout: time.Minute,
			})
			if err != nil {
				close(stop)
				<-peak
				t.Fatal(err)
			}
			res := g.Wait()
			close(stop)
			seen := <-peak
			// The bomber is refused (EAGAIN) or its own runtime cannot make a
			// thread; either way it ends on its own, well before the timeout.
			if res.TimedOut || res.ExitCode == 0 {
				t.Errorf("fork bomb: %+v, want it to fail on its own; stdout %q stderr %s", brief(res), res.Stdout, tail(res.Stderr))
			}
			// A sample reads /proc one process at a time, so a thread that
			// ends while another starts may be counted twice: a slack of 2.
			const slack = 2
			if seen == 0 || seen > limit+slack {
				t.Errorf("fork bomb: at most %d tasks of uid %d seen at once, want 1..%d (limit %d plus %d for sampling)", seen, uid, limit+slack, limit, slack)
			}
			if m := regexp.MustCompile(`started (\d+) processes`).FindSubmatch(res.Stdout); m != nil {
				if n, _ := strconv.Atoi(string(m[1])); n >= limit {
					t.Errorf("fork bomb started %d processes under a limit of %d", n, limit)
				}
			}
			t.Logf("%s: at most %d tasks (threads) of the bomber's uid seen at once (limit %d)", runner, seen, limit)
			// The children were in the guest's process group, which was sent
			// SIGKILL before Wait returned; give init a moment to reap them.
			deadline := time.Now().Add(5 * time.Second)
			for left := processesOf(uid); len(left) > 0; left = processesOf(uid) {
				if time.Now().After(deadline) {
					t.Errorf("processes of uid %d left 5s after the guest: %v", uid, left)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("%s: %s; stdout %q", runner, describe(res), strings.TrimSpace(string(res.Stdout)))
			echoAfter(t, r, runner)
		})
	}
	t.Run("wasi", func(t *testing.T) {
		r := newRunner(t, "wasi")
		g, err := r.Start(context.Background(), sandbox.Spec{Artifact: guest.Wasm, Args: []string{"forkbomb"}, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		res := g.Wait()
		if res.ExitCode != 1 || !strings.Contains(string(res.Stderr), "cannot start processes") {
			t.Errorf("wasi fork bomb: %+v; stderr %s", brief(res), tail(res.Stderr))
		}
	})
}

// openUp lets every user traverse path's directories and read and execute
// path, restoring the directories' modes when t ends.
func openUp(t *testing.T, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(path); d != "/"; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if mode := st.Mode().Perm(); mode&0o001 == 0 {
			if err := os.Chmod(d, mode|0o011); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(d, mode) })
		}
	}
}

// processesOf lists the pids of processes whose real uid is uid.
func processesOf(uid uint32) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "Uid:" && f[1] == strconv.Itoa(int(uid)) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// threadsOf counts the tasks (threads) of processes whose real uid is uid.
func threadsOf(uid uint32) int {
	n := 0
	for _, pid := range processesOf(uid) {
		if k, err := strconv.Atoi(procStatus(pid)["Threads"]); err == nil {
			n += k
		}
	}
	return n
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// vmRSS is this process's resident set size in bytes.
func vmRSS(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// brief is a Result without its output, for messages.
func brief(r sandbox.Result) sandbox.Result {
	r.Stdout, r.Stderr = nil, nil
	return r
}

func describe(r sandbox.Result) string {
	if r.Signal != 0 {
		return "killed by " + r.Signal.String()
	}
	return fmt.Sprintf("exit %d", r.ExitCode)
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}
