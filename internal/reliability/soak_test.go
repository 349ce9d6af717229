package reliability

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"go.uber.org/goleak"
)

// soakStarts is the number of guest starts per runner; four runners make 240.
const soakStarts = 60

// TestSoakNoLeaks starts the echo guest soakStarts times under every
// runner, connects once, stops it, and then looks for anything left
// behind: namespaces, veths, nftables tables, netns mounts, records,
// temporary files, child processes, open fds and goroutines.
func TestSoakNoLeaks(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // whatever nswasi makes with os.MkdirTemp lands here
	names := available()
	rs := map[string]sandbox.Runner{}
	for _, n := range names {
		rs[n] = newRunner(t, n)
		// One warm-up start each: caches, netlink sockets and the like
		// that live for the whole process are made before the snapshot.
		if c := runners.CheckEcho(context.Background(), rs[n], artifact(n), 64); c.Err != nil {
			t.Fatalf("warm-up under %s: %v", n, c.Err)
		}
	}
	before := snapshotProcess(t)
	rootBefore := snapshotRoot(t)
	t0 := time.Now()

	var groups []int // process groups of the guests
	for i := range soakStarts {
		for _, n := range names {
			g, err := rs[n].Start(context.Background(), sandbox.Spec{
				Artifact: artifact(n), Args: []string{"echo"},
				Listen: []sandbox.Listen{{}}, Timeout: time.Minute,
			})
			if err != nil {
				t.Fatalf("start %d under %s: %v", i, n, err)
			}
			if p, ok := g.(*sandbox.Process); ok {
				groups = append(groups, p.Pid())
			}
			echoOnce(t, g.Addrs()[0].String())
			if r := g.Stop(); r.Err != nil {
				t.Fatalf("stop %d under %s: %v", i, n, r.Err)
			}
		}
	}
	took := time.Since(t0)
	t.Logf("%d starts under %v in %s (%s a start)", soakStarts*len(names), names, took.Round(time.Millisecond),
		(took / time.Duration(soakStarts*len(names))).Round(time.Millisecond))

	// Goroutines: everything a start made has ended.
	goleak.VerifyNone(t, goleak.IgnoreCurrent())

	after := snapshotProcess(t)
	if d := diff(before.fds, after.fds); d != "" {
		t.Errorf("open fds of this process changed: %s", d)
	}
	if len(after.children) > 0 {
		t.Errorf("child processes left: %v", after.children)
	}
	if left := inGroups(groups); len(left) > 0 {
		t.Errorf("processes left in the guests' process groups: %v", left)
	}
	if d := diff(before.records, after.records); d != "" {
		t.Errorf("records of this process in %s changed: %s", nsrun.DefaultStateDir, d)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("temporary files left in TMPDIR: %v", entries)
	}
	if d := diff(before.cacheTemps, after.cacheTemps); d != "" {
		t.Errorf("temporary files in the compilation cache: %s", d)
	}
	rootAfter := snapshotRoot(t)
	if d := diff(rootBefore.nswasiObjects, rootAfter.nswasiObjects); d != "" {
		t.Errorf("nswasi kernel objects changed: %s", d)
	}
	if d := diff(rootBefore.nftTables, rootAfter.nftTables); d != "" {
		t.Errorf("nftables tables changed: %s", d)
	}
	if d := diff(rootBefore.netnsMounts, rootAfter.netnsMounts); d != "" {
		t.Errorf("mounts under /run/netns changed: %s", d)
	}
	for _, tbl := range rootAfter.nftTables {
		if strings.Contains(tbl, "nswasi") {
			t.Errorf("nftables table %s exists", tbl)
		}
	}
	if os.Geteuid() == 0 {
		testenv.NoObjects(t)
	}
}

// echoOnce connects, sends a line and reads it back.
func echoOnce(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	msg := []byte("soak\n")
	got := make([]byte, len(msg))
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	if _, err := io.ReadFull(c, got); err != nil || string(got) != string(msg) {
		t.Fatalf("echo from %s: %q, %v", addr, got, err)
	}
}

type processSnapshot struct {
	fds        []string // "N -> target"
	children   []string
	records    []string
	cacheTemps []string
}

func snapshotProcess(t *testing.T) processSnapshot {
	t.Helper()
	var s processSnapshot
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue // the fd ReadDir itself used, closed by now
		}
		s.fds = append(s.fds, e.Name()+" -> "+target)
	}
	self := strconv.Itoa(os.Getpid())
	for _, pid := range pids() {
		if st := procStatus(pid); st["PPid"] == self {
			s.children = append(s.children, fmt.Sprintf("%d %s", pid, st["Name"]))
		}
	}
	recs, _ := filepath.Glob(filepath.Join(nsrun.DefaultStateDir, "records", "*"))
	for _, r := range recs {
		if b, err := os.ReadFile(r); err == nil && strings.Contains(string(b), `"pid": `+self+",") {
			s.records = append(s.records, r)
		}
	}
	filepath.WalkDir(cacheDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), "tmp") {
			s.cacheTemps = append(s.cacheTemps, path)
		}
		return nil
	})
	return s
}

type rootSnapshot struct {
	nswasiObjects []string
	nftTables     []string
	netnsMounts   []string
}

func snapshotRoot(t *testing.T) rootSnapshot {
	t.Helper()
	var s rootSnapshot
	if os.Geteuid() != 0 {
		return s
	}
	objs, err := nsrun.Objects()
	if err != nil {
		t.Fatal(err)
	}
	s.nswasiObjects = objs
	s.nftTables = nftTables(t)
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], "/run/netns/") {
			s.netnsMounts = append(s.netnsMounts, f[4])
		}
	}
	return s
}

// nftTables lists the root namespace's nftables tables as "family name".
func nftTables(t *testing.T) []string {
	t.Helper()
	conn, err := nftables.New()
	if err != nil {
		t.Fatalf("nftables: %v", err)
	}
	defer conn.CloseLasting()
	tables, err := conn.ListTables()
	if err != nil {
		t.Fatalf("list nftables tables: %v", err)
	}
	var out []string
	for _, tb := range tables {
		out = append(out, fmt.Sprintf("%d %s", tb.Family, tb.Name))
	}
	slices.Sort(out)
	return out
}

func pids() []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// procStatus reads /proc/PID/status into a map of its first fields.
func procStatus(pid int) map[string]string {
	m := map[string]string{}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				m[k] = f[0]
			}
		}
	}
	return m
}

// inGroups lists live processes whose process group is one of groups.
func inGroups(groups []int) []int {
	set := map[string]bool{}
	for _, g := range groups {
		set[strconv.Itoa(g)] = true
	}
	var left []int
	for _, pid := range pids() {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			if f := strings.Fields(s[i+1:]); len(f) > 2 && set[f[2]] {
				left = append(left, pid)
			}
		}
	}
	return left
}

// diff describes how two sorted lists differ, or "" if they do not.
func diff(before, after []string) string {
	var gone, added []string
	for _, b := range before {
		if !slices.Contains(after, b) {
			gone = append(gone, b)
		}
	}
	for _, a := range after {
		if !slices.Contains(before, a) {
			added = append(added, a)
		}
	}
	if len(gone) == 0 && len(added) == 0 {
		return ""
	}
	return fmt.Sprintf("gone %v, added %v", gone, added)
}
