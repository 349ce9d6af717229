package main

import (
	"fmt"
	"net"
	"sync/atomic"
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
	if w.mode == modeBlocking && oneThread && w.conns > 1 {
		// A blocking read stops the only thread, so a goroutine per
		// connection would serve whichever connection it blocked on and
		// starve the rest. Every rr client waits for its answer before it
		// asks again, so one loop taking the connections in turn always
		// finds a request waiting: blocking I/O on one thread, served
		// fairly.
		err = roundRobin(w, r, func(c net.Conn) (bool, error) { return echo(c, buf) })
	} else {
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
