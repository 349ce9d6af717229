package report

import (
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

func fidelityData() *Data {
	sum := func(v float64) *results.Summary { return &results.Summary{N: 3, Median: v, Mean: v} }
	return &Data{Sources: []*Source{{Label: "h", Bench: &results.Bench{Peers: []results.Peer{
		{Tool: "iperf3", Path: "loopback", Scenario: "stream-in", BPS: 2e9, Ratio: 0.97, PeerSummary: sum(2e9), NswasiSummary: sum(1.94e9), RatioCILow: 0.9, RatioCIHigh: 1.05},
		{Tool: "sockperf", Path: "veth", Scenario: "rr", Runner: "netns", Mode: "blocking", Size: 64, Ratio: 1.25,
			PeerSummary: sum(20000), NswasiSummary: sum(25000), RatioCILow: 1.1, RatioCIHigh: 1.4},
		{Tool: "wrk", Path: "loopback", Scenario: "http", Runner: "wasi", Mode: "netpoll", Size: 1024, Conns: 4, Ratio: 0.8,
			PeerSummary: sum(1000), NswasiSummary: sum(800), RatioCILow: 0.7, RatioCIHigh: 0.9},
		{Tool: "sockperf", Path: "loopback", Skipped: "sockperf is not installed"},
	}}}}}
}

// Each check gets a sentence naming its tool, path or runner and numbers;
// the throughput sentence is not made for latency or request checks.
func TestPeerFindings(t *testing.T) {
	got := strings.Join(findings(fidelityData()), "\n")
	for _, want := range []string{
		// The sentence names the case it checks (runner, mode, size, conns).
		"Fidelity, loopback path: nswasi's stream in (driver → guest) under native (blocking, 128 KiB, 1 connection) reaches 0.97× the throughput of iperf3 on the same path",
		"measures a median round trip 1.25× sockperf's on the veth path (25 µs against 20 µs; 95% interval of the paired ratios 1.10–1.40)",
		"under wasi (netpoll, 1024 B bodies, 4 connections), nswasi's http driver completes 0.80× the requests per second of wrk",
		"Fidelity check sockperf loopback was skipped: sockperf is not installed.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "throughput of sockperf") || strings.Contains(got, "throughput of wrk") {
		t.Errorf("a latency or request check was described as throughput:\n%s", got)
	}
}

func TestFidelityRatioFigure(t *testing.T) {
	f, why := fidelityRatioFigure(fidelityData())
	if f == nil {
		t.Fatal(why)
	}
	if _, err := f.PNG(); err != nil {
		t.Fatal(err)
	}
	if _, why := fidelityRatioFigure(&Data{Sources: []*Source{{Bench: &results.Bench{}}}}); why == "" {
		t.Error("no peers, yet no reason for the missing figure")
	}
}
