package nsrun

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// FirewallTable is the name of the nftables table (family inet) that
// Namespace.Firewall creates inside a namespace.
const FirewallTable = Prefix + "fw"

// Firewall installs a deny-by-default nftables table inside the namespace:
// the input and output hooks refuse everything except packets of
// connections that arrive at one of allow (TCP) and their replies. An unspecified
// address in allow admits that port on every address of the namespace.
//
// The table lives in the namespace, so it goes when the namespace goes; it
// is written over netlink with a socket opened in the namespace by handle,
// so no thread switches namespace.
func (ns *Namespace) Firewall(allow []netip.AddrPort) error {
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.handle)))
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", ns.Name, err)
	}
	defer c.CloseLasting()
	drop := nftables.ChainPolicyDrop
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: FirewallTable})
	chain := func(name string, hook *nftables.ChainHook) *nftables.Chain {
		return c.AddChain(&nftables.Chain{
			Name: name, Table: t, Type: nftables.ChainTypeFilter,
			Hooknum: hook, Priority: nftables.ChainPriorityFilter, Policy: &drop,
		})
	}
	in := chain("input", nftables.ChainHookInput)
	out := chain("output", nftables.ChainHookOutput)
	// Replies and the rest of an admitted connection: conntrack marks every
	// packet after the first of an admitted flow established.
	for _, ch := range []*nftables.Chain{in, out} {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: established()})
	}
	for _, a := range allow {
		c.AddRule(&nftables.Rule{Table: t, Chain: in, Exprs: admitTCP(a)})
	}
	// Everything else is refused with an ICMP "administratively prohibited"
	// (a RST for TCP would also do) rather than left to the drop policy, so
	// that a denied connect fails at once instead of after its retries.
	for _, ch := range []*nftables.Chain{in, out} {
		c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
			&expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED},
		}})
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("install firewall in %s: %w", ns.Name, err)
	}
	return nil
}

// FirewallInstalled says whether the namespace has nswasi's firewall table.
func (ns *Namespace) FirewallInstalled() (bool, error) {
	c, err := nftables.New(nftables.WithNetNSFd(int(ns.handle)))
	if err != nil {
		return false, err
	}
	defer c.CloseLasting()
	tables, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		if t.Name == FirewallTable {
			return true, nil
		}
	}
	return false, nil
}

func established() []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{
			SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED),
			Xor:  binaryutil.NativeEndian.PutUint32(0),
		},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
}

// admitTCP matches new TCP connections to a (any address if a's is unspecified).
func admitTCP(a netip.AddrPort) []expr.Any {
	ip := a.Addr().Unmap()
	proto, off := byte(unix.NFPROTO_IPV4), uint32(16) // IPv4 daddr offset
	if ip.Is6() {
		proto, off = unix.NFPROTO_IPV6, 24
	}
	e := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
	}
	if !ip.IsUnspecified() {
		e = append(e,
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(ip.BitLen() / 8)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ip.AsSlice()},
		)
	}
	return append(e,
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(a.Port())},
		&expr.Verdict{Kind: expr.VerdictAccept},
	)
}
