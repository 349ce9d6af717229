package runners

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/nswasi/nswasi/sandbox"
)

// EchoCheck is the outcome of CheckEcho.
type EchoCheck struct {
	Runner string
	Addr   netip.AddrPort
	Bytes  int           // bytes sent, and received back identical
	Start  time.Duration // from Start to a listener accepting
	RTT    time.Duration // first byte out to last byte back
	Result sandbox.Result
	Err    error
}

// CheckEcho starts artifact's echo scenario under r, sends size random
// bytes to the granted listener from outside and checks that exactly those
// bytes come back, then stops the guest.
func CheckEcho(ctx context.Context, r sandbox.Runner, artifact string, size int) (c EchoCheck) {
	c.Runner = r.Name()
	t0 := time.Now()
	g, err := r.Start(ctx, sandbox.Spec{
		Artifact: artifact,
		Args:     []string{"echo"},
		Listen:   []sandbox.Listen{{Port: 0}},
		Timeout:  time.Minute,
	})
	if err != nil {
		c.Err = err
		return c
	}
	c.Start = time.Since(t0)
	defer func() {
		c.Result = g.Stop()
		if c.Err == nil && c.Result.Err != nil {
			c.Err = c.Result.Err
		}
	}()
	c.Addr = g.Addrs()[0]
	payload := make([]byte, size)
	_, _ = rand.Read(payload)
	got, rtt, err := roundTrip(ctx, c.Addr, payload)
	c.RTT = rtt
	if err != nil {
		c.Err = err
		return c
	}
	if !bytes.Equal(got, payload) {
		c.Err = fmt.Errorf("echo differs: sent %d bytes, got %d back", len(payload), len(got))
		return c
	}
	c.Bytes = len(got)
	return c
}

// roundTrip sends payload on a fresh connection, half-closes, and reads
// until the peer closes.
func roundTrip(ctx context.Context, addr netip.AddrPort, payload []byte) ([]byte, time.Duration, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	t0 := time.Now()
	werr := make(chan error, 1)
	go func() {
		_, err := conn.Write(payload)
		if err == nil {
			err = conn.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(conn)
	rtt := time.Since(t0)
	if err2 := <-werr; err == nil {
		err = err2
	}
	return got, rtt, err
}
