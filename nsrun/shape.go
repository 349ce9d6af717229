package nsrun

import (
	"errors"
	"fmt"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Shape describes the link conditions of a namespace's veth, applied to
// both ends so that each direction sees them once.
type Shape struct {
	// RateBits limits each direction (tbf, or netem's own rate when netem
	// is needed anyway); zero means unlimited.
	RateBits int64
	// Delay, Jitter and LossPercent need the netem qdisc.
	Delay, Jitter time.Duration
	LossPercent   float64
}

// IsZero reports whether s changes nothing.
func (s Shape) IsZero() bool { return s == Shape{} }

// NeedsNetem reports whether s needs the netem qdisc.
func (s Shape) NeedsNetem() bool { return s.Delay > 0 || s.Jitter > 0 || s.LossPercent > 0 }

// ErrQdiscMissing says the kernel lacks a queueing discipline.
var ErrQdiscMissing = errors.New("queueing discipline not available in this kernel")

func (s Shape) qdisc(link netlink.Link) netlink.Qdisc {
	attrs := netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT}
	if s.NeedsNetem() {
		return netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
			Latency: uint32(s.Delay / time.Microsecond),
			Jitter:  uint32(s.Jitter / time.Microsecond),
			Loss:    float32(s.LossPercent),
			Rate64:  uint64(s.RateBits / 8),
		})
	}
	rate := uint64(s.RateBits / 8) // tbf takes bytes per second
	// A burst of 10 ms at the rate (at least 64 KiB so GSO-sized packets
	// pass), and a queue of 50 ms, as is usual for tbf.
	burst := uint32(max(rate/100, 64<<10))
	return &netlink.Tbf{
		QdiscAttrs: attrs,
		Rate:       rate,
		Buffer:     netlink.Xmittime(rate, burst),
		Limit:      uint32(max(rate/20, uint64(burst))),
	}
}

// applyShape puts s on both ends of the veth.
func (ns *Namespace) applyShape(s Shape, peerHandle *netlink.Handle) error {
	if s.IsZero() {
		return nil
	}
	host, err := netlink.LinkByName(ns.HostLink)
	if err != nil {
		return err
	}
	peer, err := peerHandle.LinkByName(ns.PeerLink)
	if err != nil {
		return err
	}
	if err := qdiscAdd(netlink.QdiscAdd, s.qdisc(host), s); err != nil {
		return err
	}
	return qdiscAdd(peerHandle.QdiscAdd, s.qdisc(peer), s)
}

func qdiscAdd(add func(netlink.Qdisc) error, q netlink.Qdisc, s Shape) error {
	err := add(q)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%s: %w", q.Type(), ErrQdiscMissing)
	}
	if err != nil {
		return fmt.Errorf("add %s qdisc: %w", q.Type(), err)
	}
	return nil
}

// ProbeQdiscs reports, for each of tbf, htb and netem, whether this kernel
// can attach it (nil) or why not. It tries each on the veth of a throwaway
// namespace, so it needs root and touches nothing else.
func ProbeQdiscs(opts Options) (map[string]error, error) {
	ns, err := New(opts)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	link, err := netlink.LinkByName(ns.HostLink)
	if err != nil {
		return nil, err
	}
	attrs := netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT}
	candidates := map[string]netlink.Qdisc{
		"tbf":   Shape{RateBits: 1e9}.qdisc(link),
		"htb":   netlink.NewHtb(attrs),
		"netem": Shape{Delay: time.Millisecond}.qdisc(link),
	}
	out := map[string]error{}
	for name, q := range candidates {
		err := qdiscAdd(netlink.QdiscAdd, q, Shape{})
		if err == nil {
			err = netlink.QdiscDel(q)
		}
		out[name] = err
	}
	return out, nil
}
