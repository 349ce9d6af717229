package isolation

import (
	"testing"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// Every probe states, for every runner of the registry, what it expects
// and why: a runner added to the registry inherits the expectations of the
// sandboxes it combines, and the suite asks the registry, not the name,
// whether a runner is WASI or in a namespace.
func TestEveryRunnerHasExpectations(t *testing.T) {
	for _, p := range catalogue {
		for _, r := range runnerinfo.All {
			for _, root := range []bool{false, true} {
				e := p.Expect(r.Name, root)
				if (e.Verdict != results.Allowed && e.Verdict != results.Denied) || e.Why == "" {
					t.Errorf("%s under %s (root %v): expectation %+v", p.Info.Name, r.Name, root, e)
				}
			}
		}
		for r := range p.rootExpect {
			if isWasi(r) {
				t.Errorf("%s: a root expectation for WASI runner %s, whose guest never runs as root", p.Info.Name, r)
			}
		}
	}
	for _, r := range runnerinfo.All {
		if isWasi(r.Name) != r.WASI() || inNetns(r.Name) != r.Netns {
			t.Errorf("%s: isWasi %v inNetns %v, registry says %v %v", r.Name, isWasi(r.Name), inNetns(r.Name), r.WASI(), r.Netns)
		}
	}
	// The five sandboxes map to the five runners as the table of each probe
	// was written (native, netns, netns+fw, wasi, wasi+netns) …
	e := func(v string) expectation { return expectation{v, v} }
	m := per(e("a"), e("b"), e("c"), e("d"), e("e"))
	for name, want := range map[string]string{"native": "a", "netns": "b", "netns+fw": "c", "wasi": "d", "wasi+netns": "e"} {
		if m[name].Verdict != want {
			t.Errorf("per: %s gets %q, want %q", name, m[name].Verdict, want)
		}
	}
	// … and a runner combining them otherwise has none until someone
	// writes its promises down.
	if _, ok := bySandboxes(runnerinfo.Runner{Name: "wasi+fw", Kind: runnerinfo.WASI, Firewall: true}, []expectation{e("a"), e("b"), e("c"), e("d"), e("e")}); ok {
		t.Error("a WASI runner behind a firewall got an expectation of another sandbox")
	}
}
