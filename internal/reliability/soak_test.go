package reliability

import (
	"context"
	"encoding/json"
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
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"go.uber.org/goleak"
)

// soakStarts is the number of guest starts per runner in `make test`:
// five runners as root make 200. NSWASI_SOAK_STARTS sets the total across
// all runners instead (`make soak` asks for 1000).
const soakStarts = 40

func soakStartsPerRunner(t *testing.T, runners int) int {
	t.Helper()
	v := os.Getenv("NSWASI_SOAK_STARTS")
	if v == "" {
		return soakStarts
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("NSWASI_SOAK_STARTS=%q: want a positive number", v)
	}
	return (n + runners - 1) / runners
}

// TestSoakNoLeaks starts the echo guest many times under every runner,
// connects once, stops it, and then looks for anything left behind. It
// judges only what its own starts made, known while they ran — on a shared
// machine others' nswasi objects come and go meanwhile: the objects the
// records this process wrote named (namespaces, veths, cgroups), their network namespaces by
// inode and cookie held by any thread of any process or mounted under
// /run/netns (with the nftables tables inside any survivor), records,
// temporary files, children and process-group members, this process's
// open fds and goroutines.
func TestSoakNoLeaks(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // whatever nswasi makes with os.MkdirTemp lands here
	// The records go where every nswasi on the machine records, so that
	// subnet allocation sees theirs and they see ours (an nswasi without
	// the machine-wide allocation lock reads only its own state
	// directory); the soak judges only the records its own pid wrote.
	state := nsrun.DefaultStateDir
	if d := os.Getenv(nsrun.StateDirEnv); d != "" {
		state = d
	}
	names := available()
	perRunner := soakStartsPerRunner(t, len(names))
	rs := map[string]sandbox.Runner{}
	for _, n := range names {
		rs[n] = newRunner(t, n)
		// One warm-up start each: caches, netlink sockets and the like
		// that live for the whole process are made before the snapshot.
		if c := runners.CheckEcho(context.Background(), rs[n], artifact(n), 64); c.Err != nil {
			t.Fatalf("warm-up under %s: %v", n, c.Err)
		}
	}
	// Goroutines running now are not the loop's: snapshot them before it,
	// so that everything the loop starts must have ended after it.
	ignoreBefore := goleak.IgnoreCurrent()
	before := snapshotProcess(t)
	rootBefore := snapshotRoot(t)
	var rootNS nsIdent
	if os.Geteuid() == 0 {
		var err error
		if rootNS, err = identOf("/proc/self/ns/net"); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()

	var groups []int                 // process groups of the guests
	namespaces := map[nsIdent]bool{} // the guests' network namespaces
	objects := map[string]bool{}     // what the records named while the guests ran
	fwSeen := 0
	for i := range perRunner {
		for _, n := range names {
			// One start per call, so that a failure stops its guest (Stop
			// is idempotent) and removes its objects before the test ends.
			func() {
				g, err := rs[n].Start(context.Background(), sandbox.Spec{
					Artifact: artifact(n), Args: []string{"echo"},
					Listen: []sandbox.Listen{{}}, Timeout: time.Minute,
				})
				if err != nil {
					t.Fatalf("start %d under %s: %v", i, n, err)
				}
				defer g.Stop()
				p, ok := g.(*sandbox.Process)
				if !ok {
					t.Fatalf("%s: guest is a %T, not a *sandbox.Process", n, g)
				}
				groups = append(groups, p.Pid())
				for _, o := range recordedObjects(t, state) {
					objects[o] = true
				}
				if strings.Contains(n, "netns") {
					nsPath := fmt.Sprintf("/proc/%d/ns/net", p.Pid())
					id, err := identOf(nsPath)
					if err != nil || id == rootNS {
						t.Fatalf("%s: the guest's namespace: %+v, %v (root: %+v)", n, id, err, rootNS)
					}
					namespaces[id] = true
					if n == "netns+fw" {
						// The control: the sweep's lister must see the table
						// where it lives, inside the guest's namespace.
						tables, err := nftTablesAt(nsPath)
						if err != nil || !slices.Contains(tables, fmt.Sprintf("%d %s", nftables.TableFamilyINet, nsrun.FirewallTable)) {
							t.Fatalf("netns+fw: tables in the guest's namespace %v, %v: want %s", tables, err, nsrun.FirewallTable)
						}
						fwSeen++
					}
				}
				echoOnce(t, g.Addrs()[0].String())
				if r := g.Stop(); r.Err != nil {
					t.Fatalf("stop %d under %s: %v", i, n, r.Err)
				}
			}()
		}
	}
	took := time.Since(t0)
	total := perRunner * len(names)
	t.Logf("%d starts under %v in %s (%s a start); %d namespaces, %d recorded objects, %d firewall tables seen",
		total, names, took.Round(time.Millisecond), (took / time.Duration(total)).Round(time.Millisecond),
		len(namespaces), len(objects), fwSeen)

	// Goroutines: everything a start made has ended.
	goleak.VerifyNone(t, ignoreBefore)

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
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("temporary files left in TMPDIR: %v", entries)
	}
	if d := diff(before.cacheTemps, after.cacheTemps); d != "" {
		t.Errorf("temporary files in the compilation cache: %s", d)
	}
	if left := recordedObjects(t, state); len(left) > 0 {
		t.Errorf("records left: %v", left)
	}
	if os.Geteuid() != 0 {
		return
	}
	nsRunners := 0
	for _, n := range names {
		if strings.Contains(n, "netns") {
			nsRunners++
		}
	}
	if len(objects) == 0 || len(namespaces) != perRunner*nsRunners {
		t.Errorf("%d recorded objects and %d namespaces seen while %d guests ran: the sweep below would prove nothing",
			len(objects), len(namespaces), total)
	}
	all, err := nsrun.Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if objects[o] {
			t.Errorf("left behind: %s", o)
		}
	}
	for _, s := range surviving(namespaces) {
		t.Errorf("a guest's namespace survives: %s", s)
	}
	rootAfter := snapshotRoot(t)
	if d := diff(rootBefore.nftTables, rootAfter.nftTables); strings.Contains(d, nsrun.FirewallTable) {
		t.Errorf("nftables tables in the root namespace changed: %s", d)
	}
	for _, m := range rootAfter.netnsMounts {
		if objects["netns "+filepath.Base(m)] {
			t.Errorf("mount %s left", m)
		}
	}
}

// recordedObjects lists the objects that the records this process wrote in
// state name, as nsrun.Objects spells them.
func recordedObjects(t *testing.T, state string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(state, "records", "*.json"))
	var objs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // removed meanwhile
		}
		var rec nsrun.Record
		if err := json.Unmarshal(b, &rec); err != nil {
			t.Fatalf("record %s: %v", f, err)
		}
		if rec.PID != os.Getpid() {
			continue // another nswasi's
		}
		objs = append(objs, rec.Objects()...)
	}
	return objs
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
