package cli

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
)

// The flag parsers take whatever a user types. Invariants: they never
// panic; every refusal is an InputError (one line, exit 2 in the CLI); and
// what they accept is valid and survives a round trip.

func FuzzParseListen(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseListen.
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseListen(s)
		if err != nil {
			if !usage.IsBadInput(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseListen(%q): %v is not a one-line InputError", s, err)
			}
			return
		}
		if l.Port < 0 || l.Port > 65535 {
			t.Fatalf("ParseListen(%q): port %d out of range", s, l.Port)
		}
		host := l.Host
		if host != "" {
			a, err := netip.ParseAddr(host)
			if err != nil || a.Zone() != "" {
				t.Fatalf("ParseListen(%q): host %q is not a plain IP address", s, host)
			}
			if a.Is6() && !a.Is4In6() || strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
		}
		if err := (sandbox.Spec{Artifact: "x", Listen: []sandbox.Listen{l}}).Validate(); err != nil {
			t.Fatalf("ParseListen(%q) accepted %+v, which Validate refuses: %v", s, l, err)
		}
		again, err := ParseListen(host + ":" + strconv.Itoa(l.Port))
		if err != nil || again != l {
			t.Fatalf("ParseListen(%q) = %+v does not round-trip: %+v, %v", s, l, again, err)
		}
	})
}

func FuzzParseDir(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseDir.
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDir(s)
		if err != nil {
			if !usage.IsBadInput(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseDir(%q): %v is not a one-line InputError", s, err)
			}
			return
		}
		if d.HostPath == "" || d.GuestPath == "" || strings.ContainsAny(d.HostPath+d.GuestPath, ":\x00") {
			t.Fatalf("ParseDir(%q) accepted %+v", s, d)
		}
		back := d.HostPath + ":" + d.GuestPath
		if d.ReadOnly {
			back += ":ro"
		}
		again, err := ParseDir(back)
		if err != nil || again != d {
			t.Fatalf("ParseDir(%q) = %+v does not round-trip through %q: %+v, %v", s, d, back, again, err)
		}
	})
}

func FuzzParseEnv(f *testing.F) {
	// Seeds: testdata/fuzz/FuzzParseEnv.
	f.Fuzz(func(t *testing.T, s string) {
		kv, err := ParseEnv(s)
		if err != nil {
			if !usage.IsBadInput(err) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseEnv(%q): %v is not a one-line InputError", s, err)
			}
			return
		}
		k, _, ok := strings.Cut(kv, "=")
		if kv != s || !ok || k == "" || strings.ContainsRune(kv, 0) {
			t.Fatalf("ParseEnv(%q) accepted %q", s, kv)
		}
	})
}
