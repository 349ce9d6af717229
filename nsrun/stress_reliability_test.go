package nsrun

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

const (
	stressEnv   = "NSWASI_TEST_STRESS_STATE"
	stressIDEnv = "NSWASI_TEST_STRESS_ID"
)

// TestHelperStress is not a test: run by TestStressKillsAndCollisions in a
// child process, it creates namespaces (its first draws forced to one
// shared ID, so that the helpers collide), prints each, and closes them
// when stdin closes.
func TestHelperStress(t *testing.T) {
	state := os.Getenv(stressEnv)
	if state == "" {
		t.Skip("SKIP: a helper process for TestStressKillsAndCollisions, not a test of its own")
	}
	id := os.Getenv(stressIDEnv)
	forceIDs(t, id, id, id)
	var all []*Namespace
	defer func() {
		for _, ns := range all {
			if err := ns.Close(); err != nil {
				fmt.Println("close:", err)
			}
		}
	}()
	for range 3 {
		ns, err := New(Options{StateDir: state})
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		all = append(all, ns)
		fmt.Printf("ns %s %s %s\n", ns.Name, ns.HostLink, ns.HostAddr.Masked())
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}

type stressHelper struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	killed bool
	reg    *registry
	// pending holds lines read before the rest.
	pending []string
	names   []string // "netns X", "link Y"
	nets    []netip.Prefix
}

// N nswasi processes create M namespaces each at once, all first trying
// one shared ID, in two state directories; some are killed with SIGKILL at random moments, some
// perhaps half-way through creating one. Every ID is given once; a
// survivor's namespaces, veths and records stay intact through the kills
// and through Clean, which removes everything of the killed ones; the
// survivors' own Close then leaves nothing. Five rounds.
func TestStressKillsAndCollisions(t *testing.T) {
	requireRoot(t)
	const rounds, helpers, perHelper = 5, 4, 3
	for round := range rounds {
		// Two state directories, two helpers each: within one the lock and
		// the exclusive record decide; across them (two users' nswasi)
		// only the kernel's EEXIST does, and Close must touch nothing of
		// the other's.
		states := []string{t.TempDir(), t.TempDir()}
		shared := fmt.Sprintf("%06x", (os.Getpid()*rounds+round)&0xffffff)
		hs := make([]*stressHelper, helpers)
		for i := range hs {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStress$", "-test.count=1")
			cmd.Env = append(os.Environ(), stressEnv+"="+states[i%2], stressIDEnv+"="+shared)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			h := &stressHelper{cmd: cmd, stdin: stdin, lines: make(chan string, 16), reg: &registry{dir: states[i%2]}}
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					h.lines <- sc.Text()
				}
				close(h.lines)
			}()
			hs[i] = h
		}
		// Kill two while the others create: one just after it reported
		// its first namespace (so probably while it makes the next), one
		// at a random moment of the first 300 ms.
		victims := rand.Perm(helpers)[:2]
		seen := map[string]int{}
		first := <-hs[victims[0]].lines
		hs[victims[0]].pending = []string{first}
		time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
		hs[victims[0]].cmd.Process.Signal(syscall.SIGKILL)
		hs[victims[0]].killed = true
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		hs[victims[1]].cmd.Process.Signal(syscall.SIGKILL)
		hs[victims[1]].killed = true
		for i, h := range hs {
			for line := range h.all() {
				f := strings.Fields(line)
				switch {
				case len(f) == 4 && f[0] == "ns":
					h.names = append(h.names, "netns "+f[1], "link "+f[2])
					h.nets = append(h.nets, netip.MustParsePrefix(f[3]))
					seen[f[1]]++
				case line == "ready":
				default:
					t.Errorf("round %d helper %d: %q", round, i, line)
				}
				if line == "ready" {
					break
				}
			}
			if !h.killed && len(h.names) != 2*perHelper {
				t.Fatalf("round %d: surviving helper %d made %d namespaces, want %d", round, i, len(h.names)/2, perHelper)
			}
		}
		for name, n := range seen {
			if n > 1 {
				t.Errorf("round %d: %s given %d times", round, name, n)
			}
		}
		for _, h := range hs {
			if h.killed {
				h.cmd.Wait()
			}
		}
		// What the killed ones recorded, as Clean will find it.
		var recs []Record
		for _, st := range states {
			r, err := (&registry{dir: st}).load()
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r...)
		}
		var orphans []string
		for _, r := range recs {
			if !r.ownerAlive() {
				orphans = append(orphans, "netns "+r.Netns)
				for _, l := range r.Links {
					orphans = append(orphans, "link "+l)
				}
			}
		}
		checkSurvivors := func(when string) {
			for i, h := range hs {
				if h.killed {
					continue
				}
				for _, o := range h.names {
					if !objectExists(o) {
						t.Errorf("round %d %s: %s of surviving helper %d is gone", round, when, o, i)
					}
				}
				for j, p := range h.nets {
					for _, o := range hs {
						if o == h || o.killed {
							continue // across state directories too: the allocation lock is machine-wide
						}
						for _, q := range o.nets {
							if p.Overlaps(q) {
								t.Errorf("round %d: subnets %s and %s of two live helpers overlap", round, p, q)
							}
						}
					}
					_ = j
				}
				if n := recordsOf(h.reg, h.cmd.Process.Pid); n != perHelper {
					t.Errorf("round %d %s: surviving helper %d has %d records, want %d", round, when, i, n, perHelper)
				}
			}
		}
		checkSurvivors("after the kills")
		for _, st := range states {
			if _, err := Clean(Options{StateDir: st}); err != nil {
				t.Errorf("round %d: clean: %v", round, err)
			}
		}
		checkSurvivors("after clean")
		for _, o := range orphans {
			if objectExists(o) {
				t.Errorf("round %d: %s of a killed helper left after clean", round, o)
			}
		}
		for _, h := range hs {
			if !h.killed {
				h.stdin.Close()
				h.cmd.Wait()
				for _, o := range h.names {
					if objectExists(o) {
						t.Errorf("round %d: %s left after its helper closed it", round, o)
					}
				}
			}
		}
		for _, st := range states {
			if left, _ := filepath.Glob(filepath.Join(st, "records", "*")); len(left) > 0 {
				t.Errorf("round %d: records left: %v", round, left)
			}
		}
		t.Logf("round %d: %d namespaces made, %d objects of killed helpers cleaned", round, len(seen), len(orphans))
	}
}

// all yields the pending lines, then the rest.
func (h *stressHelper) all() func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for _, l := range h.pending {
			if !yield(l) {
				return
			}
		}
		for l := range h.lines {
			if !yield(l) {
				return
			}
		}
	}
}

func objectExists(o string) bool {
	kind, name, _ := strings.Cut(o, " ")
	switch kind {
	case "netns":
		_, err := os.Lstat(filepath.Join("/run/netns", name))
		return err == nil
	case "link":
		_, err := netlink.LinkByName(name)
		return err == nil
	}
	return false
}

func recordsOf(reg *registry, pid int) int {
	recs, _ := reg.load()
	n := 0
	for _, r := range recs {
		if r.PID == pid {
			n++
		}
	}
	return n
}
