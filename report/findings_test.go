package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// fx builds a run of known numbers for the findings' table tests.
func fx(scenario, dir, runner, mode string, size, conns int, engine string, reps ...float64) results.Run {
	if engine == "" {
		engine = "native"
	}
	return results.Run{Scenario: scenario, Direction: dir, Runner: runner, Mode: mode, Size: size, Conns: conns, Engine: engine, Reps: reps}
}

func withLatency(r results.Run, p50us, p999us int64) results.Run {
	r.LatencyNS = &results.Latency{P50: p50us * 1000, P999: p999us * 1000}
	return r
}

func benchSource(runs []results.Run, peers ...results.Peer) *Data {
	return &Data{Sources: []*Source{{Label: "fixture", Bench: &results.Bench{Runs: runs, Peers: peers}}}}
}

func isoSource(cells ...results.Cell) *Data {
	return &Data{Sources: []*Source{{Label: "fixture", Isolation: &results.Isolation{
		Probes:  []results.ProbeInfo{{Name: "p1"}, {Name: "p2"}},
		Runners: []string{"native", "netns"}, Cells: cells}}}}
}

// Every finding names exactly the size, connection count, engine, runner
// and mode it describes; nothing is said about cells that did not run.
func TestFindingsNameWhatTheyDescribe(t *testing.T) {
	cases := []struct {
		name    string
		data    *Data
		want    []string
		notWant []string
	}{
		{
			name: "latency extremes across sizes, connection counts and engines",
			data: benchSource([]results.Run{
				withLatency(fx("rr", "", "native", "blocking", 64, 1, "", 1), 20, 100),
				withLatency(fx("rr", "", "wasi", "poll", 64, 1, "compiler", 1), 50, 400),
				withLatency(fx("rr", "", "wasi", "poll", 64, 16, "compiler", 1), 80, 9000),
				withLatency(fx("rr", "", "wasi", "poll", 1024, 1, "interpreter", 1), 60, 700),
			}),
			want: []string{"rr latency: lowest p50 20 µs (native / blocking, 64 B, 1 connection); " +
				"highest p99.9 9000 µs (wasi / poll, 64 B, 16 connections, engine compiler)."},
		},
		{
			name: "throughput keeps one variant and says which",
			data: benchSource([]results.Run{
				fx("stream", "in", "native", "blocking", 64<<10, 1, "", 1e9),
				fx("stream", "in", "wasi", "blocking", 64<<10, 1, "compiler", 0.5e9),
				fx("stream", "in", "wasi", "blocking", 64<<10, 1, "interpreter", 0.1e9),
				fx("stream", "in", "native", "blocking", 64<<10, 4, "", 4e9),
			}),
			want: []string{
				"Stream in (driver → guest), 1 connection, WASI engine compiler: throughput of wasi relative to native at the same mode and size " +
					"ranges from 0.50× (blocking, 64 KiB) to 0.50× (blocking, 64 KiB) over 1 mode × size pairs.",
				"Stream in (driver → guest), 1 connection, WASI engine compiler: highest throughput 8 Gbit/s (mean) by native / blocking, 64 KiB, 1 connection.",
			},
			// The 4-connection run (32 Gbit/s) and the interpreter run are another variant.
			notWant: []string{"32 Gbit/s", "0.10×", "0.8 Gbit/s"},
		},
		{
			name: "idle CPU names each configuration",
			data: benchSource([]results.Run{
				fx("idle", "", "native", "blocking", 0, 1, "", 0.001),
				fx("idle", "", "wasi", "netpoll", 0, 1, "compiler", 1.03),
			}),
			want: []string{"1 of 2 configurations burn at least 100 ms/s — 1030 ms/s (wasi / netpoll, 1 connection, engine compiler); " +
				"the lowest is 1 ms/s (native / blocking, 1 connection)."},
		},
		{
			name: "fidelity on the veth path ran under netns",
			data: benchSource(nil,
				results.Peer{Tool: "iperf3", Path: "loopback", BPS: 2.5e9, Ratio: 0.9},
				results.Peer{Tool: "iperf3", Path: "veth", BPS: 1.25e9, Ratio: 0.8}),
			want: []string{
				"Fidelity, loopback path: nswasi's stream in (driver → guest) under native (blocking, 128 KiB, 1 connection) reaches 0.90× " +
					"the throughput of iperf3 on the same path (medians; iperf3 20 Gbit/s).",
				"Fidelity, veth path: nswasi's stream in (driver → guest) under netns (blocking, 128 KiB, 1 connection) reaches 0.80× " +
					"the throughput of iperf3 on the same path (medians; iperf3 10 Gbit/s).",
			},
			notWant: []string{"native stream"},
		},
		{
			name: "no isolation cell ran",
			data: isoSource(
				results.Cell{Probe: "p1", Runner: "native", Expected: results.Allowed, Reason: "needs root"},
				results.Cell{Probe: "p1", Runner: "netns", Expected: results.Denied, Reason: "needs root"}),
			want:    []string{"Isolation: no cell ran; all 2 could not run."},
			notWant: []string{"matched", "all 0"},
		},
		{
			name: "some isolation cells ran",
			data: isoSource(
				results.Cell{Probe: "p1", Runner: "native", Expected: results.Allowed, Observed: results.Allowed},
				results.Cell{Probe: "p1", Runner: "netns", Expected: results.Denied, Observed: results.Denied},
				results.Cell{Probe: "p2", Runner: "netns", Expected: results.Denied, Reason: "needs root"}),
			want: []string{"Isolation: all 2 cells that ran matched the expected verdict; 1 could not run."},
		},
		{
			name: "an isolation mismatch",
			data: isoSource(
				results.Cell{Probe: "p1", Runner: "native", Expected: results.Allowed, Observed: results.Allowed},
				results.Cell{Probe: "p2", Runner: "netns", Expected: results.Denied, Observed: results.Allowed, Mismatch: true},
				results.Cell{Probe: "p2", Runner: "native", Expected: results.Denied, Reason: "needs root"}),
			want: []string{"Isolation: 1 of 2 cells that ran did not match the expected verdict: p2 under netns (expected denied, observed allowed); 1 could not run."},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := strings.Join(findings(c.data), "\n")
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("findings lack\n  %s\ngot:\n%s", w, text)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(text, w) {
					t.Errorf("findings contain %q:\n%s", w, text)
				}
			}
		})
	}
}

// The report's isolation section counts the cells that ran, not every cell.
func TestIsolationSectionCountsCellsThatRan(t *testing.T) {
	cases := []struct {
		data *Data
		want string
	}{
		{isoSource(
			results.Cell{Probe: "p1", Runner: "native", Expected: results.Allowed, Observed: results.Allowed},
			results.Cell{Probe: "p1", Runner: "netns", Expected: results.Denied, Observed: results.Denied},
			results.Cell{Probe: "p2", Runner: "netns", Expected: results.Denied, Reason: "needs root"}),
			"fixture: every cell that ran matched its expected verdict (2 cells ran)."},
		{isoSource(results.Cell{Probe: "p2", Runner: "netns", Expected: results.Denied, Reason: "needs root"}),
			"fixture: no cell ran."},
	}
	for _, c := range cases {
		out := t.TempDir()
		if _, err := Write(c.data, out); err != nil {
			t.Fatal(err)
		}
		md := read(t, filepath.Join(out, MarkdownFile))
		if !strings.Contains(md, c.want) {
			t.Errorf("report.md lacks %q:\n%s", c.want, md)
		}
	}
}
