package bench

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nswasi/nswasi/internal/results"
)

// benchName is a run's name in Go benchmark format: one key=value
// sub-benchmark per parameter, so that benchstat can slice by any of them.
func benchName(r results.Run) string {
	top := map[string]string{"stream": "Stream", "rr": "RR", "conn": "Conn", "idle": "Idle", "http": "HTTP", "start": "Start", "memory": "Memory"}[r.Scenario]
	if top == "" {
		top = r.Scenario
	}
	var b strings.Builder
	b.WriteString("Benchmark" + top)
	if r.Direction != "" {
		fmt.Fprintf(&b, "/dir=%s", r.Direction)
	}
	fmt.Fprintf(&b, "/runner=%s/mode=%s/size=%d/conns=%d/engine=%s", r.Runner, r.Mode, r.Size, r.Conns, r.Engine)
	if r.WASIHost != "" {
		fmt.Fprintf(&b, "/wasi_host=%s", r.WASIHost)
	}
	if r.Traced {
		b.WriteString("/traced=true")
	}
	return b.String()
}

// textUnit converts a run's metric to the unit written in bench.txt.
func textUnit(r results.Run) (unit string, scale float64) {
	switch r.Scenario {
	case "stream":
		return "MB/s", 1e-6
	case "rr":
		return "tx/s", 1
	case "conn":
		return "conns/s", 1
	case "http":
		return "req/s", 1
	case "idle":
		return "cpu-s/s", 1
	case "start":
		return "ms", 1e3
	case "memory":
		return "MiB", 1.0 / (1 << 20)
	}
	return strings.ReplaceAll(r.Unit, " ", "-"), 1
}

// BenchText renders b in Go benchmark format: one line per repetition, the
// metric in its own unit plus the sandbox CPU per GB or per 1,000
// operations. Runs that failed appear only as a comment.
func BenchText(b *results.Bench) []byte {
	var w bytes.Buffer
	e := b.Environment
	fmt.Fprintf(&w, "goos: linux\ngoarch: %s\npkg: github.com/nswasi/nswasi/bench\ncpu: %s\n", runtime.GOARCH, e.CPUModel)
	fmt.Fprintf(&w, "kernel: %s\ngo: %s\nwazero: %s\nnswasi: %s\n", e.Kernel, e.GoVersion, e.WazeroVersion, e.NswasiVersion)
	for _, r := range b.Runs {
		name := benchName(r)
		if r.Error != "" {
			fmt.Fprintf(&w, "# %s: %s\n", name, strings.ReplaceAll(r.Error, "\n", " "))
		}
		unit, scale := textUnit(r)
		var cpu []float64
		if r.Detail != nil {
			cpu = r.Detail.RepCPUS
		}
		for i, v := range r.Reps {
			fmt.Fprintf(&w, "%s\t1\t%.6g %s", name, v*scale, unit)
			if i < len(cpu) {
				if per, u, ok := cpuPer(r, cpu[i], i); ok {
					fmt.Fprintf(&w, "\t%.6g %s", per, u)
				}
			}
			w.WriteString("\n")
		}
	}
	return w.Bytes()
}

// cpuPer expresses repetition i's CPU seconds per GB or per 1,000 operations.
func cpuPer(r results.Run, cpuS float64, i int) (float64, string, bool) {
	if r.Detail == nil || i >= len(r.Detail.RepWork) || r.Detail.RepWork[i] <= 0 {
		return 0, "", false
	}
	switch r.Scenario {
	case "stream", "rr":
		return cpuS / (r.Detail.RepWork[i] / 1e9), "cpu-s/GB", true
	case "conn", "http":
		return cpuS / (r.Detail.RepWork[i] / 1000), "cpu-s/1k-ops", true
	}
	return 0, "", false
}

