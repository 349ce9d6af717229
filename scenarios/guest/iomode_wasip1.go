package main

import (
	"encoding/binary"
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// poll_oneoff is imported directly rather than through the Go runtime, so
// that the poll mode measures exactly one host call per readiness wait.
//
//go:wasmimport wasi_snapshot_preview1 poll_oneoff
//go:noescape
func pollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

// WASI preview 1 event types and clock ids.
const (
	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2
	clockMono    = 1
)

// waitFD waits with poll_oneoff until fd is readable (or writable) or the
// timeout passes. WASI has no timeout argument: the timeout is a second,
// clock subscription. A negative timeout sends the fd subscription alone.
// It reports whether an fd event came back without an error; an fd event
// carrying an error (wazero answers ENOTSUP for fd_write) is an error.
func waitFD(fd int, write bool, timeout time.Duration) (bool, error) {
	var subs [2 * 48]byte
	var evts [2 * 32]byte
	le := binary.LittleEndian
	le.PutUint64(subs[0:], 1) // userdata 1: the fd
	subs[8] = eventFdRead
	if write {
		subs[8] = eventFdWrite
	}
	le.PutUint32(subs[16:], uint32(fd))
	n := uint32(1)
	if timeout >= 0 {
		c := subs[48:]
		le.PutUint64(c[0:], 2) // userdata 2: the clock
		c[8] = eventClock
		le.PutUint32(c[16:], clockMono)
		le.PutUint64(c[24:], uint64(timeout.Nanoseconds()))
		le.PutUint64(c[32:], 1000) // precision 1 µs
		n = 2
	}
	var nevents uint32
	if errno := pollOneoff(unsafe.Pointer(&subs[0]), unsafe.Pointer(&evts[0]), n, unsafe.Pointer(&nevents)); errno != 0 {
		return false, fmt.Errorf("poll_oneoff: %w", syscall.Errno(errno))
	}
	ready := false
	for i := uint32(0); i < nevents && i < 2; i++ {
		e := evts[i*32:]
		if le.Uint64(e[0:]) != 1 {
			continue
		}
		if errno := le.Uint16(e[8:]); errno != 0 {
			what := "fd_read"
			if e[10] == eventFdWrite {
				what = "fd_write"
			}
			return false, fmt.Errorf("poll_oneoff %s subscription on fd %d: %w", what, fd, syscall.Errno(errno))
		}
		ready = true
	}
	return ready, nil
}
