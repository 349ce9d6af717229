package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nswasi/nswasi/sandbox"
)

// clockTick is the unit of /proc/PID/stat's CPU times: USER_HZ, 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// processCPU reads the user and system CPU time of process pid (all its
// threads) from /proc. The driver samples it around each repetition, so
// that the sandbox's CPU is attributed to the measured window alone and
// not to start-up or warm-up (those are in the rusage at exit).
func processCPU(pid int) (user, sys time.Duration, err error) {
	if pid <= 0 {
		return 0, 0, fmt.Errorf("no pid for the sandbox process")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(b[i+1:])
	// After ')': state(3) ... utime is field 14, stime 15 (1-based), so 11 and 12 here.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return time.Duration(u) * clockTick, time.Duration(s) * clockTick, nil
}

// threadsCPU is the CPU time of every live thread of process pid, from
// the scheduler's own account in /proc/PID/task/*/schedstat (nanoseconds
// on a CPU). /proc/PID/stat counts in 10 ms ticks, between which the few
// microseconds an idle guest spends per wake-up fall: a 200 ms idle
// repetition reads either 0 or 0.05 CPU-s/s from it. Threads that exit
// during the window are not counted; a waiting guest's do not.
func threadsCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("no pid for the sandbox process")
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/schedstat")
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread exited since the listing
		}
		if err != nil {
			return 0, err
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			return 0, fmt.Errorf("%s/%s/schedstat: empty", dir, t.Name())
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s/%s/schedstat: %w", dir, t.Name(), err)
		}
		total += time.Duration(ns)
	}
	return total, nil
}

// pinTree sets the CPU affinity of every thread of pid and its
// descendants; threads created later inherit it from their creator.
func pinTree(pid int, set unix.CPUSet) error {
	pids, err := treePIDs(pid)
	if err != nil {
		return err
	}
	for _, p := range pids {
		if err := pinThreads(p, set); err != nil {
			return err
		}
	}
	return nil
}

// pinThreads sets the CPU affinity of every thread of pid, and of no
// other process.
func pinThreads(pid int, set unix.CPUSet) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil // exited meanwhile
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("pin thread %d of process %d: %w", tid, pid, err)
		}
	}
	return nil
}

// pinSets splits the CPUs nswasi may use into the driver's (the first)
// and the sandbox's (the rest); ok is false with fewer than two.
func pinSets() (driver, sandbox unix.CPUSet, ok bool) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 {
		return driver, sandbox, false
	}
	first := true
	for c := range 1024 {
		if !all.IsSet(c) {
			continue
		}
		if first {
			driver.Set(c)
			first = false
		} else {
			sandbox.Set(c)
		}
	}
	return driver, sandbox, true
}

// cpuList writes a CPU set as "0" or "1,2,3".
func cpuList(set unix.CPUSet) string {
	var out []string
	for c := range 1024 {
		if set.IsSet(c) {
			out = append(out, strconv.Itoa(c))
		}
	}
	return strings.Join(out, ",")
}

// startPlaced starts a sandbox through r and, when pinning, places it on
// the sandbox's CPUs. Every sandbox a bench starts goes through here (the
// cases' guests, the peer tools' servers, wrk's and start's standalone
// guests), so all start and run alike. It returns the sandbox process's
// pid (0 if the guest gives none); on error nothing it started is left
// running.
//
// The start itself runs with the driver's threads on every CPU they had
// before pinning: the sandbox inherits the affinity of the thread that
// forks it, and so its Go runtime sizes itself, and wazero loads its
// module, on every CPU, not squeezed onto the driver's (pinned from the
// start, every WASI case of the quick experiment took 0.1–0.2 s longer).
// Only the driver's threads move: the group's other sandboxes stay where
// they are. placeSandbox then moves the new one to the sandbox's CPUs (a
// Go runtime follows within a second).
func (o *Options) startPlaced(ctx context.Context, r sandbox.Runner, spec sandbox.Spec) (sandbox.Guest, int, error) {
	if !o.Pin {
		g, err := r.Start(ctx, spec)
		if err != nil {
			return nil, 0, err
		}
		return g, guestPid(g), nil
	}
	if err := pinThreads(os.Getpid(), o.unpinned); err != nil {
		return nil, 0, err
	}
	g, err := r.Start(ctx, spec)
	pinErr := pinThreads(os.Getpid(), o.pinDriver)
	if err != nil {
		return nil, 0, err
	}
	pid := guestPid(g)
	if pinErr == nil {
		pinErr = o.placeSandbox(pid)
	}
	if pinErr != nil {
		g.Stop()
		return nil, 0, pinErr
	}
	return g, pid, nil
}

// guestPid is the pid of the process that holds g's sandbox, or 0.
func guestPid(g sandbox.Guest) int {
	if p, ok := g.(interface{ Pid() int }); ok {
		return p.Pid()
	}
	return 0
}

// placeSandbox puts process pid (and its descendants) on the sandbox's
// CPUs when pinning: every guest, and every peer tool's server, so that
// nswasi and the tool it is compared with are placed alike. Without
// pinning it does nothing.
func (o *Options) placeSandbox(pid int) error {
	if !o.Pin {
		return nil
	}
	if pid <= 0 {
		return errors.New("pin: the sandbox gives no process id")
	}
	return pinTree(pid, o.pinSandbox)
}
