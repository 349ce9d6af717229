package reliability

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// runEveryRunner starts the echo guest once under each runner — and, as
// root, under netns with a tbf rate limit on its veth, so that shaping is
// exercised too — echoes, calls during while the guest still runs, and
// stops it: the activity the security promises are checked around. A
// change that teardown reverts is visible only to during.
func runEveryRunner(t *testing.T, during func(runner string)) {
	t.Helper()
	type named struct {
		name string
		r    sandbox.Runner
		art  string
	}
	var rs []named
	for _, n := range available() {
		rs = append(rs, named{n, newRunner(t, n), artifact(n)})
	}
	if os.Geteuid() == 0 {
		rs = append(rs, named{"netns shaped", nsrun.Netns{Options: nsrun.Options{Shape: nsrun.Shape{RateBits: 100e6}}}, guest.Native})
	}
	for _, n := range rs {
		g, err := n.r.Start(context.Background(), sandbox.Spec{Artifact: n.art, Args: []string{"echo"},
			Listen: []sandbox.Listen{{}}, Timeout: time.Minute})
		if err != nil {
			t.Fatalf("start under %s: %v", n.name, err)
		}
		echoOnce(t, g.Addrs()[0].String())
		if during != nil {
			during(n.name)
		}
		if r := g.Stop(); r.Err != nil {
			t.Fatalf("stop under %s: %v", n.name, r.Err)
		}
	}
}

// forwardingSysctls reads every IPv4 and IPv6 forwarding switch of the
// root namespace except those of nswasi's own veths.
func forwardingSysctls(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	paths := []string{"/proc/sys/net/ipv4/ip_forward"}
	for _, fam := range []string{"ipv4", "ipv6"} {
		confs, _ := filepath.Glob("/proc/sys/net/" + fam + "/conf/*/forwarding")
		paths = append(paths, confs...)
	}
	for _, p := range paths {
		if strings.Contains(p, "/"+nsrun.Prefix) {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue // an interface that went away meanwhile
		}
		m[p] = strings.TrimSpace(string(b))
	}
	return m
}

// nswasi never enables IP forwarding, globally or on any interface: read
// while each guest runs and after.
func TestNoForwardingEnabled(t *testing.T) {
	testenv.RequireRoot(t)
	before := forwardingSysctls(t)
	check := func(when string) {
		after := forwardingSysctls(t)
		for p, v := range before {
			if after[p] != v && after[p] != "" {
				t.Errorf("%s: %s changed from %s to %s", when, p, v, after[p])
			}
		}
		for p, v := range after {
			if _, ok := before[p]; !ok && v != "0" {
				t.Errorf("%s: %s appeared with forwarding %s", when, p, v)
			}
		}
	}
	runEveryRunner(t, func(runner string) { check("while a guest ran under " + runner) })
	check("after the runs")
}

// networkState describes the root namespace outside nswasi's own objects:
// links, their addresses, all routes and rules not through nswasi links,
// and every nftables table with its chains and rule counts.
func networkState(t *testing.T) []string {
	t.Helper()
	var out []string
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	ours := map[int]bool{}
	for _, l := range links {
		a := l.Attrs()
		if strings.HasPrefix(a.Name, nsrun.Prefix) {
			ours[a.Index] = true
			continue
		}
		out = append(out, fmt.Sprintf("link %d %s %s mtu=%d flags=%v master=%d mac=%s", a.Index, a.Name, l.Type(), a.MTU, a.Flags, a.MasterIndex, a.HardwareAddr))
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, ad := range addrs {
			out = append(out, fmt.Sprintf("addr %s %s", a.Name, ad.IPNet))
		}
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if ours[r.LinkIndex] {
			continue
		}
		out = append(out, "route "+r.String())
	}
	rules, err := netlink.RuleList(netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		out = append(out, "rule "+r.String())
	}
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseLasting()
	chains, err := conn.ListChains()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range nftTables(t) {
		out = append(out, "nft table "+tb)
	}
	for _, c := range chains {
		if strings.HasPrefix(c.Table.Name, nsrun.Prefix+"reltest") {
			continue // this package's own counting table, with moving counters
		}
		rs, err := conn.GetRules(c.Table, c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("nft chain %d %s %s rules=%d", c.Table.Family, c.Table.Name, c.Name, len(rs)))
		// Each rule by content (its expressions as the kernel encodes
		// them), counters left out: they move with anyone's traffic.
		for i, r := range rs {
			var b strings.Builder
			for _, e := range r.Exprs {
				if _, ok := e.(*expr.Counter); ok {
					continue
				}
				if m, err := expr.Marshal(byte(c.Table.Family), e); err == nil {
					fmt.Fprintf(&b, "%x ", m)
				} else {
					fmt.Fprintf(&b, "%T ", e)
				}
			}
			out = append(out, fmt.Sprintf("nft rule %d %s %s #%d %s", c.Table.Family, c.Table.Name, c.Name, i, b.String()))
		}
	}
	slices.Sort(out)
	return out
}

