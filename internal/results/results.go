// Package results defines nswasi's result files — isolation.json from the
// isolation suite and results.json from the benchmarks — and writes and
// loads them. It is the one contract between the producers (isolation,
// bench) and the consumer (report): both sides use these types.
//
// Files are written atomically (temporary file, then rename), so a crash
// never leaves half a file; the loaders refuse a schema_version they do not
// know rather than misread it.
package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// SchemaVersion is the version of both file formats that this code
// writes. It reads this version and every earlier one (see upgrade).
//
// Version 2 added wasi_host to runs and cells. Version 3 records each
// run's and cell's runner_kind, and gives config and detail fixed fields
// (BenchConfig, RunDetail, ConformanceConfig) where they were free maps.
const SchemaVersion = 3

// File names inside a result directory.
const (
	IsolationFile = "isolation.json"
	BenchFile     = "results.json"
)

// Environment says where and with what a result was produced.
type Environment struct {
	Host          string    `json:"host"`
	Kernel        string    `json:"kernel"`
	CPUModel      string    `json:"cpu_model"`
	Cores         int       `json:"cores"`
	GoVersion     string    `json:"go_version"`
	WazeroVersion string    `json:"wazero_version"`
	NswasiVersion string    `json:"nswasi_version"`
	Time          time.Time `json:"time"`
}

// Verdicts of an isolation cell.
const (
	Allowed = "allowed"
	Denied  = "denied"
)

// Isolation is isolation.json.
type Isolation struct {
	SchemaVersion int         `json:"schema_version"`
	Environment   Environment `json:"environment"`
	// Partial is set when the run was interrupted before every cell ran.
	Partial bool        `json:"partial,omitempty"`
	Probes  []ProbeInfo `json:"probes"`
	Runners []string    `json:"runners"`
	// WASIHosts lists the WASI hosts the WASI runners ran under, each a
	// column of the matrix of its own.
	WASIHosts []string `json:"wasi_hosts,omitempty"`
	// NativeUser says whom the native guests (native, netns, netns+fw)
	// ran as: it decides some expectations (a raw socket needs CAP_NET_RAW).
	NativeUser string `json:"native_user,omitempty"`
	Cells      []Cell `json:"cells"`
}

// ProbeInfo describes one isolation probe.
type ProbeInfo struct {
	Name        string `json:"name"`
	Category    string `json:"category"` // network | filesystem | process
	Description string `json:"description"`
	Concept     string `json:"concept"`
}

