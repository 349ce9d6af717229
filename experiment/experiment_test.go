package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/usage"
)

var cat = Catalogue{
	Scenarios:        []string{"stream", "rr", "conn", "idle", "http", "start"},     // the shipped experiments name them
	BenchRunners:     []string{"native", "netns", "netns+fw", "wasi", "wasi+netns"}, // full names every runner
	Modes:            []string{"blocking", "poll", "netpoll"},                       // the modes the shipped experiments name
	Probes:           []string{"fs-read-granted", "env-canary"},
	IsolationRunners: []string{"native", "netns+fw", "wasi"},
	Engines:          []string{"compiler", "interpreter"},
	WASIHosts:        []string{"wazero", "nswasi"},
}

// The shipped experiments parse against a catalogue holding every name
// they use (they use none explicitly: empty lists mean all).
func TestShippedExperiments(t *testing.T) {
	files, _ := filepath.Glob("../experiments/*.yaml")
	if len(files) < 2 {
		t.Fatalf("shipped experiments: %v", files)
	}
	for _, f := range files {
		e, _, err := Load(f, cat)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// Both name their bench runners; probes are left to the catalogue's all.
		if e.Bench == nil || len(e.Bench.Runners) == 0 || e.Isolation == nil || len(e.Isolation.Probes) != 2 {
			t.Errorf("%s: defaults not resolved: %+v", f, e)
		}
	}
}

func TestGoodFile(t *testing.T) {
	e, err := Parse("x.yaml", []byte(`
name: t
bench:
  scenarios: [rr]
  sizes: [64, 4KiB, 1MiB]
  duration: 250ms
link:
  rate: 100mbit
  delay: 5ms
  loss: 0.5%
`), cat)
	if err != nil {
		t.Fatal(err)
	}
	b := e.Bench
	if b.Sizes[1] != 4096 || b.Sizes[2] != 1<<20 || time.Duration(b.Duration) != 250*time.Millisecond {
		t.Errorf("decoded %+v", b)
	}
	if b.Reps != DefaultReps || b.Engine != "compiler" || len(b.Modes) != 3 || len(b.Conns) != 0 {
		t.Errorf("defaults %+v", b)
	}
	if e.Link.Rate != 100e6 || !e.Link.NeedsNetem() || e.Link.Loss != 0.5 {
		t.Errorf("link %+v", e.Link)
	}
	if e.Isolation != nil {
		t.Errorf("absent isolation section should stay nil")
	}
	if strings.Join(e.WASIHosts, ",") != "wazero,nswasi" {
		t.Errorf("wasi_hosts left out should mean all, got %v", e.WASIHosts)
	}
	e, err = Parse("x.yaml", []byte("wasi_hosts: [nswasi]\nbench: {}\n"), cat)
	if err != nil || strings.Join(e.WASIHosts, ",") != "nswasi" {
		t.Errorf("wasi_hosts: [nswasi] gave %v, %v", e, err)
	}
}

// Each bad file is refused with its file, line and field in one line.
func TestBadFiles(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"bench:\n  reps: 3\n  colour: red\n", "x.yaml:3: bench.colour: unknown key"},
		{"bench:\n  reps: three\n", `x.yaml:2: bench.reps: want a whole number, got "three"`},
		{"bench:\n  reps: 0x7fffffffff\n", "x.yaml:2: bench.reps: \"0x7fffffffff\": not a whole number in range"},
		{"bench:\n  reps: -1\n", "x.yaml:2: bench.reps: -1: want 1 to 1000"},
		{"bench:\n  sizes: [64, 0]\n", "x.yaml:2: bench.sizes[1]: 0 bytes: want 1 B to 64 MiB"},
		{"bench:\n  sizes: [64, lots]\n", `x.yaml:2: bench.sizes[1]: "lots": want a byte size`},
		{"bench:\n  sizes: 64\n", "x.yaml:2: bench.sizes: want a list"},
		{"bench:\n  runners: [native, docker]\n", `x.yaml:2: bench.runners[1]: unknown runner "docker"`},
		{"bench:\n  modes: [poll, poll]\n", `bench.modes[1]: mode "poll" listed twice`},
		{"bench:\n  duration: 1ms\n", "x.yaml:2: bench.duration: 1ms: want 10ms to 10m"},
		{"bench:\n  duration: soon\n", `x.yaml:2: bench.duration: "soon": want a duration`},
		{"bench:\n  engine: jit\n", `bench.engine[0]: unknown engine "jit"`},
		{"bench:\n  trace_modes: [poll, epoll]\n", `bench.trace_modes[1]: unknown mode "epoll"`},
		{"wasi_hosts: [nswasi, wasmtime]\nbench: {}\n", `x.yaml:1: wasi_hosts[1]: unknown WASI host "wasmtime"`},
		{"bench:\n  conns: [2000]\n", "bench.conns[0]: 2000: want 1 to 1024"},
		{"bench:\n  preset: medium\n", `x.yaml:2: bench.preset: "medium": want quick or full`},
		{"bench:\n  trace_hostcalls: maybe\n", "bench.trace_hostcalls: want true or false"},
		{"isolation:\n  probes: [fs-read-granted, teleport]\n", `isolation.probes[1]: unknown probe "teleport"`},
		{"isolation:\n  as_root: yes please\n", "isolation.as_root: want true or false"},
		{"bench: {}\nlink:\n  rate: fast\n", `x.yaml:3: link.rate: "fast": want a rate`},
		{"bench: {}\nlink:\n  loss: 150%\n", "link.loss: \"150%\": want a percentage"},
		{"bench: {}\nlink:\n  jitter: 1ms\n", "link.jitter: jitter needs a delay"},
		{"name: only a name\n", "neither isolation nor bench"},
		{"", "empty experiment file"},
		{"bench: [1, 2\n", "x.yaml: yaml:"},
		{"- a\n- b\n", "(top level): want a mapping"},
		{"bench:\n  reps: 3\n  reps: 4\n", "bench.reps: key given twice"},
	} {
		_, err := Parse("x.yaml", []byte(c.body), cat)
		if err == nil {
			t.Errorf("%q: accepted, want refusal %q", c.body, c.want)
			continue
		}
		if !usage.IsBadInput(err) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q:\n  got  %v\n  want one bad-input line containing %q", c.body, err, c.want)
		}
	}
}

func TestMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), cat)
	if err == nil || !usage.IsBadInput(err) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("error %v", err)
	}
}

// FuzzParse: the parser never panics, and whatever it accepts is in range.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../experiments/quick.yaml", "../experiments/full.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("bench:\n  sizes: [1MiB]\nlink:\n  rate: 1gbit\n  delay: 1ms\n  loss: 1%\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		e, err := Parse("f.yaml", src, cat)
		if err != nil {
			if !usage.IsBadInput(err) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		if b := e.Bench; b != nil {
			if b.Reps < 1 || b.Reps > 1000 || b.Duration <= 0 {
				t.Fatalf("accepted out-of-range bench: %+v", b)
			}
		}
	})
}
