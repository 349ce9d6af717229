package results

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const writerEnv = "NSWASI_TEST_WRITER_PATH"

// TestHelperWriter is not a test: run by TestKilledWriterLeavesNoTruncatedFile
// in a child process, it rewrites one result file until it is killed.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv(writerEnv)
	if path == "" {
		t.Skip("SKIP: a helper process for TestKilledWriterLeavesNoTruncatedFile, not a test of its own")
	}
	for i := 0; ; i++ {
		if err := WriteAtomic(path, bigBench(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// bigBench is a results file of a few MiB, so that a write takes long
// enough to be killed in the middle of.
func bigBench(gen int) *Bench {
	b := &Bench{SchemaVersion: SchemaVersion, Config: BenchConfig{Reps: gen}}
	reps := make([]float64, 2000)
	for i := range reps {
		reps[i] = float64(gen*len(reps) + i)
	}
	for range 50 {
		b.Runs = append(b.Runs, Run{Scenario: "echo", Runner: "wasi", Metric: "throughput", Unit: "bytes/s", Reps: reps})
	}
	return b
}

// A writer killed with SIGKILL in the middle of a write never leaves a
// truncated or mixed result file behind: the path holds either nothing or
// one complete generation. Readers running alongside see the same. A kill
// counts as mid-write only if it left the writer's temporary file (made
// before the write, renamed after it); the test goes on until 8 kills
// did, so it cannot pass without testing what it claims.
func TestKilledWriterLeavesNoTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, BenchFile)
	const want, maxAttempts = 8, 60
	landed := 0
	for round := 0; landed < want && round < maxAttempts; round++ {
		before := temps(dir)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), writerEnv+"="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Read while it writes for a while, then kill it as soon as a
		// new temporary file shows that a write is under way.
		deadline := time.Now().Add(time.Duration(20+13*round) * time.Millisecond)
		for time.Now().Before(deadline) {
			checkComplete(t, path)
		}
		giveUp := time.Now().Add(10 * time.Second)
		for len(temps(dir)) <= len(before) && time.Now().Before(giveUp) {
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		checkComplete(t, path)
		if len(temps(dir)) > len(before) {
			landed++
		}
	}
	if landed < want {
		t.Errorf("only %d kills of %d attempts landed mid-write (left a temporary file): the test did not test", landed, maxAttempts)
	}
	// The path may hold nothing at all: on a loaded machine every writer
	// can be killed before its first rename, which the promise allows
	// ("either nothing or one complete generation"); checkComplete has
	// judged whatever was there after every kill.
	// A killed writer cannot remove its temporary file; it is hidden
	// (a leading dot) and never at the result's path.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != BenchFile && !strings.HasPrefix(e.Name(), "."+BenchFile+".tmp-") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
	t.Logf("%d kills landed mid-write, each leaving a hidden temporary file", landed)
}

// temps lists the hidden temporary files of result writers in dir.
func temps(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "."+BenchFile+".tmp-*"))
	return m
}

func checkComplete(t *testing.T, path string) {
	t.Helper()
	b, err := LoadBench(path)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatalf("a reader saw an incomplete file: %v", err)
	}
	gen := b.Config.Reps
	want := bigBench(gen)
	if len(b.Runs) != len(want.Runs) || b.Runs[49].Reps[1999] != want.Runs[49].Reps[1999] {
		t.Fatalf("file of generation %d is not whole", gen)
	}
}

// The loaders refuse schema versions they do not know, naming the file,
// the version found and the versions understood (every one from 1, since
// version 2 upgrades version 1 files), for both file kinds.
func TestLoadRefusesUnknownSchema(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []int{0, SchemaVersion + 1, -1} {
		p := filepath.Join(dir, fmt.Sprintf("v%d.json", v))
		os.WriteFile(p, []byte(fmt.Sprintf(`{"schema_version": %d}`, v)), 0o644)
		want := fmt.Sprintf("%s: schema_version %d, but this nswasi reads versions 1 to %d", p, v, SchemaVersion)
		if _, err := LoadBench(p); err == nil || err.Error() != want {
			t.Errorf("LoadBench: %v, want %q", err, want)
		}
		if _, err := LoadIsolation(p); err == nil || err.Error() != want {
			t.Errorf("LoadIsolation: %v, want %q", err, want)
		}
	}
}
