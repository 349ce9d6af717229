package results

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/runnerinfo"
)

// testdata/v1 and testdata/v2 hold files that nswasi wrote in those
// versions (real runs, trimmed to a few runs, cells and cases; see
// testdata/README.md). They must load, with the free maps of those
// versions in the typed fields and every row's kind from the registry.

func TestLoadVersion1Files(t *testing.T) {
	b, err := LoadBench(filepath.Join("testdata", "v1", BenchFile))
	if err != nil {
		t.Fatal(err)
	}
	c := b.Config
	if c.Reps != 3 || c.Duration.D() != 300*time.Millisecond || c.Warmup.D() != 75*time.Millisecond ||
		c.PollTimeout.D() != 10*time.Millisecond || c.Engine != "compiler" || !c.Quick ||
		!slices.Equal(c.Runners, []string{"native", "wasi"}) || c.Sizes != nil || c.Legacy != nil {
		t.Errorf("v1 config read as %+v", c)
	}
	r := b.Runs[0]
	if r.Detail == nil || r.Detail.Ops != 18082 || r.Detail.BytesMoved != 1185021952 || !slices.Equal(r.Detail.RepCPUS, []float64{0.21, 0.15, 0.2}) ||
		!slices.Equal(r.Detail.RepWork, []float64{391905280, 445317120, 347799552}) {
		t.Errorf("v1 detail read as %+v", r.Detail)
	}
	checkKinds(t, b)
	iso, err := LoadIsolation(filepath.Join("testdata", "v1", IsolationFile))
	if err != nil {
		t.Fatal(err)
	}
	checkCellKinds(t, iso)
}

func TestLoadVersion2Files(t *testing.T) {
	b, err := LoadBench(filepath.Join("testdata", "v2", BenchFile))
	if err != nil {
		t.Fatal(err)
	}
	c := b.Config
	// Version 2's first files named one host, "wasi_host"; it is the list now.
	if !slices.Equal(c.WASIHosts, []string{"nswasi"}) || !c.TraceHostcalls || c.Reps != 3 ||
		!slices.Equal(c.Scenarios, []string{"stream", "rr", "idle"}) || c.Legacy != nil {
		t.Errorf("v2 config read as %+v", c)
	}
	traced := 0
	for _, r := range b.Runs {
		if r.Detail == nil || r.Detail.Ops <= 0 || len(r.Detail.RepCPUS) != len(r.Reps) {
			t.Errorf("%s %s: detail %+v", r.Scenario, r.Label(), r.Detail)
		}
		if r.Traced {
			traced++
		}
	}
	if traced == 0 {
		t.Error("the v2 fixture has no traced run: it no longer tests host calls")
	}
	checkKinds(t, b)
	iso, err := LoadIsolation(filepath.Join("testdata", "v2", IsolationFile))
	if err != nil {
		t.Fatal(err)
	}
	checkCellKinds(t, iso)
	conf, err := LoadConformance(filepath.Join("testdata", "v2", ConformanceFile))
	if err != nil {
		t.Fatal(err)
	}
	if conf.Config.Engine != "compiler" || conf.Config.TimeoutS != 60 || conf.Config.Jobs != 2 || conf.SchemaVersion != SchemaVersion {
		t.Errorf("v2 conformance config read as %+v (version %d)", conf.Config, conf.SchemaVersion)
	}
}

func checkKinds(t *testing.T, b *Bench) {
	t.Helper()
	if b.SchemaVersion != SchemaVersion {
		t.Errorf("upgraded to version %d, want %d", b.SchemaVersion, SchemaVersion)
	}
	for _, r := range b.Runs {
		want := runnerinfo.KindOf(r.Runner)
		if want == "" || r.RunnerKind != want {
			t.Errorf("%s: kind %q, registry says %q", r.Runner, r.RunnerKind, want)
		}
		if r.IsWASI() != (r.WASIHost != "") {
			t.Errorf("%s: WASI %v but host %q", r.Runner, r.IsWASI(), r.WASIHost)
		}
	}
}

func checkCellKinds(t *testing.T, iso *Isolation) {
	t.Helper()
	kinds := map[runnerinfo.Kind]bool{}
	for _, c := range iso.Cells {
		if want := runnerinfo.KindOf(c.Runner); c.RunnerKind != want || want == "" {
			t.Errorf("cell %s/%s: kind %q, registry says %q", c.Probe, c.Runner, c.RunnerKind, want)
		}
		kinds[c.RunnerKind] = true
	}
	if len(kinds) != 3 {
		t.Errorf("cells of kinds %v; the fixture should cover all three", kinds)
	}
}

