package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/nswasi/nswasi/internal/usage"
)

// wasmMagic starts every WebAssembly binary module.
var wasmMagic = []byte("\x00asm")

// IsWasm reports whether the file at path starts like a WebAssembly module.
// A missing or unreadable file is a usage.InputError.
func IsWasm(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, usage.BadInput("artifact %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, usage.BadInput("artifact %s: %v", path, err)
	}
	if st.IsDir() {
		return false, usage.BadInput("artifact %s: is a directory", path)
	}
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && n == 0 {
		return false, usage.BadInput("artifact %s: empty file", path)
	}
	return bytes.Equal(head[:n], wasmMagic), nil
}

// Validate checks the parts of a Spec that do not depend on the runner.
func (s Spec) Validate() error {
	if s.Artifact == "" {
		return usage.BadInput("no artifact given")
	}
	for _, l := range s.Listen {
		if l.Host != "" {
			if _, err := netip.ParseAddr(l.Host); err != nil {
				return usage.BadInput("listen %s: host must be an IP address (names are never resolved)", l)
			}
		}
		if l.Port < 0 || l.Port > 65535 {
			return usage.BadInput("listen %s: port out of range", l)
		}
	}
	for _, d := range s.Dirs {
		st, err := os.Stat(d.HostPath)
		if err != nil {
			return usage.BadInput("dir %s: %v", d.HostPath, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return usage.BadInput("dir %s: not a directory", d.HostPath)
		}
	}
	if s.Timeout < 0 {
		return usage.BadInput("timeout %s: negative", s.Timeout)
	}
	return nil
}

// Abs returns s with its artifact and the host paths of its granted
// directories made absolute against nswasi's working directory, where a
// user typed them. Every sandbox process starts in "/" (so that it holds
// no directory of nswasi's open), where a relative path would name
// something else or nothing.
func (s Spec) Abs() (Spec, error) {
	if s.Artifact != "" {
		a, err := filepath.Abs(s.Artifact)
		if err != nil {
			return s, fmt.Errorf("artifact %s: %w", s.Artifact, err)
		}
		s.Artifact = a
	}
	dirs := make([]Dir, len(s.Dirs))
	for i, d := range s.Dirs {
		p, err := filepath.Abs(d.HostPath)
		if err != nil {
			return s, fmt.Errorf("dir %s: %w", d.HostPath, err)
		}
		d.HostPath = p
		dirs[i] = d
	}
	if s.Dirs != nil {
		s.Dirs = dirs
	}
	return s, nil
}