// nswasi changes no interface, address, route, routing rule or firewall
// table, chain or rule (by content) that it did not create: compared while
// each guest runs and after.
func TestForeignNetworkStateUntouched(t *testing.T) {
	testenv.RequireRoot(t)
	before := networkState(t)
	runEveryRunner(t, func(runner string) {
		if d := diff(before, networkState(t)); d != "" {
			t.Errorf("while a guest ran under %s, the root namespace changed outside nswasi's objects: %s", runner, d)
		}
	})
	if d := diff(before, networkState(t)); d != "" {
		t.Errorf("root namespace changed outside nswasi's objects: %s", d)
	}
	t.Logf("%d items compared", len(before))
}

// trafficWatch is an nftables table of the test's own (named with the
// nswasi prefix, removed at the end) that counts, in the root namespace,
// every forwarded packet and every packet bound for nswasi's address pool
// that leaves through an interface that is not nswasi's.
type trafficWatch struct {
	conn  *nftables.Conn
	table *nftables.Table
}

func watchTraffic(t *testing.T) *trafficWatch {
	t.Helper()
	conn, err := nftables.New()
	if err != nil {
		t.Fatal(err)
	}
	w := &trafficWatch{conn: conn, table: conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: nsrun.Prefix + "reltest"})}
	accept := nftables.ChainPolicyAccept
	fwd := conn.AddChain(&nftables.Chain{Name: "forward", Table: w.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	conn.AddRule(&nftables.Rule{Table: w.table, Chain: fwd, Exprs: []expr.Any{&expr.Counter{}}})
	out := conn.AddChain(&nftables.Chain{Name: "output", Table: w.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	pool := nsrun.DefaultPool
	mask := net4Mask(pool.Bits())
	toPool := func(op expr.CmpOp) []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4}, // daddr
			&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: []byte{0, 0, 0, 0}},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: pool.Addr().AsSlice()},
			&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
			&expr.Cmp{Op: op, Register: 1, Data: []byte(nsrun.Prefix)}, // a prefix match, like "nswasi-*"
			&expr.Counter{},
		}
	}
	conn.AddRule(&nftables.Rule{Table: w.table, Chain: out, Exprs: toPool(expr.CmpOpNeq)})
	// The control: the same match through nswasi's own veths must count
	// the harness's packets, or the rule above proves nothing.
	ctl := conn.AddChain(&nftables.Chain{Name: "control", Table: w.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	conn.AddRule(&nftables.Rule{Table: w.table, Chain: ctl, Exprs: toPool(expr.CmpOpEq)})
	if err := conn.Flush(); err != nil {
		t.Fatalf("install the counting table: %v", err)
	}
	t.Cleanup(func() {
		conn.DelTable(w.table)
		if err := conn.Flush(); err != nil {
			t.Errorf("remove the counting table: %v", err)
		}
		conn.CloseLasting()
	})
	return w
}

func net4Mask(bits int) []byte {
	m := uint32(0xffffffff) << (32 - bits)
	return []byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}
}

// counts returns the packets counted per chain.
func (w *trafficWatch) counts(t *testing.T) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	for _, name := range []string{"forward", "output", "control"} {
		rs, err := w.conn.GetRules(w.table, &nftables.Chain{Name: name, Table: w.table})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for _, e := range r.Exprs {
				if c, ok := e.(*expr.Counter); ok {
					m[name] += c.Packets
				}
			}
		}
	}
	return m
}

// realTx sums tx_packets of the interfaces that are neither loopback nor nswasi's.
func realTx(t *testing.T) map[string]uint64 {
	t.Helper()
	m := map[string]uint64{}
	dirs, _ := filepath.Glob("/sys/class/net/*")
	for _, d := range dirs {
		name := filepath.Base(d)
		if name == "lo" || strings.HasPrefix(name, nsrun.Prefix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "statistics", "tx_packets"))
		if err != nil {
			continue
		}
		m[name], _ = strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	}
	return m
}