// A kind a file records wins over the registry's: a runner renamed or
// redeclared later does not change what an old result says it ran.
func TestRecordedKindWins(t *testing.T) {
	r := Run{Runner: "wasi", RunnerKind: runnerinfo.Namespace}
	if r.IsWASI() || r.Kind() != runnerinfo.Namespace {
		t.Errorf("recorded kind ignored: %v", r.Kind())
	}
	if (Run{Runner: "wasi"}).Kind() != runnerinfo.WASI || (Cell{Runner: "gvisor"}).Kind() != "" {
		t.Error("no recorded kind: want the registry's, or none for an unknown runner")
	}
}

// Version 3 writes typed config and detail under the names the maps used,
// reads them back, and refuses a key it does not know instead of keeping
// it aside as an older file's.
func TestVersion3RoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), BenchFile)
	in := &Bench{SchemaVersion: SchemaVersion, Config: BenchConfig{Runners: []string{"wasi"}, Reps: 5, Duration: Duration(2 * time.Second),
		WASIHosts: []string{"wazero", "nswasi"}, Shard: 2, Shards: 3},
		Runs: []Run{{Runner: "wasi", RunnerKind: runnerinfo.WASI, WASIHost: "nswasi", Reps: []float64{1},
			Detail: &RunDetail{Ops: 7, BytesMoved: 9, RepCPUS: []float64{0.5}, RepWork: []float64{9}, Unanswered: 1}}}}
	if err := WriteAtomic(p, in); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(p)
	for _, want := range []string{`"duration": "2s"`, `"rep_cpu_s": [`, `"runner_kind": "wasi"`, `"wasi_hosts": [`, `"shards": 3`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("written file lacks %s:\n%s", want, raw)
		}
	}
	out, err := LoadBench(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Config, in.Config) || !reflect.DeepEqual(out.Runs, in.Runs) {
		t.Errorf("round trip:\n got %+v %+v\nwant %+v %+v", out.Config, out.Runs[0].Detail, in.Config, in.Runs[0].Detail)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	m["config"].(map[string]any)["synthetic"] = true
	b, _ := json.Marshal(m)
	os.WriteFile(p, b, 0o644)
	if _, err := LoadBench(p); err == nil || !strings.Contains(err.Error(), "synthetic") {
		t.Errorf("a version 3 config with an unknown key loaded: %v", err)
	}
}

// An older file's configuration keys that no field takes are kept aside
// and shown, not dropped; a detail key that no version wrote is refused.
func TestLegacyKeys(t *testing.T) {
	p := filepath.Join(t.TempDir(), BenchFile)
	os.WriteFile(p, []byte(`{"schema_version": 2, "environment": {}, "config": {"conns": 1, "duration_s": 5, "reps": 4, "duration": "1s"}, "runs": []}`), 0o644)
	b, err := LoadBench(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.Config.Reps != 4 || b.Config.Duration.D() != time.Second || b.Config.Conns != nil ||
		!reflect.DeepEqual(b.Config.Legacy, map[string]any{"conns": 1.0, "duration_s": 5.0}) {
		t.Errorf("config read as %+v", b.Config)
	}
	f := b.Config.Fields()
	if f["conns"] != 1.0 || f["duration"] != "1s" || f["duration_s"] != 5.0 {
		t.Errorf("fields %v", f)
	}
	os.WriteFile(p, []byte(`{"schema_version": 2, "environment": {}, "runs": [{"scenario": "rr", "runner": "native", "mode": "poll", "size": 1, "conns": 1, "engine": "", "metric": "", "unit": "", "reps": [], "summary": {}, "detail": {"ops": 1, "mystery": 2}}]}`), 0o644)
	if _, err := LoadBench(p); err == nil || !strings.Contains(err.Error(), "mystery") {
		t.Errorf("unknown detail key: %v", err)
	}
}

// A legacy value that fits a field only in part is kept whole, aside,
// and leaves the field as it was.
func TestLegacyPartialFit(t *testing.T) {
	p := filepath.Join(t.TempDir(), BenchFile)
	os.WriteFile(p, []byte(`{"schema_version": 2, "environment": {}, "config": {"sizes": [64, "big"]}, "runs": []}`), 0o644)
	b, err := LoadBench(p)
	if err != nil {
		t.Fatal(err)
	}
	if b.Config.Sizes != nil || !reflect.DeepEqual(b.Config.Legacy["sizes"], []any{64.0, "big"}) {
		t.Errorf("sizes %v, legacy %v", b.Config.Sizes, b.Config.Legacy)
	}
}
