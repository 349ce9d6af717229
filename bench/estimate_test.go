package bench

import (
	"testing"
	"time"
)

// The estimate is the plan's arithmetic: each case's start, warm-up and
// repetitions; start and the peer checks only in the first shard.
func TestEstimateFollowsThePlan(t *testing.T) {
	o := Options{Scenarios: []string{"rr"}, Runners: []string{"native"}, Modes: []string{"blocking"},
		Sizes: []int{64}, Conns: []int{1}, Reps: 4, Duration: time.Second, Warmup: 300 * time.Millisecond, OutDir: "x"}
	o.Defaults()
	one := estNative + 300*time.Millisecond + 4*time.Second + 5*estRep
	if got := o.Estimate(); got != one {
		t.Fatalf("one native case: %s, want %s", got, one)
	}
	o.Runners = []string{"native", "wasi+netns"}
	if got, want := o.Estimate(), 2*one+estWasm+estNamespace-estNative; got != want {
		t.Errorf("native and wasi+netns: %s, want %s", got, want)
	}
	o.Duration *= 2
	if got, want := o.Estimate(), 2*one+estWasm+estNamespace-estNative+2*4*time.Second; got != want {
		t.Errorf("twice the duration: %s, want %s", got, want)
	}
	base := o.Estimate()
	o.Scenarios = append(o.Scenarios, "start")
	o.Peers = true
	full := o.Estimate()
	if full <= base+o.PeerDuration*time.Duration(o.Reps) {
		t.Errorf("start and peers add %s, less than the peers' own repetitions", full-base)
	}
	o.Shard, o.Shards = 2, 2
	if got := o.Estimate(); got >= full || got > base {
		t.Errorf("shard 2/2: %s, want at most the cases' %s (start and peers are shard 1's)", got, base)
	}
}
