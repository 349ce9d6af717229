package main

import (
	"fmt"
	"net"
)

func init() { registerWorkload("idle", idle) }

// idle waits on an open connection with nothing to read until the driver
// sends one byte, answers it and waits for the close: the CPU a sandbox
// burns while its guest waits.
func idle(w *workload, r *repReport) error {
	w1 := *w
	w1.conns = 1
	return serveConns(&w1, r, func(c net.Conn) error {
		one := make([]byte, 1)
		if err := readFull(c, one); err != nil {
			return fmt.Errorf("wait for the wake-up byte: %w", err)
		}
		r.BytesIn++
		if _, err := c.Write(one); err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		r.BytesOut++
		for {
			if _, err := c.Read(one); err != nil {
				if peerGone(err) {
					return nil
				}
				return fmt.Errorf("wait for close: %w", err)
			}
		}
	})
}
