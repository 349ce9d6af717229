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
	err := serveConns(w, r, func(c net.Conn) error {
		buf := make([]byte, w.size)
		for {
			if err := readFull(c, buf); err != nil {
				if peerGone(err) {
					return nil
				}
				return fmt.Errorf("read request: %w", err)
			}
			in.Add(int64(len(buf)))
			if _, err := c.Write(buf); err != nil {
				if peerGone(err) {
					return nil
				}
				return fmt.Errorf("write response: %w", err)
			}
			out.Add(int64(len(buf)))
		}
	})
	r.BytesIn, r.BytesOut = in.Load(), out.Load()
	return err
}
