package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
)

// startVariant is one row of the start scenario: a runner and, for WASI
// runners, whether the compilation cache is empty (cold) or holds the
// module already (warm).
type startVariant struct {
	runner, wasiHost, cache string
}

// startSize is the body the first request gets.
const startSize = 64

// runStart measures, o.Reps times per runner and cache state, the time
// from asking the runner to start a guest to the end of the first HTTP
// answer the guest serves: everything a user waits for (namespace and
// veth creation, the host process, compilation or the cache load,
// instantiation, the guest's own start). The guest serves standalone on
// one granted listener; the listener exists before the guest runs, so the
// request waits in the backlog rather than being refused. Repetitions of
// different runners are interleaved.
//
// The same guests give the memory figures: resident memory of the whole
// sandbox (the process and its descendants) idle after the first
// request, and its peak after one second of http load.
func runStart(ctx context.Context, o *Options, progress io.Writer) []results.Run {
	var vs []startVariant
	for _, r := range o.Runners {
		if info, _ := runners.Lookup(r); info.WASI() {
			for _, h := range o.wasiHosts() {
				vs = append(vs, startVariant{r, h, "cold"}, startVariant{r, h, "warm"})
			}
		} else {
			vs = append(vs, startVariant{r, "", ""})
		}
	}
	warmDir, err := os.MkdirTemp("", "nswasi-start-warm-")
	if err != nil {
		return []results.Run{{Scenario: "start", Error: err.Error()}}
	}
	defer os.RemoveAll(warmDir)
	type acc struct {
		start, idle, load []float64
		errs              []error
	}
	accs := make([]acc, len(vs))
	for i, v := range vs {
		if v.cache == "warm" {
			// Fill the cache: this start is not recorded.
			if _, _, _, err := startOnce(ctx, o, v, warmDir); err != nil {
				accs[i].errs = append(accs[i].errs, fmt.Errorf("filling the cache: %w", err))
			}
		}
	}
	for rep := range o.Reps {
		for i, v := range vs {
			if ctx.Err() != nil || len(accs[i].errs) > 0 {
				continue
			}
			dir := warmDir
			if v.cache == "cold" {
				dir = filepath.Join(warmDir, fmt.Sprintf("cold-%d-%d", i, rep)) // empty, new each time
			}
			d, idle, load, err := startOnce(ctx, o, v, dir)
			if err != nil {
				accs[i].errs = append(accs[i].errs, fmt.Errorf("repetition %d: %w", rep+1, err))
				continue
			}
			accs[i].start = append(accs[i].start, d.Seconds())
			accs[i].idle = append(accs[i].idle, float64(idle))
			accs[i].load = append(accs[i].load, float64(load))
		}
	}
	var out []results.Run
	for i, v := range vs {
		a := accs[i]
		engine := "native"
		if v.cache != "" {
			engine = o.Engine
		}
		mk := func(scenario, dir, metric, unit string, reps []float64) results.Run {
			r := results.Run{Scenario: scenario, Direction: dir, Runner: v.runner, RunnerKind: runners.KindOf(v.runner), WASIHost: v.wasiHost,
				Mode: "netpoll", Size: startSize, Conns: 1,
				Engine: engine, Metric: metric, Unit: unit, Reps: reps}
			if r.Reps == nil {
				r.Reps = []float64{}
			}
			r.Summary = results.Summarize(r.Reps)
			if len(a.errs) > 0 {
				r.Error = oneLine(errors.Join(a.errs...))
			}
			return r
		}
		st := mk("start", v.cache, "start", "s", a.start)
		if len(a.start) > 0 {
			st.LatencyNS = quantilesNS(a.start)
		}
		out = append(out, st)
		if v.cache != "cold" { // memory: native runners, and WASI with the usual warm cache
			out = append(out, mk("memory", "idle", "rss", "bytes", a.idle))
			out = append(out, mk("memory", "load", "peak_rss", "bytes", a.load))
		}
		if progress != nil {
			fmt.Fprintf(progress, "start %s %s: p50 %s, idle RSS %.0f MiB, loaded peak %.0f MiB %s\n", results.Label(v.runner, v.wasiHost), v.cache,
				time.Duration(st.Summary.Median*float64(time.Second)).Round(100*time.Microsecond),
				results.Summarize(a.idle).Median/(1<<20), results.Summarize(a.load).Median/(1<<20), st.Error)
		}
	}
	return out
}

