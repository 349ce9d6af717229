package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nswasi/nswasi/internal/testenv"
)

// A module that passes the magic-number check but that the WASI host then
// refuses is refused under wasi+netns only after the namespace exists: one
// line, exit 2, and the namespace, veth and record are gone. (The other
// bad-input tests are refused before any namespace exists, so their
// "nothing left" check cannot fail.) The test's own state directory shows
// the namespace was made — its records directory exists — and that its
// record, kept until every object is removed, is gone.
func TestBadModuleUnderWasiNetnsLeavesNothing(t *testing.T) {
	testenv.RequireRoot(t)
	dir := t.TempDir()
	full, err := os.ReadFile(guest.Wasm)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.wasm")
	os.WriteFile(truncated, full[:len(full)/2], 0o644)
	foreign := filepath.Join(dir, "foreign.wasm")
	os.WriteFile(foreign, []byte("\x00asm\x01\x00\x00\x00"+
		"\x01\x04\x01\x60\x00\x00"+ // type: () -> ()
		"\x02\x09\x01\x03env\x01f\x00\x00"+ // import env.f
		"\x03\x02\x01\x00"+ // func 1: type 0
		"\x07\x0a\x01\x06_start\x00\x01"+ // export _start
		"\x0a\x04\x01\x02\x00\x0b"), 0o644) // body: end
	for _, c := range []struct{ name, module, want string }{
		{"truncated", truncated, "not a valid WebAssembly module"},
		{"foreign-import", foreign, "imports env.f"},
	} {
		t.Run(c.name, func(t *testing.T) {
			state := privateState(t)
			refused(t, exec.Command(nswasi, "exec", "--runner", "wasi+netns", "--listen", ":0", "--", c.module), c.want)
			if _, err := os.Stat(filepath.Join(state, "records")); err != nil {
				t.Errorf("no records directory: the module was refused before a namespace was made, so this test checks nothing: %v", err)
			}
			if left, _ := filepath.Glob(filepath.Join(state, "records", "*")); len(left) > 0 {
				t.Errorf("left in the state directory: %v", left)
			}
		})
	}
}
