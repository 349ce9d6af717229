package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoundTripAndSchemaCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, IsolationFile)
	in := &Isolation{SchemaVersion: SchemaVersion, Environment: CurrentEnvironment(), Runners: []string{"native"},
		Cells: []Cell{{Probe: "p", Runner: "native", Expected: Allowed, Observed: Denied, Mismatch: true}}}
	if err := WriteAtomic(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadIsolation(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Cells) != 1 || !out.Cells[0].Mismatch || out.Environment.GoVersion == "" {
		t.Fatalf("round trip lost data: %+v", out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	for _, c := range []struct{ body, want string }{
		{`{"schema_version": 99, "runs": []}`, "schema_version 99"},
		{`{"runs": []}`, "no schema_version"},
		{`{"schema_version": 1, "runz": []}`, "unknown field"},
		{`not json`, "not a result file"},
	} {
		os.WriteFile(p, []byte(c.body), 0o644)
		if _, err := LoadBench(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("load %q: error %v, want one containing %q", c.body, err, c.want)
		}
	}
}
