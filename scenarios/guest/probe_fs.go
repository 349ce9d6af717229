package main

import (
	"errors"
	"os"
	"syscall"
)

func init() {
	registerProbe("probe-read", probeRead)
	registerProbe("probe-openat", probeOpenat)
	registerProbe("probe-write", probeWrite)
}

// readCap bounds what a probe reads from one file (a busy host's
// /proc/net/tcp can be long).
const readCap = 4 << 20

// probe-read PATH: read a file by path and return its bytes.
func probeRead(e *probeEnv, r *probeReport) {
	if len(e.args) != 1 {
		r.fail(errors.New("usage: probe-read PATH"))
		return
	}
	f, err := os.Open(e.args[0])
	if err != nil {
		r.fail(err)
		return
	}
	defer f.Close()
	b, err := readLimited(f, readCap)
	r.Data = string(b)
	if err != nil {
		r.fail(err)
	}
}

// probe-openat DIR REL: open DIR, then REL relative to that directory
// descriptor with openat (following symlinks, as WASI's path_open does when
// asked to), and return the file's bytes. This asks the sandbox itself
// to resolve REL: Go's wasip1 os.Open would clean a path like
// DIR/../x lexically before the runtime ever saw it.
func probeOpenat(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-openat DIR REL"))
		return
	}
	d, err := os.Open(e.args[0])
	if err != nil {
		r.fail(err)
		return
	}
	defer d.Close()
	fd, err := syscall.Openat(int(d.Fd()), e.args[1], syscall.O_RDONLY, 0)
	if err != nil {
		r.fail(err)
		return
	}
	f := os.NewFile(uintptr(fd), e.args[1])
	defer f.Close()
	b, err := readLimited(f, readCap)
	r.Data = string(b)
	if err != nil {
		r.fail(err)
	}
}

// probe-write PATH CONTENT: create PATH holding CONTENT.
func probeWrite(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-write PATH CONTENT"))
		return
	}
	if err := os.WriteFile(e.args[0], []byte(e.args[1]), 0o644); err != nil {
		r.fail(err)
	}
}
