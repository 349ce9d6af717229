package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The loaders read files a user points the report at. Invariants: they
// never panic; a refusal names the file in one line; what they accept has
// the schema_version this code knows, and writes back out to a file that
// loads to the same thing.

func FuzzLoadBench(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzLoadBench.
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Bench
		checkDecode(t, b, &v, func() int { return v.SchemaVersion }, func() any { return new(Bench) })
	})
}

func FuzzLoadIsolation(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzLoadIsolation.
	f.Fuzz(func(t *testing.T, b []byte) {
		var v Isolation
		checkDecode(t, b, &v, func() int { return v.SchemaVersion }, func() any { return new(Isolation) })
	})
}

func checkDecode(t *testing.T, b []byte, v any, version func() int, fresh func() any) {
	t.Helper()
	const name = "fuzz.json"
	if err := decode(name, b, v); err != nil {
		if msg := err.Error(); !strings.HasPrefix(msg, name+": ") || strings.Contains(msg, "\n") {
			t.Fatalf("refusal %q: want one line starting with the file name", msg)
		}
		return
	}
	if version() != SchemaVersion {
		t.Fatalf("accepted schema_version %d, want only %d", version(), SchemaVersion)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("accepted input does not marshal back: %v", err)
	}
	w := fresh()
	if err := decode(name, out, w); err != nil {
		t.Fatalf("what was accepted, written back, is refused: %v\n%s", err, out)
	}
	again, _ := json.Marshal(w)
	if !bytes.Equal(out, again) {
		t.Fatalf("round trip changed the data:\n%s\n%s", out, again)
	}
}
