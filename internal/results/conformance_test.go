package results

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestConformanceRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), ConformanceFile)
	in := &Conformance{
		SchemaVersion: SchemaVersion, Environment: CurrentEnvironment(), Hosts: []string{"wazero"},
		Config: ConformanceConfig{Engine: "compiler", TimeoutS: 60, Jobs: 2},
		Suites: []ConformanceSuite{{Name: "S", Dir: "/s", Tests: 1}},
		Cases: []ConformanceCase{{Suite: "S", Test: "t", Host: "wazero", Outcome: Fail, Reasons: []string{"exit code 1, want exit code 0"},
			ExitCode: 1, Stderr: "why", WallS: 0.5, ExpectedFailure: true}},
		Expectations: &ConformanceExpectations{Host: "wazero", Source: "x.toml", Agree: true,
			Listed: []ExpectedFailure{{Suite: "S", Test: "t", Ran: true, Outcome: Fail}, {Suite: "S", Test: "gone"}}},
	}
	if err := WriteAtomic(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadConformance(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Cases, in.Cases) || !reflect.DeepEqual(out.Expectations, in.Expectations) || !reflect.DeepEqual(out.Suites, in.Suites) {
		t.Errorf("round trip changed the result:\n got %+v\nwant %+v", out, in)
	}
	// The file kinds share one schema version; the next one is unknown.
	os.WriteFile(p, []byte(fmt.Sprintf(`{"schema_version": %d, "cases": []}`, SchemaVersion+1)), 0o644)
	if _, err := LoadConformance(p); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema_version %d", SchemaVersion+1)) {
		t.Errorf("a newer schema loaded: %v", err)
	}
}
