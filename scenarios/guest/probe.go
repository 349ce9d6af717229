package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// A probe tries one thing the sandbox may or may not allow, and says what
// happened. Its word is evidence only: the harness decides the verdict from
// outside (see the isolation package).
//
// Every probe runs over a control connection on the first granted
// listener: the guest accepts one connection, reads one JSON line
// {"nonce": N, "args": [...]}, tries the probe, writes one JSON line with
// its report (echoing N), and waits for the harness to close the
// connection before it exits. The arguments come over the connection rather
// than argv because some of them (the canary on the host side of the
// guest's own veth) exist only once the sandbox does.

// probeRequest is what the harness sends.
type probeRequest struct {
	Nonce string   `json:"nonce"`
	Args  []string `json:"args"`
}

// probeReport is what the guest answers: its own claim, kept as evidence.
type probeReport struct {
	Nonce string   `json:"nonce"`
	OK    bool     `json:"ok"`
	Error string   `json:"error,omitempty"`
	Data  string   `json:"data,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

func (r *probeReport) fail(err error) {
	r.OK = false
	if r.Error == "" {
		r.Error = err.Error()
	} else {
		r.Error += "; " + err.Error()
	}
}

func (r *probeReport) note(format string, a ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, a...))
}

// probeEnv is what a probe gets besides its arguments.
type probeEnv struct {
	g    grants
	ctl  int // the accepted control connection
	args []string
}

type probeFunc func(e *probeEnv, r *probeReport)

func registerProbe(name string, fn probeFunc) {
	register(name, func(g grants, _ []string) error { return runProbe(g, fn, nil) })
}

func registerServingProbe(name string, fn probeFunc, serve func(e *probeEnv)) {
	register(name, func(g grants, _ []string) error { return runProbe(g, fn, serve) })
}

func runProbe(g grants, fn probeFunc, serve func(e *probeEnv)) error {
	lfd, err := g.listener()
	if err != nil {
		return err
	}
	ctl, err := acceptRetry(lfd)
	if err != nil {
		return fmt.Errorf("accept control connection: %w", err)
	}
	line, err := readLine(ctl, 1<<20)
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	var req probeRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	e := &probeEnv{g: g, ctl: ctl, args: req.Args}
	r := &probeReport{Nonce: req.Nonce, OK: true}
	fn(e, r)
	b, _ := json.Marshal(r)
	if err := writeAll(ctl, append(b, '\n')); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if serve != nil {
		serve(e)
	} else {
		waitEOF(ctl)
	}
	closeFD(ctl)
	return nil
}

func acceptRetry(fd int) (int, error) {
	for {
		c, _, err := syscall.Accept(fd)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.ECONNABORTED) {
			continue
		}
		return c, err
	}
}

func readLine(fd int, max int) ([]byte, error) {
	var buf []byte
	b := make([]byte, 4096)
	for len(buf) < max {
		n, err := syscall.Read(fd, b)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		buf = append(buf, b[:n]...)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			return buf[:i], nil
		}
	}
	return nil, errors.New("request line too long")
}

func writeAll(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// waitEOF blocks until the harness closes the control connection.
func waitEOF(fd int) {
	b := make([]byte, 512)
	for {
		n, err := syscall.Read(fd, b)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return
		}
	}
}

// ctlClosed polls a non-blocking control connection for the harness's close.
func ctlClosed(fd int) bool {
	b := make([]byte, 512)
	n, err := syscall.Read(fd, b)
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return false
	}
	return err != nil || n == 0
}

// readLimited reads at most max bytes of r.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, max))
}

// deadline bounds every network wait of a probe, so that a probe into a
// black hole costs at most this much.
const probeWait = 1500 * time.Millisecond

// probe-accept does nothing beyond the control exchange: the positive
// control that the granted listener works.
func init() { registerProbe("probe-accept", func(*probeEnv, *probeReport) {}) }
