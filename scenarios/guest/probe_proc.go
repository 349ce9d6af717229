package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	registerProbe("probe-env", probeEnvVar)
	registerProbe("probe-fds", probeFDs)
	registerProbe("probe-exec", probeExec)
	registerProbe("probe-alloc", probeAlloc)
	register("probe-marker", probeMarker)
}

// probe-env NAME: read NAME from the guest's environment, and from every
// process's /proc/PID/environ (where the harness's own variables are,
// for whoever may read them). Only the values of NAME are returned.
func probeEnvVar(e *probeEnv, r *probeReport) {
	if len(e.args) != 1 {
		r.fail(errors.New("usage: probe-env NAME"))
		return
	}
	name := e.args[0]
	var found []string
	if v, ok := os.LookupEnv(name); ok {
		found = append(found, "getenv: "+v)
	} else {
		r.note("getenv: not set")
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		r.note("/proc: %v", err)
	}
	readable, refused := 0, 0
	for _, d := range ents {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + d.Name() + "/environ")
		if err != nil {
			refused++
			continue
		}
		readable++
		for _, kv := range bytes.Split(b, []byte{0}) {
			if v, ok := bytes.CutPrefix(kv, []byte(name+"=")); ok {
				found = append(found, fmt.Sprintf("/proc/%s/environ: %s", d.Name(), v))
			}
		}
	}
	if len(ents) > 0 {
		r.note("/proc/PID/environ: %d readable, %d refused", readable, refused)
	}
	r.Data = strings.Join(found, "\n")
	if len(found) == 0 {
		r.fail(errors.New("not found"))
	}
}

// probe-fds FROM TO: look at every descriptor from FROM to TO that was not
// granted and read, from offset 0, what the regular files among them hold.
func probeFDs(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-fds FROM TO"))
		return
	}
	from, err1 := strconv.Atoi(e.args[0])
	to, err2 := strconv.Atoi(e.args[1])
	if err1 != nil || err2 != nil || from < 0 || to < from {
		r.fail(fmt.Errorf("bad range %q..%q", e.args[0], e.args[1]))
		return
	}
	granted := map[int]bool{e.ctl: true}
	for _, fd := range e.g.listenFDs {
		granted[fd] = true
	}
	var data []string
	for fd := from; fd <= to; fd++ {
		if granted[fd] {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil {
			continue // EBADF: nothing there
		}
		kind := fileKind(uint32(st.Mode))
		if kind != "regular file" {
			// Reading a pipe or socket could block, or take bytes from
			// whoever shares it; its presence is the evidence.
			r.note("fd %d: %s", fd, kind)
			continue
		}
		b := make([]byte, 4096)
		n, err := syscall.Pread(fd, b, 0)
		if err != nil {
			r.note("fd %d: regular file, pread: %v", fd, err)
			continue
		}
		r.note("fd %d: regular file, read %d bytes", fd, n)
		data = append(data, string(b[:n]))
	}
	r.Data = strings.Join(data, "\n")
	if len(r.Notes) == 0 {
		r.fail(errors.New("no ungranted descriptor open"))
	}
}

func fileKind(mode uint32) string {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return "regular file"
	case syscall.S_IFDIR:
		return "directory"
	case syscall.S_IFSOCK:
		return "socket"
	case syscall.S_IFIFO:
		return "pipe"
	case syscall.S_IFCHR:
		return "character device"
	}
	return fmt.Sprintf("mode %#o", mode&syscall.S_IFMT)
}

// probe-exec PATH NONCE: start a copy of this program as a child that
// writes NONCE to PATH (probe-marker). The guest itself never touches PATH.
func probeExec(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-exec PATH NONCE"))
		return
	}
	self, err := os.Executable()
	if err != nil {
		r.note("os.Executable: %v; trying /proc/self/exe", err)
		self = "/proc/self/exe"
	}
	cmd := exec.Command(self, "probe-marker", e.args[0], e.args[1])
	out, err := cmd.CombinedOutput()
	if len(out) > 0 {
		r.note("child output: %s", bytes.TrimSpace(out))
	}
	if err != nil {
		r.fail(err)
	}
}

// probe-marker PATH NONCE: the child of probe-exec.
func probeMarker(_ grants, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: probe-marker PATH NONCE")
	}
	return os.WriteFile(args[0], []byte(args[1]), 0o644)
}

// probe-alloc BYTES: allocate BYTES in 8 MiB pieces and touch every page,
// saying on stderr how far it got (a refused allocation kills a Go program
// before it can report).
func probeAlloc(e *probeEnv, r *probeReport) {
	if len(e.args) != 1 {
		r.fail(errors.New("usage: probe-alloc BYTES"))
		return
	}
	total, err := strconv.ParseInt(e.args[0], 10, 64)
	if err != nil || total <= 0 {
		r.fail(fmt.Errorf("bad size %q", e.args[0]))
		return
	}
	const piece = 8 << 20
	var keep [][]byte
	var got int64
	for got < total {
		b := make([]byte, piece)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
		got += piece
		if got%(64<<20) == 0 {
			fmt.Fprintf(os.Stderr, "probe-alloc: %d MiB allocated and touched\n", got>>20)
		}
	}
	r.Data = strconv.FormatInt(got, 10)
	r.note("allocated and touched %d MiB in %d pieces", got>>20, len(keep))
	time.Sleep(10 * time.Millisecond)
}
