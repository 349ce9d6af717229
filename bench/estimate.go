package bench

import (
	"slices"
	"time"

	"github.com/nswasi/nswasi/runners"
)

// Costs the plan does not state, measured on a quiet 2-core machine (see
// RATIONALE.md, "Estimating a run's duration"). They make Estimate a
// forecast, not a bound: a loaded machine takes longer, a case that fails
// early takes less.
const (
	// estRep is each repetition's own cost beyond its duration: the
	// connections' dial and drain, and the guest's report.
	estRep = 25 * time.Millisecond
	// estNative is a native guest's start, control connection and exit.
	estNative = 50 * time.Millisecond
	// estNamespace is a namespace with its veth, made and removed;
	// estFirewall the nftables rules on top.
	estNamespace = 150 * time.Millisecond
	estFirewall  = 100 * time.Millisecond
	// estWasm is a WASI guest's start with a warm compilation cache:
	// wazero still reads its 43 MB of compiled code and decodes and
	// validates the 11 MB module (RATIONALE.md). Measured on 2026-11-26:
	// a quick WASI case took 1.2 s, 0.75 s of it warm-up and repetitions.
	estWasm = 550 * time.Millisecond
	// estCold is a WASI start with an empty cache: the module compiled.
	estCold = 7 * time.Second
	// estLoad is start's second of http load for the memory figure, and
	// its memory reads.
	estLoad = 1200 * time.Millisecond
	// estServer is a peer tool's server start (and namespace) per repetition.
	estServer = 500 * time.Millisecond
)

// startCost is what starting and ending one guest of runner costs.
func startCost(runner string) time.Duration {
	info, _ := runners.Lookup(runner)
	d := estNative
	if info.WASI() {
		d = estWasm
	}
	if info.Netns {
		d += estNamespace
	}
	if info.Firewall {
		d += estFirewall
	}
	return d
}

// Estimate forecasts how long Run with o takes on a quiet 2-core machine,
// from the plan (cases, repetitions, durations, start variants, peer
// checks) and the measured costs above; o must have its defaults. It
// counts Reps repetitions per case: TargetCI may add more.
func (o *Options) Estimate() time.Duration {
	var d time.Duration
	for _, c := range o.Cases() {
		d += startCost(c.Runner) + o.Warmup + time.Duration(o.Reps)*o.Duration + time.Duration(o.Reps+1)*estRep
	}
	if !o.FirstShard() {
		return d
	}
	reps := time.Duration(o.Reps)
	if slices.Contains(o.Scenarios, "start") {
		for _, r := range o.Runners {
			if info, _ := runners.Lookup(r); !info.WASI() {
				d += reps * (startCost(r) + estLoad)
				continue
			}
			ns := startCost(r) - estWasm // the namespace, if any
			for range o.wasiHosts() {
				d += reps * (estCold + ns + estLoad)       // cold
				d += (reps + 1) * (startCost(r) + estLoad) // warm, and filling the cache
			}
		}
	}
	if o.Peers {
		one := o.PeerOmit + o.PeerDuration
		for _, p := range peerPaths {
			if !slices.Contains(o.Runners, p.runner) {
				continue
			}
			// iperf3 and sockperf: each repetition starts a guest with
			// its warm-up, and a server (sockperf leaves nothing out).
			d += reps * (startCost(p.runner) + one + 2*estRep + estServer + one)
			d += reps * (startCost(p.runner) + one + 2*estRep + estServer + o.PeerDuration)
		}
		for _, r := range []string{"native", "wasi"} {
			if slices.Contains(o.Runners, r) {
				d += startCost(r) + o.PeerOmit + 2*reps*(o.PeerDuration+estRep)
			}
		}
	}
	return d
}
