package nsrun

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/nswasi/nswasi/sandbox"
	"golang.org/x/sys/unix"
)

// The firewall admits connections to the allowed listener only, and stops
// the namespace from opening connections of its own; without it both work.
func TestFirewall(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): creates network namespaces and nftables tables")
	}
	for _, install := range []bool{false, true} {
		ns, err := New(Options{StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		var granted, other *os.File
		var grantedAddr, otherAddr netip.AddrPort
		err = ns.Do(func() error {
			var err error
			if granted, grantedAddr, err = sandbox.ListenTCP(ns.PeerAddr.Addr().String(), 0); err != nil {
				return err
			}
			other, otherAddr, err = sandbox.ListenTCP(ns.PeerAddr.Addr().String(), 0)
			return err
		})
		if err != nil {
			ns.Close()
			t.Fatal(err)
		}
		// A listener on the host side of the veth, for the namespace to dial.
		host, err := net.Listen("tcp", netip.AddrPortFrom(ns.HostAddr.Addr(), 0).String())
		if err != nil {
			ns.Close()
			t.Fatal(err)
		}
		if install {
			if err := ns.Firewall([]netip.AddrPort{grantedAddr}); err != nil {
				ns.Close()
				t.Fatal(err)
			}
			if ok, err := ns.FirewallInstalled(); !ok || err != nil {
				t.Errorf("FirewallInstalled = %v, %v after Firewall", ok, err)
			}
		}
		dial := func(a netip.AddrPort) error {
			c, err := net.DialTimeout("tcp", a.String(), 500*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err
		}
		if err := dial(grantedAddr); err != nil {
			t.Errorf("firewall=%v: granted listener unreachable: %v", install, err)
		}
		if err := dial(otherAddr); (err == nil) == install {
			t.Errorf("firewall=%v: other listener: dial error %v", install, err)
		}
		var outErr error
		if err := ns.Do(func() error { outErr = dial(sandbox.SockaddrAddrPort(mustSockaddr(host.Addr()))); return nil }); err != nil {
			t.Fatal(err)
		}
		if install && outErr == nil {
			t.Errorf("firewall: dial out of the namespace succeeded")
		}
		if !install && outErr != nil {
			t.Errorf("no firewall: dial out of the namespace: %v", outErr)
		}
		host.Close()
		granted.Close()
		other.Close()
		if err := ns.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSockaddr(a net.Addr) unix.Sockaddr {
	ta := a.(*net.TCPAddr)
	sa := &unix.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	return sa
}
