package nsrun

import (
	"errors"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
)

// The probe sees what this kernel has: tbf and htb work here, netem does
// not exist in this kernel (the developers' guide says so). On another
// kernel the test still checks the probe's answers are consistent with an
// actual attempt.
func TestProbeQdiscsAndShape(t *testing.T) {
	requireRoot(t)
	got, err := ProbeQdiscs(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tbf", "htb", "netem"} {
		if e, ok := got[name]; !ok {
			t.Errorf("no answer for %s", name)
		} else if e != nil && !errors.Is(e, ErrQdiscMissing) {
			t.Errorf("%s: unexpected error %v", name, e)
		}
	}
	t.Logf("qdiscs: %v", got)
	if got["tbf"] != nil {
		t.Fatalf("tbf unavailable: %v", got["tbf"])
	}
	ns, err := New(Options{Shape: Shape{RateBits: 50e6}})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	link, _ := netlink.LinkByName(ns.HostLink)
	qs, err := netlink.QdiscList(link)
	if err != nil {
		t.Fatal(err)
	}
	var tbf *netlink.Tbf
	for _, q := range qs {
		if q, ok := q.(*netlink.Tbf); ok {
			tbf = q
		}
	}
	if tbf == nil || tbf.Rate != 50e6/8 {
		t.Fatalf("tbf on %s: %+v (qdiscs %v)", ns.HostLink, tbf, qs)
	}
	delayed, err := New(Options{Shape: Shape{Delay: 10 * time.Millisecond}})
	if err == nil {
		defer delayed.Close() // a kernel with netem
	}
	if got["netem"] != nil && !errors.Is(err, ErrQdiscMissing) {
		t.Errorf("netem missing but a delay shape gave %v", err)
	}
	if got["netem"] == nil && err != nil {
		t.Errorf("netem present but a delay shape failed: %v", err)
	}
}