// nswasi sends nothing beyond loopback and its own namespaces. The machine
// is shared, so a real interface's packet counter alone cannot tell
// nswasi's packets from anyone else's; the kernel is asked instead, with
// counters that only nswasi-caused traffic can move: packets forwarded
// between interfaces (a namespace's traffic can only leave that way) and
// packets to nswasi's address pool that leave through a non-nswasi
// interface. The real interfaces' counters are logged for context.
func TestNoTrafficBeyondLoopbackAndOwnNamespaces(t *testing.T) {
	testenv.RequireRoot(t)
	w := watchTraffic(t)
	txBefore := realTx(t)
	t0 := time.Now()
	runEveryRunner(t, nil)
	got := w.counts(t)
	txAfter := realTx(t)
	if got["forward"] != 0 {
		t.Errorf("%d packets forwarded in the root namespace during the runs", got["forward"])
	}
	if got["output"] != 0 {
		t.Errorf("%d packets for %s left through an interface that is not nswasi's", got["output"], nsrun.DefaultPool)
	}
	if os.Geteuid() == 0 && got["control"] == 0 {
		t.Errorf("the control counter saw no packet to the namespaces through nswasi's veths: the match is broken")
	}
	t.Logf("packets to the namespaces through nswasi's veths (control): %d", got["control"])
	for name, n := range txAfter {
		t.Logf("%s sent %d packets during the %s of runs (anyone's traffic: the machine is shared)", name, n-txBefore[name], time.Since(t0).Round(time.Millisecond))
	}
}

// treeHash hashes every file's path, mode and content under root.
func treeHash(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v\n", p, info.Mode())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileHash(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Artifacts are only read, and a read-only grant is read-only: in the WASI
// runners a guest's attempts to create or open for writing through a :ro
// grant fail, and through a :rw grant succeed. The native runners have no
// file-system sandbox and cannot enforce :ro (see RATIONALE.md,
// Reliability); there the test only checks that nswasi itself writes nothing.
func TestArtifactsAndGrantsReadOnly(t *testing.T) {
	artifacts := map[string]string{guest.Native: fileHash(t, guest.Native), guest.Wasm: fileHash(t, guest.Wasm)}
	for _, n := range available() {
		t.Run(n, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte("granted"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := treeHash(t, dir)
			r := newRunner(t, n)
			guestDir, file := dir, filepath.Join(dir, "f.txt")
			if isWasi(n) {
				guestDir, file = "/data", "/data/f.txt"
			}
			run := func(ro bool) string {
				g, err := r.Start(context.Background(), sandbox.Spec{
					Artifact: artifact(n), Args: []string{"scribble", file}, Timeout: time.Minute,
					Dirs: []sandbox.Dir{{HostPath: dir, GuestPath: guestDir, ReadOnly: ro}},
				})
				if err != nil {
					t.Fatal(err)
				}
				res := g.Wait()
				if res.ExitCode != 0 {
					t.Fatalf("scribble: %+v; stderr %s", brief(res), tail(res.Stderr))
				}
				return string(res.Stdout)
			}
			out := run(true)
			if !isWasi(n) {
				// Nothing enforces :ro here; the finding is logged, and what
				// the guest made is removed so that nswasi's own writes (none)
				// are what the hash compares.
				t.Logf("FINDING (native has no file-system sandbox): through a :ro grant the guest reports: %q", out)
				matches, _ := filepath.Glob(filepath.Join(dir, "scribble-*"))
				for _, m := range matches {
					os.Remove(m)
				}
			} else {
				if strings.Contains(out, "created ") || strings.Contains(out, "opened ") || strings.Count(out, "refused ") != 2 {
					t.Errorf("through a :ro grant: %q, want both the create and the open for writing refused", out)
				}
				if out := run(false); !strings.Contains(out, "created ") || !strings.Contains(out, "opened ") {
					t.Errorf("through a :rw grant: %q, want both to succeed", out)
				}
				matches, _ := filepath.Glob(filepath.Join(dir, "scribble-*"))
				if len(matches) != 1 {
					t.Errorf("after one :rw scribble, %d new files, want 1", len(matches))
				}
				for _, m := range matches {
					os.Remove(m)
				}
			}
			if after := treeHash(t, dir); after != before {
				t.Errorf("the granted directory changed beyond what the guest was allowed to write")
			}
		})
	}
	for p, h := range artifacts {
		if fileHash(t, p) != h {
			t.Errorf("artifact %s changed", p)
		}
	}
}