// Cell is one probe under one runner.
type Cell struct {
	Probe  string `json:"probe"`
	Runner string `json:"runner"`
	// RunnerKind is the runner's kind as the registry declared it when the
	// cell ran; files before version 3 get the registry's on load.
	RunnerKind runnerinfo.Kind `json:"runner_kind,omitempty"`
	Expected   string          `json:"expected"` // Allowed | Denied
	// Rationale says why Expected follows from what the sandbox promises.
	Rationale string `json:"rationale"`
	// Observed comes from the oracle outside the sandbox; empty when the
	// probe could not run, and then Reason says why.
	Observed string `json:"observed,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Evidence is what the oracle saw and what the guest reported.
	Evidence string `json:"evidence"`
	Mismatch bool   `json:"mismatch"`
	// WASIHost is the WASI host a WASI runner linked the guest against
	// ("wazero" or "nswasi"); empty for native runners.
	WASIHost string `json:"wasi_host,omitempty"`
}

// Bench is results.json.
type Bench struct {
	SchemaVersion int         `json:"schema_version"`
	Environment   Environment `json:"environment"`
	Partial       bool        `json:"partial,omitempty"`
	// Config records the parameters the runs were made with.
	Config BenchConfig `json:"config,omitzero"`
	Runs   []Run       `json:"runs"`
	Peers  []Peer      `json:"peers,omitempty"`
}

// Run is one scenario × runner × mode × size × conns × engine, over its repetitions.
type Run struct {
	Scenario string `json:"scenario"`
	Runner   string `json:"runner"`
	// RunnerKind is the runner's kind as the registry declared it when the
	// run was made; files before version 3 get the registry's on load.
	RunnerKind runnerinfo.Kind `json:"runner_kind,omitempty"`
	Mode       string          `json:"mode"`
	Size       int             `json:"size"`
	Conns      int             `json:"conns"`
	Engine     string          `json:"engine"`
	// WASIHost is the WASI host a WASI runner linked the guest against
	// ("wazero" or "nswasi"); empty for native runners.
	WASIHost string `json:"wasi_host,omitempty"`
	// Direction, for stream: "in" (driver → guest) or "out" (guest → driver).
	Direction string `json:"direction,omitempty"`
	// Traced is set when the run counted WASI host calls (--trace-hostcalls);
	// its figures then include the accounting's own cost.
	Traced bool `json:"traced,omitempty"`
	// TracedRatio, on a traced run, is its median divided by the median of
	// the same configuration untraced in the same invocation: what the
	// accounting itself costs (1 = nothing).
	TracedRatio float64 `json:"traced_ratio,omitempty"`
	// TargetCIUnmet is set when --target-ci asked for a narrower interval
	// than the run reached within its repetition cap.
	TargetCIUnmet bool `json:"target_ci_unmet,omitempty"`
	// Metric names what Reps measure, with Unit (e.g. "throughput",
	// "bytes/s"; "tps", "1/s"; "idle_cpu", "s/s").
	Metric string    `json:"metric"`
	Unit   string    `json:"unit"`
	Reps   []float64 `json:"reps"`
	// Summary of Reps.
	Summary Summary `json:"summary"`
	// LatencyNS holds percentiles over all repetitions where latency applies.
	LatencyNS *Latency `json:"latency_ns,omitempty"`
	CPU       *CPU     `json:"cpu,omitempty"`
	// Counters are the guest's own counts, summed over repetitions.
	Counters *Counters `json:"counters,omitempty"`
	// Hostcalls, when traced, per WASI function.
	Hostcalls map[string]HostCall `json:"hostcalls,omitempty"`
	// Error, when set, says why the run has no (or fewer) repetitions.
	Error string `json:"error,omitempty"`
	// Detail holds the driver's own figures of the measured repetitions.
	Detail *RunDetail `json:"detail,omitempty"`
}

// Summary statistics over repetitions.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	// CILow and CIHigh bound the 95% confidence interval of the mean
	// (Student's t with N-1 degrees of freedom).
	CILow  float64 `json:"ci95_low"`
	CIHigh float64 `json:"ci95_high"`
	// CV is the coefficient of variation of the repetitions (sample
	// standard deviation over mean): the spread of one repetition, where
	// the interval is the spread of the mean.
	CV float64 `json:"cv,omitempty"`
}

// Latency percentiles in nanoseconds.
type Latency struct {
	P50  int64 `json:"p50"`
	P90  int64 `json:"p90"`
	P99  int64 `json:"p99"`
	P999 int64 `json:"p99_9"`
	Max  int64 `json:"max"`
}

// CPU is the sandbox process's CPU time, summed over repetitions.
type CPU struct {
	UserS float64 `json:"user_s"`
	SysS  float64 `json:"sys_s"`
	// RusageUserS and RusageSysS are the sandbox process's whole life from
	// its rusage at exit: start-up and warm-up included.
	RusageUserS float64 `json:"rusage_user_s,omitempty"`
	RusageSysS  float64 `json:"rusage_sys_s,omitempty"`
	PerGB       float64 `json:"per_gb_s,omitempty"`
	Per1kReq    float64 `json:"per_1k_requests_s,omitempty"`
	MaxRSSByte  int64   `json:"max_rss_bytes,omitempty"`
}

// Counters are the guest's counts of its own I/O calls.
type Counters struct {
	Reads    int64 `json:"reads"`
	Writes   int64 `json:"writes"`
	EAGAINs  int64 `json:"eagains"`
	Waits    int64 `json:"waits"`
	Spurious int64 `json:"spurious"`
	// Gathered counts waits answered by a poll another connection's wait
	// made: under wasip1 the guest's poll mode gathers every waiting
	// connection into one poll_oneoff (natively, always 0).
	Gathered int64 `json:"gathered,omitempty"`
	// Messages is how many application messages the guest handled (stream
	// chunks of Size bytes, or requests answered), summed over repetitions:
	// the denominator of per-message rates such as host calls per message.
	// Zero when the producer did not count them.
	Messages int64 `json:"messages,omitempty"`
}

// HostCall is one WASI function's count and time.
type HostCall struct {
	Calls   int64 `json:"calls"`
	TotalNS int64 `json:"total_ns"`
	// SumSquaresNS2 is the sum of each call's time squared (ns²), from
	// which the spread of the time per call follows (MeanCI).
	SumSquaresNS2 float64 `json:"sum_squares_ns2,omitempty"`
}

// MeanCI is the mean time per call in nanoseconds and the half-width of
// its 95% confidence interval (normal approximation, which the number of
// calls in a run justifies). The half-width is zero when the file holds no
// sum of squares (before version 2) or fewer than two calls.
func (h HostCall) MeanCI() (mean, half float64) {
	if h.Calls == 0 {
		return 0, 0
	}
	n := float64(h.Calls)
	mean = float64(h.TotalNS) / n
	if h.Calls < 2 || h.SumSquaresNS2 == 0 {
		return mean, 0
	}
	variance := (h.SumSquaresNS2 - n*mean*mean) / (n - 1)
	if variance < 0 {
		variance = 0
	}
	return mean, 1.96 * math.Sqrt(variance/n)
}

// Peer is a reference measurement made in the same invocation as the
// nswasi case it checks, with repetitions of the two interleaved: iperf3
// against stream-in, sockperf against rr, wrk against http.
type Peer struct {
	Tool string `json:"tool"`
	Path string `json:"path"` // e.g. "loopback", "veth"
	// BPS is the tool's median throughput in bytes/s (iperf3 only).
	BPS float64 `json:"bytes_per_s"`
	// Ratio is nswasi's median over the tool's median, in Unit.
	Ratio  float64 `json:"nswasi_ratio"`
	Detail string  `json:"detail,omitempty"`
	// Skipped says why the check did not run (tool missing, runner not
	// selected, ...); nothing else is set then but Tool and Path.
	Skipped string `json:"skipped,omitempty"`
	// Check names the nswasi case: scenario, runner, mode, size and conns.
	Scenario string `json:"scenario,omitempty"`
	Runner   string `json:"runner,omitempty"`
	Mode     string `json:"mode,omitempty"`
	Size     int    `json:"size,omitempty"`
	Conns    int    `json:"conns,omitempty"`
	// Metric and Unit say what both tools' repetitions measure, e.g.
	// "throughput" in "bytes/s", "rtt_p50" in "ns", "requests" in "1/s".
	Metric string `json:"metric,omitempty"`
	Unit   string `json:"unit,omitempty"`
	// Command is the tool's client command line (ports elided).
	Command string `json:"command,omitempty"`
	// PeerReps and NswasiReps are both tools' raw repetitions, in the
	// order they ran (alternating).
	PeerReps   []float64 `json:"peer_reps,omitempty"`
	NswasiReps []float64 `json:"nswasi_reps,omitempty"`
	// PeerSummary and NswasiSummary summarize the repetitions.
	PeerSummary   *Summary `json:"peer_summary,omitempty"`
	NswasiSummary *Summary `json:"nswasi_summary,omitempty"`
	// RatioCI is the 95% interval of the mean of the paired per-repetition
	// ratios (nswasi repetition i over peer repetition i).
	RatioCILow  float64 `json:"ratio_ci_low,omitempty"`
	RatioCIHigh float64 `json:"ratio_ci_high,omitempty"`
}

// WriteAtomic writes v as indented JSON to path through a temporary file
// in the same directory and a rename.
func WriteAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// WriteFileAtomic writes data to path through a temporary file and a rename.
func WriteFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// LoadIsolation reads an isolation.json.
func LoadIsolation(path string) (*Isolation, error) {
	var v Isolation
	if err := load(path, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// LoadBench reads a results.json.
func LoadBench(path string) (*Bench, error) {
	var v Bench
	if err := load(path, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func load(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return decode(path, b, v)
}

func decode(name string, b []byte, v any) error {
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return fmt.Errorf("%s: not a result file: %v", name, err)
	}
	if head.SchemaVersion == nil {
		return fmt.Errorf("%s: no schema_version: not an nswasi result file", name)
	}
	version := *head.SchemaVersion
	if version < 1 || version > SchemaVersion {
		return fmt.Errorf("%s: schema_version %d, but this nswasi reads versions 1 to %d", name, version, SchemaVersion)
	}
	var err error
	switch v := v.(type) {
	case *Bench:
		if version < 3 {
			err = decodeLegacyBench(b, v)
			break
		}
		err = strict(b, v)
	case *Conformance:
		if version < 3 {
			err = decodeLegacyConformance(b, v)
			break
		}
		err = strict(b, v)
	default:
		err = strict(b, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	upgrade(version, v)
	return nil
}

// strict decodes b into v, refusing a field v does not have: a file that
// says it is of a version but is not is refused rather than misread.
func strict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// upgrade fills in what an older file leaves implicit, from the runner
// registry: before version 2 the legacy host was the only WASI host;
// before version 3 no file recorded a runner's kind.
func upgrade(version int, v any) {
	if version >= SchemaVersion {
		return
	}
	host := func(runner, recorded string) string {
		if version < 2 && runnerinfo.KindOf(runner) == runnerinfo.WASI {
			return runnerinfo.LegacyHost
		}
		return recorded
	}
	switch v := v.(type) {
	case *Isolation:
		v.SchemaVersion = SchemaVersion
		for i := range v.Cells {
			c := &v.Cells[i]
			c.WASIHost, c.RunnerKind = host(c.Runner, c.WASIHost), runnerinfo.KindOf(c.Runner)
		}
	case *Bench:
		v.SchemaVersion = SchemaVersion
		for i := range v.Runs {
			r := &v.Runs[i]
			r.WASIHost, r.RunnerKind = host(r.Runner, r.WASIHost), runnerinfo.KindOf(r.Runner)
		}
	case *Conformance:
		v.SchemaVersion = SchemaVersion
	}
}

// Label names a runner as tables and figures show it: the runner alone,
// or for a WASI runner the runner and its WASI host, e.g. "wasi (nswasi)".
// A WASI host is a dimension like the runner: two hosts are two columns.
func Label(runner, wasiHost string) string { return runnerinfo.Label(runner, wasiHost) }

// Label is the run's runner as tables and figures show it.
func (r Run) Label() string { return Label(r.Runner, r.WASIHost) }

// Label is the cell's runner as tables and figures show it.
func (c Cell) Label() string { return Label(c.Runner, c.WASIHost) }

// Kind is the run's runner kind: as recorded, or for a runner the file
// does not qualify, the registry's ("" when it does not know the name).
func (r Run) Kind() runnerinfo.Kind { return kind(r.RunnerKind, r.Runner) }

// IsWASI reports whether the run ran a .wasm module.
func (r Run) IsWASI() bool { return r.Kind() == runnerinfo.WASI }

// Kind is the cell's runner kind, as Run.Kind.
func (c Cell) Kind() runnerinfo.Kind { return kind(c.RunnerKind, c.Runner) }

// IsWASI reports whether the cell ran a .wasm module.
func (c Cell) IsWASI() bool { return c.Kind() == runnerinfo.WASI }

func kind(recorded runnerinfo.Kind, runner string) runnerinfo.Kind {
	if recorded != "" {
		return recorded
	}
	return runnerinfo.KindOf(runner)
}
