package main

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nswasi/nswasi/scenarios/wire"
)

func init() {
	registerWorkload("stream-in", streamIn)
	registerWorkload("stream-out", streamOut)
}

// serveConns accepts w.conns connections, runs fn on each in its own
// goroutine and waits for all of them; the first error wins. Connections
// are all accepted before any is served: under wasip1 a blocking accept
// would otherwise stop the goroutines already serving.
func serveConns(w *workload, r *repReport, fn func(c net.Conn) error) error {
	conns, err := acceptAll(w)
	if err != nil {
		return err
	}
	r.Conns = int64(len(conns))
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			errs[i] = fn(c)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// roundRobin accepts w.conns connections and, in one goroutine, calls
// step on each in turn until step says its connection is done; the first
// error wins.
func roundRobin(w *workload, r *repReport, step func(c net.Conn) (done bool, err error)) error {
	conns, err := acceptAll(w)
	if err != nil {
		return err
	}
	r.Conns = int64(len(conns))
	var first error
	for len(conns) > 0 {
		live := conns[:0]
		for _, c := range conns {
			done, err := step(c)
			if first == nil {
				first = err
			}
			if done {
				c.Close()
				continue
			}
			live = append(live, c)
		}
		conns = live
	}
	return first
}

// acceptAll accepts w.conns connections, or none.
func acceptAll(w *workload) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, w.conns)
	for range w.conns {
		c, err := w.ln.accept()
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// streamIn reads each connection to EOF: driver → guest throughput.
func streamIn(w *workload, r *repReport) error {
	var total atomic.Int64
	err := serveConns(w, r, func(c net.Conn) error {
		buf := make([]byte, w.size)
		var off int64
		for {
			n, err := c.Read(buf)
			if n > 0 && w.verify {
				if err := wire.CheckPattern(buf[:n], off); err != nil {
					return err
				}
			}
			off += int64(n)
			total.Add(int64(n))
			if peerGone(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("read after %d bytes: %w", off, err)
			}
		}
	})
	r.BytesIn = total.Load()
	return err
}

// streamOut writes the pattern in w.size chunks for w.duration, then sends
// FIN and waits for the driver to close: guest → driver throughput.
func streamOut(w *workload, r *repReport) error {
	var total atomic.Int64
	pat := wire.PatternBuf(w.size)
	err := serveConns(w, r, func(c net.Conn) error {
		var off int64
		end := time.Now().Add(w.duration)
		for time.Now().Before(end) {
			n, err := c.Write(pat[off%wire.PatternPeriod:][:w.size])
			off += int64(n)
			total.Add(int64(n))
			if err != nil {
				return fmt.Errorf("write after %d bytes: %w", off, err)
			}
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			if err := cw.CloseWrite(); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
		}
		one := make([]byte, 1)
		for {
			if _, err := c.Read(one); err != nil {
				if peerGone(err) {
					return nil
				}
				return fmt.Errorf("wait for close: %w", err)
			}
		}
	})
	r.BytesOut = total.Load()
	return err
}
