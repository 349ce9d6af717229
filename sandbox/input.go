package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
)

// InputError marks a failure caused by what the user asked for (a missing
// artifact, a malformed grant, a port in use) rather than by nswasi or the
// machine. The CLI reports it in one line and exits with status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// BadInput returns an InputError with a formatted message.
func BadInput(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsBadInput reports whether err is, or wraps, an InputError.
func IsBadInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// wasmMagic starts every WebAssembly binary module.
var wasmMagic = []byte("\x00asm")

// IsWasm reports whether the file at path starts like a WebAssembly module.
// A missing or unreadable file is an InputError.
func IsWasm(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, BadInput("artifact %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, BadInput("artifact %s: %v", path, err)
	}
	if st.IsDir() {
		return false, BadInput("artifact %s: is a directory", path)
	}
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && n == 0 {
		return false, BadInput("artifact %s: empty file", path)
	}
	return bytes.Equal(head[:n], wasmMagic), nil
}

// Validate checks the parts of a Spec that do not depend on the runner.
func (s Spec) Validate() error {
	if s.Artifact == "" {
		return BadInput("no artifact given")
	}
	for _, l := range s.Listen {
		if l.Host != "" {
			if _, err := netip.ParseAddr(l.Host); err != nil {
				return BadInput("listen %s: host must be an IP address (names are never resolved)", l)
			}
		}
		if l.Port < 0 || l.Port > 65535 {
			return BadInput("listen %s: port out of range", l)
		}
	}
	for _, d := range s.Dirs {
		st, err := os.Stat(d.HostPath)
		if err != nil {
			return BadInput("dir %s: %v", d.HostPath, errors.Unwrap(err))
		}
		if !st.IsDir() {
			return BadInput("dir %s: not a directory", d.HostPath)
		}
	}
	if s.Timeout < 0 {
		return BadInput("timeout %s: negative", s.Timeout)
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
