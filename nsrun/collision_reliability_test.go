package nsrun

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
)

// forceIDs makes newID hand out ids, in order, and then random ones again.
func forceIDs(t *testing.T, ids ...string) {
	t.Helper()
	orig := newID
	t.Cleanup(func() { newID = orig })
	newID = func() (string, error) {
		if len(ids) > 0 {
			id := ids[0]
			ids = ids[1:]
			return id, nil
		}
		return orig()
	}
}

// intact fails t unless ns's namespace, both veth ends and (if recPath is
// not empty) its record are still there, the record unchanged.
func intact(t *testing.T, ns *Namespace, recPath string, rec []byte) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join("/run/netns", ns.Name)); err != nil {
		t.Errorf("namespace %s of the first owner is gone: %v", ns.Name, err)
	}
	if _, err := netlink.LinkByName(ns.HostLink); err != nil {
		t.Errorf("veth %s of the first owner is gone: %v", ns.HostLink, err)
	}
	h, err := netlink.NewHandleAt(ns.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, err := h.LinkByName(ns.PeerLink); err != nil {
		t.Errorf("veth end %s inside %s is gone: %v", ns.PeerLink, ns.Name, err)
	}
	if recPath != "" {
		if got, err := os.ReadFile(recPath); err != nil || !bytes.Equal(got, rec) {
			t.Errorf("record %s of the first owner changed or went: %v\nbefore: %s\nafter:  %s", recPath, err, rec, got)
		}
	}
}

// A namespace ID that is already taken — in the same state directory, or
// only in the kernel (another state directory, or a record lost) — is
// detected before anything is written: the second New picks another ID,
// and the first owner's namespace, veth and record stay exactly as they
// were. Before IDs were claimed exclusively, the second New overwrote the
// record and its error path deleted the first owner's objects.
func TestIDCollisionLeavesOtherAlone(t *testing.T) {
	requireRoot(t)
	for _, sameDir := range []bool{true, false} {
		name := "other-state-dir"
		if sameDir {
			name = "same-state-dir"
		}
		t.Run(name, func(t *testing.T) {
			opts := Options{StateDir: t.TempDir()}
			first, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer first.Close()
			id := strings.TrimPrefix(first.Name, Prefix)
			recPath := filepath.Join(opts.StateDir, "records", id+".json")
			rec, err := os.ReadFile(recPath)
			if err != nil {
				t.Fatalf("record of the first namespace: %v", err)
			}

			other := opts
			if !sameDir {
				other.StateDir = t.TempDir()
			}
			forceIDs(t, id, id) // collide twice, then draw at random
			second, err := New(other)
			if err != nil {
				t.Errorf("second New after a collision: %v, want a fresh ID", err)
			} else {
				defer second.Close()
				if second.Name == first.Name || second.HostLink == first.HostLink {
					t.Errorf("second namespace got the taken name %s", second.Name)
				}
				if second.HostAddr.Masked().Overlaps(first.HostAddr.Masked()) && sameDir {
					t.Errorf("subnets overlap: %s and %s", first.HostAddr, second.HostAddr)
				}
			}
			intact(t, first, recPath, rec)
		})
	}
}
