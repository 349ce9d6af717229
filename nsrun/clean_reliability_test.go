package nsrun

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): creates network namespaces and veth pairs")
	}
}

// rewriteRecord changes the owner of ns's record, as if another process
// had written it.
func rewriteRecord(t *testing.T, ns *Namespace, pid int, start uint64) {
	t.Helper()
	recs, err := ns.rec.load()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Netns == ns.Name {
			r.PID, r.PIDStart = pid, start
			if err := ns.rec.write(r); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no record for %s", ns.Name)
}

func exists(ns *Namespace) (netnsThere, linkThere bool) {
	_, err := os.Lstat(filepath.Join("/run/netns", ns.Name))
	_, lerr := netlink.LinkByName(ns.HostLink)
	return err == nil, lerr == nil
}

// clean leaves a namespace whose owner runs, whoever the owner is, and
// removes one whose owner's pid now belongs to a different process: the
// record's start time tells them apart.
func TestCleanOwnerAliveAndReusedPID(t *testing.T) {
	requireRoot(t)
	opts := Options{StateDir: t.TempDir()}
	ns, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()

	// The owner is this process, alive.
	rep, err := Clean(opts)
	if err != nil {
		t.Fatal(err)
	}
	if n, l := exists(ns); !n || !l || !slices.Contains(rep.InUse, "netns "+ns.Name) {
		t.Fatalf("clean with the owner alive: netns %v link %v, report %+v", n, l, rep)
	}

	// The owner is another live process.
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { other.Process.Kill(); other.Wait() }()
	start, err := processStart(other.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	rewriteRecord(t, ns, other.Process.Pid, start)
	if _, err := Clean(opts); err != nil {
		t.Fatal(err)
	}
	if n, l := exists(ns); !n || !l {
		t.Fatalf("clean removed a namespace whose owner (pid %d) runs: netns %v link %v", other.Process.Pid, n, l)
	}

	// The same pid, but a different start time: the owner died and the
	// pid was reused, so the objects are orphans.
	rewriteRecord(t, ns, other.Process.Pid, start+1)
	rep, err = Clean(opts)
	if err != nil {
		t.Fatal(err)
	}
	if n, l := exists(ns); n || l {
		t.Fatalf("clean left an orphan whose pid was reused: netns %v link %v, report %+v", n, l, rep)
	}
	if !slices.Contains(rep.Removed, "netns "+ns.Name) || !slices.Contains(rep.Removed, "link "+ns.HostLink) {
		t.Errorf("report does not list the removals: %+v", rep)
	}
	if recs, _ := ns.rec.load(); len(recs) != 0 {
		t.Errorf("records left after clean: %+v", recs)
	}
}

// addVeth creates a veth pair in this namespace to stand for an object
// nswasi did not create, and removes it when t ends.
func addVeth(t *testing.T, name string) {
	t.Helper()
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"}); err != nil {
		t.Fatalf("create veth %s: %v", name, err)
	}
	t.Cleanup(func() {
		if l, err := netlink.LinkByName(name); err == nil {
			netlink.LinkDel(l)
		}
	})
}

// Clean removes only objects that a record names AND whose names carry the
// prefix: a (forged or corrupted) record naming a foreign link is not
// enough, and neither is the prefix on a link no record names.
func TestCleanNeedsPrefixAndRecord(t *testing.T) {
	requireRoot(t)
	opts := Options{StateDir: t.TempDir()}
	id := fmt.Sprint(os.Getpid() % 10000) // names stay within IFNAMSIZ
	foreign, unrecorded := "relt"+id, Prefix+"r"+id
	addVeth(t, foreign)
	addVeth(t, unrecorded)
	self, _ := processStart(os.Getpid())
	reg := &registry{dir: opts.StateDir}
	if err := reg.locked(func() error {
		return reg.write(Record{ID: "forged", Netns: foreign, Links: []string{foreign}, Subnet: "198.18.255.0/30",
			PID: os.Getpid(), PIDStart: self + 1}) // a dead owner
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := Clean(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{foreign, unrecorded} {
		if _, err := netlink.LinkByName(name); err != nil {
			t.Errorf("clean removed %s, which nswasi did not provably create: %v (report %+v)", name, err, rep)
		}
		if slices.Contains(rep.Removed, "link "+name) {
			t.Errorf("report claims %s removed", name)
		}
	}
	if !slices.Contains(rep.Unrecorded, "link "+unrecorded) {
		t.Errorf("report does not list %s as unrecorded: %+v", unrecorded, rep)
	}
}

// helperEnv makes the test binary a namespace-creating helper process.
const helperEnv = "NSWASI_TEST_HELPER_STATE"

// TestHelperCreateNamespaces is not a test: run by
// TestConcurrentProcessesDoNotCollide in a child process, it creates
// namespaces, prints them, and closes them when stdin closes.
func TestHelperCreateNamespaces(t *testing.T) {
	state := os.Getenv(helperEnv)
	if state == "" {
		t.Skip("SKIP: a helper process for TestConcurrentProcessesDoNotCollide, not a test of its own")
	}
	var all []*Namespace
	defer func() {
		for _, ns := range all {
			if err := ns.Close(); err != nil {
				fmt.Println("close:", err)
			}
		}
	}()
	for range 5 {
		ns, err := New(Options{StateDir: state})
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		all = append(all, ns)
		fmt.Printf("ns %s %s %s %s\n", ns.Name, ns.HostLink, ns.PeerLink, ns.HostAddr.Masked())
	}
	io.Copy(io.Discard, os.Stdin)
}

// Two nswasi processes creating namespaces at the same time get distinct
// names and non-overlapping subnets.
func TestConcurrentProcessesDoNotCollide(t *testing.T) {
	requireRoot(t)
	state := t.TempDir()
	type helper struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Scanner
	}
	var hs []helper
	var names []string
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCreateNamespaces$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperEnv+"="+state)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, helper{cmd, stdin, bufio.NewScanner(stdout)})
	}
	defer func() {
		for _, h := range hs {
			h.stdin.Close()
			done := make(chan error, 1)
			go func() { done <- h.cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				h.cmd.Process.Kill()
				t.Error("helper did not exit")
			}
		}
		for _, n := range names {
			if _, err := netlink.LinkByName(n); err == nil && strings.HasSuffix(n, "h") {
				t.Errorf("%s left after both helpers closed their namespaces", n)
			}
		}
		if recs, _ := (&registry{dir: state}).load(); len(recs) > 0 {
			t.Errorf("records left after both helpers closed: %+v", recs)
		}
	}()
	var subnets []netip.Prefix
	for i, h := range hs {
		for n := 0; n < 5 && h.out.Scan(); n++ {
			f := strings.Fields(h.out.Text())
			if len(f) != 5 || f[0] != "ns" {
				t.Fatalf("helper %d: %q", i, h.out.Text())
			}
			names = append(names, f[1], f[2], f[3])
			subnets = append(subnets, netip.MustParsePrefix(f[4]))
		}
	}
	if len(subnets) != 10 {
		t.Fatalf("got %d namespaces from two helpers, want 10", len(subnets))
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("name %s given twice", n)
		}
		seen[n] = true
	}
	for i := range subnets {
		for j := i + 1; j < len(subnets); j++ {
			if subnets[i].Overlaps(subnets[j]) {
				t.Errorf("subnets %s and %s overlap", subnets[i], subnets[j])
			}
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, "h") {
			if _, err := netlink.LinkByName(n); err != nil {
				t.Errorf("veth %s, reported created, is not there: %v", n, err)
			}
		}
	}
}
