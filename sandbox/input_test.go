package sandbox

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSpecAbs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	in := Spec{Artifact: "bin/guest", Dirs: []Dir{{HostPath: "data", GuestPath: "/data"}, {HostPath: "/srv", GuestPath: "/srv"}}}
	out, err := in.Abs()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(wd, "bin/guest"); out.Artifact != want {
		t.Errorf("artifact %q, want %q", out.Artifact, want)
	}
	if want := filepath.Join(wd, "data"); out.Dirs[0].HostPath != want || out.Dirs[0].GuestPath != "/data" {
		t.Errorf("dir %+v, want host path %q, guest path unchanged", out.Dirs[0], want)
	}
	if out.Dirs[1].HostPath != "/srv" {
		t.Errorf("absolute dir changed to %q", out.Dirs[1].HostPath)
	}
	if in.Dirs[0].HostPath != "data" {
		t.Errorf("Abs changed its receiver's Dirs: %q", in.Dirs[0].HostPath)
	}
}

// FreePort names a loopback port that can be listened on right after.
func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil || p <= 0 || p > 65535 {
		t.Fatalf("FreePort() = %d, %v", p, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
	if err != nil {
		t.Fatalf("port %d from FreePort is not free: %v", p, err)
	}
	ln.Close()
}
