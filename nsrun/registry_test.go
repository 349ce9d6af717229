package nsrun

import (
	"os"
	"path/filepath"
	"testing"
)

// A record removed between the listing and its reading is no claim, not
// an error: before, a sandbox that ended while another started made the
// other's subnet allocation fail ("open …/records/ID.json: no such file
// or directory"), seen once in 147 isolation cells run two at a time. A
// dangling link stands for the record that went away.
func TestLoadSkipsRecordRemovedSinceListing(t *testing.T) {
	r := &registry{dir: t.TempDir()}
	if err := os.MkdirAll(r.recordsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.claim(Record{ID: "kept01", Subnet: "198.18.0.0/30"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(r.dir, "gone"), filepath.Join(r.recordsDir(), "gone01.json")); err != nil {
		t.Fatal(err)
	}
	recs, err := r.load()
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(recs) != 1 || recs[0].ID != "kept01" {
		t.Errorf("load = %+v, want only kept01", recs)
	}
	// Any other failure to read a record is still an error.
	if err := os.WriteFile(filepath.Join(r.recordsDir(), "bad001.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.load(); err == nil {
		t.Error("load of a torn record succeeded")
	}
}
