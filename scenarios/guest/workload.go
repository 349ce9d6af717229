package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/nswasi/nswasi/scenarios/wire"
)

// The benchmark workloads share one shape. Granted one listener only, a
// workload serves standalone until stopped (see standalone). Granted two,
// as nswasi bench does, the first carries the workload's data, the second
// one control connection. Over the control connection the driver asks for one
// repetition at a time ("rep D\n", D its length); the guest serves that repetition on the
// data listener until the driver ends it, then answers with one JSON line
// of its counts. "quit\n" or EOF ends the guest. Control I/O happens only
// while the data plane is quiet and uses plain blocking calls, so it works
// the same in every runner and every mode — including under wasip1, where
// one blocking call stops every goroutine.

// workload is the configuration every workload gets, and its listener.
type workload struct {
	mode        string
	size        int
	conns       int
	duration    time.Duration
	pollTimeout time.Duration
	verify      bool
	ln          *modeListener
}

// repReport is the guest's answer to one "rep".
type repReport = wire.Report

// repFunc serves one repetition and fills the byte and connection counts.
type repFunc func(w *workload, r *repReport) error

func registerWorkload(name string, fn repFunc) {
	register(name, func(g grants, args []string) error { return runWorkload(g, name, args, fn) })
}

func runWorkload(g grants, name string, args []string, fn repFunc) error {
	w := &workload{}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&w.mode, "mode", modeBlocking, "I/O mode: blocking | nonblocking | poll | netpoll")
	fs.IntVar(&w.size, "size", 1024, "message or buffer size in bytes")
	fs.IntVar(&w.conns, "conns", 1, "connections per repetition")
	fs.DurationVar(&w.duration, "duration", time.Second, "how long the guest sends, where it decides (stream out)")
	fs.DurationVar(&w.pollTimeout, "poll-timeout", 10*time.Millisecond, "readiness-wait timeout in poll mode (negative: no bound)")
	fs.BoolVar(&w.verify, "verify", false, "check every received byte against the pattern")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if w.size < 1 || w.conns < 1 {
		return fmt.Errorf("-size and -conns must be positive")
	}
	if len(g.listenFDs) == 0 {
		return fmt.Errorf("workloads need a granted listener (data), and a second one for control when driven by nswasi bench")
	}
	var err error
	if w.ln, err = newModeListener(g.listenFDs[0], w.mode, w.pollTimeout); err != nil {
		return err
	}
	if len(g.listenFDs) == 1 {
		return standalone(w, fn)
	}
	ctl, err := acceptBlocking(g.listenFDs[1])
	if err != nil {
		return fmt.Errorf("control: %w", err)
	}
	defer closeFD(ctl)
	var line []byte
	one := make([]byte, 1)
	for {
		n, err := syscall.Read(ctl, one)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return nil // the driver is gone: nothing left to report to
		}
		if one[0] != '\n' {
			line = append(line, one[0])
			continue
		}
		cmd, arg, _ := strings.Cut(string(bytes.TrimSpace(line)), " ")
		line = line[:0]
		rep := *w
		switch cmd {
		case "quit":
			return nil
		case "rep":
			// "rep D": this repetition lasts D where the guest decides
			// (stream out); the warm-up is shorter than the others.
			if arg != "" {
				d, err := time.ParseDuration(arg)
				if err != nil || d <= 0 {
					return fmt.Errorf("control: rep %q: want a positive duration", arg)
				}
				rep.duration = d
			}
		default:
			return fmt.Errorf("control: unknown command %q", cmd)
		}
		counters.reset()
		var r repReport
		if err := fn(&rep, &r); err != nil {
			r.Error = err.Error()
		}
		if werr := waitFailure.Load(); werr != nil && r.Error == "" {
			r.Error = "readiness wait failed: " + (*werr).Error()
		}
		counters.fill(&r)
		b, _ := json.Marshal(r)
		if err := writeAllFD(ctl, append(b, '\n')); err != nil {
			return fmt.Errorf("control: %w", err)
		}
	}
}

// standalone serves repetitions back to back, with no control
// connection, until the guest is stopped: any client can drive it (wrk or
// curl for http, a ping-pong client for rr, a TCP sink or source for
// stream). Each repetition's counts go to stdout as one JSON line; a
// failed repetition is reported there too and does not end the guest, so
// that one misbehaving client does not stop the service.
func standalone(w *workload, fn repFunc) error {
	for {
		counters.reset()
		var r repReport
		err := fn(w, &r)
		if err != nil && r.Conns == 0 {
			return err // the listener itself failed: serving on would spin
		}
		if err != nil {
			r.Error = err.Error()
		}
		counters.fill(&r)
		b, _ := json.Marshal(r)
		if err := writeAllFD(1, append(b, '\n')); err != nil {
			return fmt.Errorf("stdout: %w", err)
		}
	}
}

func acceptBlocking(fd int) (int, error) {
	for {
		c, _, err := syscall.Accept(fd)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.ECONNABORTED) {
			continue
		}
		return c, err
	}
}

func writeAllFD(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := syscall.Write(fd, p)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// readFull reads exactly len(p) bytes; io.EOF only if none came.
func readFull(r io.Reader, p []byte) error {
	_, err := io.ReadFull(r, p)
	return err
}