// Table prints one line per run: the median with its 95% interval, CPU,
// p99 latency and the guest's counters.
func Table(out io.Writer, b *results.Bench) {
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRUNNER\tMODE\tSIZE\tCONNS\tMEDIAN\t±95%\tCV\tCPU\tP99\tREADS\tWRITES\tEAGAIN\tWAITS\tSPURIOUS\tRESULT")
	for _, r := range b.Runs {
		sc := r.Scenario
		if r.Direction != "" {
			sc += "-" + r.Direction
		}
		if r.Traced {
			sc += " (traced)"
		}
		med, ci, cv, cpu, p99 := "-", "-", "-", "-", "-"
		if r.Summary.N > 0 {
			sum := results.Summarize(r.Reps) // CV for results written before it was recorded
			med = formatValue(r, sum.Median)
			if sum.Mean != 0 {
				ci = fmt.Sprintf("%.1f%%", 100*(sum.CIHigh-sum.Mean)/sum.Mean)
				cv = fmt.Sprintf("%.1f%%", 100*sum.CV)
			}
		}
		if c := r.CPU; c != nil {
			switch {
			case c.PerGB > 0 && r.Scenario == "stream":
				cpu = fmt.Sprintf("%.2f s/GB", c.PerGB)
			case c.Per1kReq > 0:
				cpu = fmt.Sprintf("%.3f s/1k", c.Per1kReq)
			default:
				cpu = fmt.Sprintf("%.2f s", c.UserS+c.SysS)
			}
		}
		if l := r.LatencyNS; l != nil {
			p99 = time.Duration(l.P99).Round(time.Microsecond).String()
		}
		var k results.Counters
		if r.Counters != nil {
			k = *r.Counters
		}
		result := "ok"
		if r.Error != "" {
			result = "ERROR: " + truncate(r.Error, 90)
		}
		if r.TargetCIUnmet {
			result += fmt.Sprintf(" (target interval not reached in %d reps)", len(r.Reps))
		}
		if r.TracedRatio > 0 {
			result += fmt.Sprintf(" (traced/untraced %.2f)", r.TracedRatio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n",
			sc, r.Runner, r.Mode, formatSize(r.Size), r.Conns, med, ci, cv, cpu, p99,
			k.Reads, k.Writes, k.EAGAINs, k.Waits, k.Spurious, result)
	}
	tw.Flush()
	if m, n := results.MedianCV(b.Runs); n > 0 {
		fmt.Fprintf(out, "\nmedian coefficient of variation over %d throughput runs (%s): %.1f%%\n",
			n, strings.Join(results.ThroughputScenarios, ", "), 100*m)
	}
	if len(b.Peers) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PEER\tPATH\tCHECK\tPEER MEDIAN\tNSWASI MEDIAN\tNSWASI/PEER\t95% INTERVAL\tCV PEER/NSWASI\tDETAIL")
		for _, p := range b.Peers {
			if p.Skipped != "" {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\tskipped: %s\n", p.Tool, p.Path, p.Skipped)
				continue
			}
			if p.PeerSummary == nil || p.NswasiSummary == nil || p.Ratio == 0 {
				fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\t-\t%s\n", p.Tool, p.Path, p.Scenario, p.Detail)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%.2f\t[%.2f, %.2f]\t%.0f%%/%.0f%%\t%s\n", p.Tool, p.Path, p.Scenario, p.Metric,
				peerValue(p, p.PeerSummary.Median), peerValue(p, p.NswasiSummary.Median), p.Ratio, p.RatioCILow, p.RatioCIHigh,
				100*p.PeerSummary.CV, 100*p.NswasiSummary.CV, p.Detail)
		}
		tw.Flush()
	}
}

func formatValue(r results.Run, v float64) string {
	switch r.Scenario {
	case "stream":
		return fmt.Sprintf("%.1f MB/s", v/1e6)
	case "idle":
		return fmt.Sprintf("%.4f cpu-s/s", v)
	case "start":
		return fmt.Sprintf("%.1f ms", v*1e3)
	case "memory":
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	}
	return fmt.Sprintf("%.0f/s", v)
}

func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// shortResult is a run's one-line progress summary.
func shortResult(r results.Run) string {
	if r.Error != "" {
		return "ERROR: " + truncate(r.Error, 160)
	}
	s := formatValue(r, r.Summary.Median)
	if r.Counters != nil && r.Counters.Waits > 0 {
		s += fmt.Sprintf(", %d waits, %d spurious", r.Counters.Waits, r.Counters.Spurious)
	}
	return s
}

// peerValue formats one figure of a peer check in its unit.
func peerValue(p results.Peer, v float64) string {
	switch p.Unit {
	case "bytes/s":
		return fmt.Sprintf("%.0f MB/s", v/1e6)
	case "ns":
		return fmt.Sprintf("%.1f µs", v/1e3)
	case "1/s":
		return fmt.Sprintf("%.0f /s", v)
	}
	return fmt.Sprintf("%g %s", v, p.Unit)
}