// startOnce starts one guest, times the first answer, then measures its
// memory idle and under one second of load, and stops it.
func startOnce(ctx context.Context, o *Options, v startVariant, cacheDir string) (took time.Duration, idle, load int64, err error) {
	info, _ := runners.Lookup(v.runner)
	cfg := o.Runner
	if info.WASI() {
		cfg.Wasi.Engine = o.Engine
		cfg.Wasi.CacheDir = cacheDir
		cfg.Wasi.WASIHost = v.wasiHost
	}
	t0 := time.Now()
	r, err := runners.New(v.runner, cfg)
	if err != nil {
		return 0, 0, 0, err
	}
	// Started and placed like every guest when pinning.
	g, pid, err := o.startPlaced(ctx, r, sandbox.Spec{
		Artifact: runners.Artifact(v.runner, o.Guest.Native, o.Guest.Wasm),
		Args:     []string{"http", "-mode", "netpoll", "-size", strconv.Itoa(startSize)},
		Env:      []string{},
		Listen:   []sandbox.Listen{{}},
		Timeout:  5 * time.Minute,
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("start: %w", err)
	}
	defer g.Stop()
	addr := g.Addrs()[0]
	tr := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	resp, err := cl.Get("http://" + addr.String() + "/")
	if err != nil {
		return 0, 0, 0, fmt.Errorf("first request: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took = time.Since(t0)
	if err != nil || resp.StatusCode != http.StatusOK || len(body) != startSize {
		return 0, 0, 0, fmt.Errorf("first request: status %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	if idle, _, err = treeMemory(pid); err != nil {
		return 0, 0, 0, err
	}
	if _, err := httpLoad(ctx, addr, startSize, 4, time.Second, false); err != nil {
		return 0, 0, 0, fmt.Errorf("load: %w", err)
	}
	if _, load, err = treeMemory(pid); err != nil {
		return 0, 0, 0, err
	}
	return took, idle, load, nil
}

// treeMemory sums VmRSS (now) and VmHWM (peak) over pid and its
// descendants: the whole sandbox, whatever shims or host processes it is
// made of. Peaks of different processes need not coincide, so the summed
// peak is an upper bound.
func treeMemory(pid int) (rss, hwm int64, err error) {
	if pid <= 0 {
		return 0, 0, errors.New("sandbox memory: the runner gives no process id")
	}
	pids, err := treePIDs(pid)
	if err != nil {
		return 0, 0, err
	}
	for _, p := range pids {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue // exited meanwhile
		}
		rss += statusKB(st, "VmRSS:") << 10
		hwm += statusKB(st, "VmHWM:") << 10
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("sandbox memory: no resident memory found for process %d", pid)
	}
	return rss, hwm, nil
}

func statusKB(st []byte, key string) int64 {
	for _, l := range bytes.Split(st, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte(key)); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return n
			}
		}
	}
	return 0
}

// quantilesNS gives start times' percentiles in the latency fields.
func quantilesNS(secs []float64) *results.Latency {
	h := newHist()
	for _, s := range secs {
		_ = h.RecordValue(int64(s * 1e9))
	}
	return latency(h)
}

// treePIDs lists pid and its descendants, found from /proc's parent links
// (Go forks from any thread, so a thread's children file is not enough).
func treePIDs(pid int) ([]int, error) {
	parent := map[int][]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The parent is the second field after the command, which is in
		// parentheses and may hold spaces.
		if i := bytes.LastIndexByte(st, ')'); i > 0 {
			if f := bytes.Fields(st[i+1:]); len(f) > 1 {
				if pp, err := strconv.Atoi(string(f[1])); err == nil {
					parent[pp] = append(parent[pp], p)
				}
			}
		}
	}
	pids := []int{pid}
	for i := 0; i < len(pids); i++ {
		pids = append(pids, parent[pids[i]]...)
	}
	return pids, nil
}
