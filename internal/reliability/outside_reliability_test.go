package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
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

// trap is a network namespace the test itself makes and seals: an
// nftables table inside counts every packet that arrives (by kind) and
// drops it, and sends nothing. It is the oracle outside nswasi for
// traffic a guest was not granted. Its addresses are inside a namespace
// the test created — the only non-loopback addresses the guests are told
// to try.
type trap struct {
	ns     *nsrun.Namespace
	v4, v6 netip.Addr
	conn   *nftables.Conn
	table  *nftables.Table
}

var trapCounters = []string{"tcp", "udp", "dns", "ipv6", "all"}

func newTrap(t *testing.T) *trap {
	t.Helper()
	ns, err := nsrun.New(nsrun.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Close(); err != nil {
			t.Errorf("close the trap namespace: %v", err)
		}
	})
	tr := &trap{ns: ns, v4: ns.PeerAddr.Addr(), v6: netip.MustParseAddr("fd6e:7377:7472::2")}
	// An IPv6 (ULA) address on each end of the trap's own veth, so that
	// an unsandboxed guest can reach it — the control.
	host, err := netlink.LinkByName(ns.HostLink)
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.AddrAdd(host, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP("fd6e:7377:7472::1"), Mask: net.CIDRMask(64, 128)}, Flags: unix.IFA_F_NODAD}); err != nil {
		t.Fatal(err)
	}
	err = ns.Do(func() error {
		peer, err := netlink.LinkByName(ns.PeerLink)
		if err != nil {
			return err
		}
		return netlink.AddrAdd(peer, &netlink.Addr{IPNet: &net.IPNet{IP: tr.v6.AsSlice(), Mask: net.CIDRMask(64, 128)}, Flags: unix.IFA_F_NODAD})
	})
	if err != nil {
		t.Fatal(err)
	}
	var nsFD int
	err = ns.Do(func() error {
		fd, err := unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		nsFD = fd
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(nsFD) })
	tr.conn, err = nftables.New(nftables.WithNetNSFd(nsFD))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.conn.CloseLasting() })
	tr.table = tr.conn.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: nsrun.Prefix + "trap"})
	drop := nftables.ChainPolicyDrop
	in := tr.conn.AddChain(&nftables.Chain{Name: "input", Table: tr.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	out := tr.conn.AddChain(&nftables.Chain{Name: "output", Table: tr.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	// Sealed: it sends nothing but IPv6 neighbour advertisements, without
	// which no IPv6 packet would even be addressed to it (ARP, for IPv4,
	// is not filtered here).
	tr.conn.AddRule(&nftables.Rule{Table: tr.table, Chain: out, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{136}}, // neighbour advertisement
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
	l4 := func(p byte) []expr.Any {
		return []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{p}}}
	}
	rules := map[string][]expr.Any{
		"tcp": l4(unix.IPPROTO_TCP),
		"udp": l4(unix.IPPROTO_UDP),
		"dns": append(l4(unix.IPPROTO_UDP),
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0, 53}}),
		"ipv6": {&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV6}}},
		"all":  {},
	}
	// Neighbour solicitations in, or the advertisements above never go.
	tr.conn.AddRule(&nftables.Rule{Table: tr.table, Chain: in, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{135}}, // neighbour solicitation
		&expr.Verdict{Kind: expr.VerdictAccept},
	}})
	for _, name := range trapCounters {
		// IPv6 neighbour discovery is the link's own business, not a guest's.
		e := append([]expr.Any{
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{unix.IPPROTO_ICMPV6}},
		}, rules[name]...)
		e = append(e, &expr.Counter{})
		tr.conn.AddRule(&nftables.Rule{Table: tr.table, Chain: in, UserData: []byte(name), Exprs: e})
	}
	if err := tr.conn.Flush(); err != nil {
		t.Fatalf("seal the trap: %v", err)
	}
	return tr
}

// counts reads the trap's counters.
func (tr *trap) counts(t *testing.T) map[string]uint64 {
	t.Helper()
	rs, err := tr.conn.GetRules(tr.table, &nftables.Chain{Name: "input", Table: tr.table})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]uint64{}
	for _, r := range rs {
		for _, e := range r.Exprs {
			if c, ok := e.(*expr.Counter); ok {
				m[string(r.UserData)] += c.Packets
			}
		}
	}
	return m
}

