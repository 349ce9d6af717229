package main

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"
)

func init() { registerWorkload("rr", requestResponse) }

// requestResponse echoes w.size-byte requests on w.conns connections until
// the driver closes them: transactions per second and latency.
func requestResponse(w *workload, r *repReport) error {
	var in, out atomic.Int64
	buf := make([]byte, w.size)
	// echo answers one request on c; done means the peer has gone.
	echo := func(c net.Conn, buf []byte) (done bool, err error) {
		if err := readFull(c, buf); err != nil {
			if peerGone(err) {
				return true, nil
			}
			return true, fmt.Errorf("read request: %w", err)
		}
		in.Add(int64(len(buf)))
		if _, err := c.Write(buf); err != nil {
			if peerGone(err) {
				return true, nil
			}
			return true, fmt.Errorf("write response: %w", err)
		}
		out.Add(int64(len(buf)))
		return false, nil
	}
	var err error
	switch {
	case w.mode == modePoll:
		err = echoLoop(w, r, &in, &out)
	case w.mode == modeBlocking && oneThread && w.conns > 1:
		// A blocking read stops the only thread, so a goroutine per
		// connection would serve whichever connection it blocked on and
		// starve the rest. Every rr client waits for its answer before it
		// asks again, so one loop taking the connections in turn always
		// finds a request waiting: blocking I/O on one thread, served
		// fairly.
		err = roundRobin(w, r, func(c net.Conn) (bool, error) { return echo(c, buf) })
	default:
		err = serveConns(w, r, func(c net.Conn) error {
			buf := make([]byte, w.size)
			for {
				if done, err := echo(c, buf); done {
					return err
				}
			}
		})
	}
	r.BytesIn, r.BytesOut = in.Load(), out.Load()
	return err
}

// echoLoop is rr in poll mode: the event loop of a poll(2) server. One
// loop waits for requests on every connection at once, in one poll(2)
// natively and one poll_oneoff under wasip1, reads from each connection
// that is ready, and answers every request that is complete (the write
// waits for writability first, as every call of the poll mode does). The
// same loop on both sides: the difference is the wait, not goroutines.
func echoLoop(w *workload, r *repReport, in, out *atomic.Int64) error {
	conns, err := acceptAll(w)
	if err != nil {
		return err
	}
	r.Conns = int64(len(conns))
	type pending struct {
		c   net.Conn
		fd  int
		buf []byte
		got int
	}
	live := make([]*pending, 0, len(conns))
	for _, c := range conns {
		fc, ok := c.(*fdConn)
		if !ok {
			return fmt.Errorf("poll mode: connection %T has no descriptor", c)
		}
		live = append(live, &pending{c: c, fd: fc.fd, buf: make([]byte, w.size)})
	}
	fds, ready := make([]int, 0, len(live)), make([]bool, len(live))
	var first error
	end := func(p *pending, err error) {
		p.c.Close()
		if first == nil && err != nil && !peerGone(err) {
			first = err
		}
	}
	for len(live) > 0 {
		fds = fds[:0]
		for _, p := range live {
			fds = append(fds, p.fd)
		}
		if err := waitAnyRead(fds, w.pollTimeout, ready[:len(live)]); err != nil {
			for _, p := range live {
				p.c.Close()
			}
			return err
		}
		next := live[:0] // compacted in place: entry i is read before it is overwritten
		served := false
		for i, p := range live {
			if !ready[i] {
				next = append(next, p)
				continue
			}
			served = true
			counters.Reads.Add(1)
			n, err := syscall.Read(p.fd, p.buf[p.got:])
			countEAGAIN(err, true) // the wait said p was ready
			switch {
			case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EINTR):
				next = append(next, p)
				continue
			case err != nil:
				end(p, fmt.Errorf("read request: %w", err))
				continue
			case n == 0:
				end(p, nil) // the driver closed it
				continue
			}
			p.got += n
			in.Add(int64(n))
			if p.got == len(p.buf) {
				p.got = 0
				if _, err := p.c.Write(p.buf); err != nil {
					end(p, fmt.Errorf("write response: %w", err))
					continue
				}
				out.Add(int64(len(p.buf)))
			}
			next = append(next, p)
		}
		live = next
		if !served {
			runtime.Gosched() // the wait timed out
		}
	}
	return first
}
