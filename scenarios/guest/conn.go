package main

import (
	"fmt"
	"io"
)

func init() { registerWorkload("conn", connChurn) }

// connEnd starts the request that ends a conn repetition.
const connEnd = 'q'

// connChurn accepts connections one after another, answers each one
// w.size-byte request with the same bytes and closes it: connections per
// second, dominated by accept and close. A request starting with connEnd
// ends the repetition.
func connChurn(w *workload, r *repReport) error {
	buf := make([]byte, w.size)
	for {
		c, err := w.ln.accept()
		if err != nil {
			return err
		}
		err = readFull(c, buf)
		if err == nil {
			r.BytesIn += int64(len(buf))
			if buf[0] == connEnd {
				c.Close()
				return nil
			}
			_, err = c.Write(buf)
			r.BytesOut += int64(len(buf))
		}
		c.Close()
		r.Conns++
		if err != nil && !peerGone(err) && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("connection %d: %w", r.Conns, err)
		}
	}
}