// probe starts the guest's probe under runner, asks it to run with args,
// and returns its report; during runs while the guest still runs.
func probe(t *testing.T, r sandbox.Runner, runner string, name string, args []string, during func(g sandbox.Guest)) map[string]any {
	t.Helper()
	g, err := r.Start(context.Background(), sandbox.Spec{Artifact: artifact(runner), Args: []string{name},
		Listen: []sandbox.Listen{{}}, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("%s under %s: %v", name, runner, err)
	}
	defer g.Stop()
	c, err := net.DialTimeout("tcp", g.Addrs()[0].String(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	req, _ := json.Marshal(map[string]any{"nonce": "outside", "args": args})
	if _, err := c.Write(append(req, '\n')); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s under %s: no report: %v", name, runner, err)
	}
	var rep map[string]any
	if err := json.Unmarshal(line, &rep); err != nil {
		t.Fatalf("%s under %s: report %q: %v", name, runner, line, err)
	}
	if during != nil {
		during(g)
	}
	return rep
}

// sysctlIn reads a sysctl as seen from the network namespace at nsPath
// (empty: this one), on a throwaway thread.
func sysctlIn(nsPath, key string) (string, error) {
	type res struct {
		v   string
		err error
	}
	rc := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if nsPath != "" {
			fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				rc <- res{err: err}
				return
			}
			err = unix.Setns(fd, unix.CLONE_NEWNET)
			unix.Close(fd)
			if err != nil {
				rc <- res{err: err}
				return
			}
		}
		b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(key, ".", "/"))
		rc <- res{strings.TrimSpace(string(b)), err}
	}()
	r := <-rc
	return r.v, r.err
}

var forwardingKeys = []string{"net.ipv4.ip_forward", "net.ipv4.conf.all.forwarding", "net.ipv6.conf.all.forwarding"}

// While guests run under every runner and actively try TCP, UDP, DNS and
// IPv6 to addresses they were not granted — all inside a namespace the
// test made and sealed — the trap's counters, read during each run, move
// only for the unsandboxed native control (which shows the oracle sees
// such traffic); forwarding stays off in the root namespace and in the
// guest's own; and the root namespace's links, routes, rules and nftables
// rule contents outside nswasi's own are those of before, read during the
// run, not only after teardown.
func TestTrafficFromOutsideWhileGuestsRun(t *testing.T) {
	testenv.RequireRoot(t)
	tr := newTrap(t)
	v4, v6 := tr.v4.String(), tr.v6.String()
	attempts := []struct {
		probe, kind string
		args        []string
	}{
		{"probe-connect", "tcp", []string{net.JoinHostPort(v4, "80"), "tok"}},
		{"probe-udp", "udp", []string{net.JoinHostPort(v4, "9"), "tok"}},
		{"probe-dns", "dns", []string{net.JoinHostPort(v4, "53"), "nswasi.test"}},
		{"probe-connect", "ipv6", []string{net.JoinHostPort(v6, "80"), "tok"}},
	}
	stateBefore := networkState(t)
	rootFwd := map[string]string{}
	for _, k := range forwardingKeys {
		v, err := sysctlIn("", k)
		if err != nil {
			t.Fatal(err)
		}
		rootFwd[k] = v
	}
	for _, runner := range available() {
		t.Run(runner, func(t *testing.T) {
			r := newRunner(t, runner)
			for _, a := range attempts {
				before := tr.counts(t)
				var during map[string]uint64
				rep := probe(t, r, runner, a.probe, a.args, func(g sandbox.Guest) {
					during = tr.counts(t)
					for _, k := range forwardingKeys {
						if v, _ := sysctlIn("", k); v != rootFwd[k] {
							t.Errorf("%s while %s ran: root %s = %s, was %s", runner, a.probe, k, v, rootFwd[k])
						}
						if p, ok := g.(*sandbox.Process); ok && strings.Contains(runner, "netns") {
							if v, err := sysctlIn(fmt.Sprintf("/proc/%d/ns/net", p.Pid()), k); err != nil || v != "0" {
								t.Errorf("%s: guest namespace's %s = %q (%v), want 0", runner, k, v, err)
							}
						}
					}
					if d := diff(stateBefore, networkState(t)); d != "" {
						t.Errorf("%s while %s ran: root namespace changed outside nswasi's objects: %s", runner, a.probe, d)
					}
				})
				moved := during[a.kind] - before[a.kind]
				if runner == "native" {
					// The control: an unsandboxed guest reaches the trap.
					if moved == 0 {
						t.Errorf("native %s %v: the trap counted no %s packet — the oracle is blind (report %v)", a.probe, a.args, a.kind, rep)
					}
				} else if moved != 0 || during["all"] != before["all"] {
					t.Errorf("%s: %s %v reached the trap: %d %s packets, %d in all (guest's report %v)",
						runner, a.probe, a.args, moved, a.kind, during["all"]-before["all"], rep)
				}
				t.Logf("%s %s %v: trap counted %d %s packets; the guest reports %v", runner, a.probe, a.args, moved, a.kind, rep)
			}
		})
	}
}
