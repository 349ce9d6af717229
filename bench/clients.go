package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/nswasi/nswasi/scenarios/wire"
	"golang.org/x/sys/unix"
)

// grace is how long the driver waits past a repetition's end for answers
// still in flight before it calls the guest stuck.
const grace = 1500 * time.Millisecond

// drainGrace is how long the stream-in driver waits, after its last
// byte, for the guest to read what is buffered and close.
const drainGrace = 10 * time.Second

// clientResult is what the driver saw in one repetition.
type clientResult struct {
	Sent, Received int64         // payload bytes
	Ops            int64         // transactions, connections or requests completed
	Unanswered     int64         // requests still unanswered when the driver gave up
	Elapsed        time.Duration // from the first dial to the last answer
	Hist           *hdrhistogram.Histogram
	// idle only: the sandbox's CPU over the idle window, and its length
	IdleCPU, IdleWindow time.Duration
}

func newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute), 3)
}

func dial(ctx context.Context, addr netip.AddrPort) (*net.TCPConn, error) {
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// dialAll opens n connections, all before any is used: the guest accepts
// them all before it serves any.
func dialAll(ctx context.Context, addr netip.AddrPort, n int, deadline time.Time) ([]*net.TCPConn, error) {
	var conns []*net.TCPConn
	for range n {
		c, err := dial(ctx, addr)
		if err != nil {
			closeAll(conns)
			return nil, err
		}
		_ = c.SetDeadline(deadline)
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*net.TCPConn) {
	for _, c := range conns {
		c.Close()
	}
}

// parallel runs fn for each connection and joins the errors.
func parallel(conns []*net.TCPConn, fn func(i int, c *net.TCPConn) error) error {
	return clients(len(conns), func(i int) error { return fn(i, conns[i]) })
}

// clients runs fn for clients 0 to n-1 at once and joins the errors.
func clients(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tally is one client's share of a repetition, counted apart from the
// others so that the hot loop takes no lock.
type tally struct {
	hist                        *hdrhistogram.Histogram
	ops, sent, recv, unanswered int64
}

// record counts one completed operation that took since t0.
func (t *tally) record(t0 time.Time) {
	_ = t.hist.RecordValue(int64(time.Since(t0)))
	t.ops++
}

// timedClients runs fn for n clients at once, each with its own tally,
// and adds every tally to r as its client ends (error or not), so that
// what finished before an error still counts.
func (r *clientResult) timedClients(n int, fn func(i int, t *tally) error) error {
	var mu sync.Mutex
	return clients(n, func(i int) error {
		t := &tally{hist: newHist()}
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			r.Hist.Merge(t.hist)
			r.Ops += t.ops
			r.Sent += t.sent
			r.Received += t.recv
			r.Unanswered += t.unanswered
		}()
		return fn(i, t)
	})
}

// streamIn sends the pattern in size chunks for d on each connection,
// then FIN, and waits for the guest to close: the guest has read it all.
func streamIn(ctx context.Context, addr netip.AddrPort, size, conns int, d time.Duration) (clientResult, error) {
	var r clientResult
	start := time.Now()
	end := start.Add(d)
	cs, err := dialAll(ctx, addr, conns, end.Add(grace))
	if err != nil {
		return r, err
	}
	defer closeAll(cs)
	pat := wire.PatternBuf(size)
	var sent atomic.Int64
	err = parallel(cs, func(_ int, c *net.TCPConn) error {
		var off int64
		for time.Now().Before(end) && ctx.Err() == nil {
			n, err := c.Write(pat[off%wire.PatternPeriod:][:size])
			off += int64(n)
			if err != nil {
				sent.Add(off)
				return fmt.Errorf("send: %w", err)
			}
		}
		sent.Add(off)
		if err := c.CloseWrite(); err != nil {
			return err
		}
		// The guest still reads what the socket buffers hold, megabytes:
		// at 64 B a read under a traced WASI host that took longer than
		// grace. The drain counts in the elapsed time, so a longer wait
		// cannot flatter the rate.
		_ = c.SetReadDeadline(time.Now().Add(drainGrace))
		if _, err := io.Copy(io.Discard, c); err != nil {
			return fmt.Errorf("wait for the guest to close: %w", err)
		}
		return nil
	})
	r.Elapsed = time.Since(start)
	r.Sent = sent.Load()
	r.Ops = r.Sent / int64(size)
	return r, err
}

// streamOut reads each connection to EOF, checking the pattern if verify.
func streamOut(ctx context.Context, addr netip.AddrPort, size, conns int, d time.Duration, verify bool) (clientResult, error) {
	var r clientResult
	start := time.Now()
	cs, err := dialAll(ctx, addr, conns, start.Add(d+grace))
	if err != nil {
		return r, err
	}
	defer closeAll(cs)
	var recv atomic.Int64
	err = parallel(cs, func(_ int, c *net.TCPConn) error {
		buf := make([]byte, 256<<10)
		var off int64
		defer func() { recv.Add(off) }()
		for {
			n, err := c.Read(buf)
			if verify && n > 0 {
				if err := wire.CheckPattern(buf[:n], off); err != nil {
					return err
				}
			}
			off += int64(n)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("receive after %d bytes: %w", off, err)
			}
		}
	})
	r.Elapsed = time.Since(start)
	r.Received = recv.Load()
	r.Ops = r.Received / int64(size)
	return r, err
}

// requestResponse sends size-byte requests, one at a time per connection,
// for d, and checks that each answer is the request echoed.
func requestResponse(ctx context.Context, addr netip.AddrPort, size, conns int, d time.Duration) (clientResult, error) {
	r := clientResult{Hist: newHist()}
	start := time.Now()
	end := start.Add(d)
	cs, err := dialAll(ctx, addr, conns, end.Add(grace))
	if err != nil {
		return r, err
	}
	defer closeAll(cs)
	err = r.timedClients(len(cs), func(i int, t *tally) error {
		c := cs[i]
		req := wire.PatternBuf(size)[i%wire.PatternPeriod:][:size]
		resp := make([]byte, size)
		// The exchange runs on a blocking socket on its own thread, as
		// sockperf's does, not through Go's netpoller: otherwise every
		// answer costs the driver an EAGAIN, an epoll wait and a goroutine
		// wake-up, and the round trip measured is partly the driver's.
		bc, err := blockingConn(c, grace)
		if err != nil {
			return err
		}
		defer bc.Close()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for time.Now().Before(end) && ctx.Err() == nil {
			t0 := time.Now()
			if _, err := bc.Write(req); err != nil {
				return fmt.Errorf("request %d: %w", t.ops+1, err)
			}
			t.sent += int64(size)
			if _, err := io.ReadFull(bc, resp); err != nil {
				t.unanswered++
				return fmt.Errorf("answer to request %d: %w", t.ops+1, err)
			}
			_ = t.hist.RecordValue(int64(time.Since(t0)))
			t.recv += int64(size)
			if !bytes.Equal(resp, req) {
				return fmt.Errorf("answer to request %d differs from the request", t.ops+1)
			}
			t.ops++
		}
		// FIN at once: under wasip1 a guest blocked on this connection
		// stops every other one until it sees EOF.
		return c.CloseWrite()
	})
	r.Elapsed = time.Since(start)
	return r, err
}

// rawConn reads and writes a socket with plain blocking system calls.
type rawConn struct{ fd int }

// blockingConn returns a blocking descriptor of c's socket with receive
// and send timeouts of timeout (where c's deadline would apply). The
// descriptor is a duplicate: c stays open, but it shares the (now
// blocking) file status, so c must not be read or written any more
// except for CloseWrite.
func blockingConn(c *net.TCPConn, timeout time.Duration) (*rawConn, error) {
	sc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var serr error
	if err := sc.Control(func(f uintptr) {
		if fd, serr = unix.Dup(int(f)); serr != nil {
			return
		}
		unix.CloseOnExec(fd)
		if serr = unix.SetNonblock(fd, false); serr != nil {
			return
		}
		tv := unix.NsecToTimeval(timeout.Nanoseconds())
		serr = errors.Join(unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv),
			unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv))
	}); err != nil {
		serr = err
	}
	if serr != nil {
		if fd >= 0 {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("blocking socket: %w", serr)
	}
	return &rawConn{fd}, nil
}

func (c *rawConn) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(c.fd, p)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *rawConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Write(c.fd, p[done:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

func (c *rawConn) Close() error { return unix.Close(c.fd) }

// connChurn opens connections, each with one size-byte exchange, from
// conns clients for d; then one more that ends the repetition.
func connChurn(ctx context.Context, addr netip.AddrPort, size, conns int, d time.Duration) (clientResult, error) {
	r := clientResult{Hist: newHist()}
	start := time.Now()
	end := start.Add(d)
	err := r.timedClients(conns, func(_ int, t *tally) error {
		req := wire.PatternBuf(size)[:size]
		req[0] = 'c'
		resp := make([]byte, size)
		for time.Now().Before(end) && ctx.Err() == nil {
			t0 := time.Now()
			c, err := dial(ctx, addr)
			if err != nil {
				return fmt.Errorf("connection %d: %w", t.ops+1, err)
			}
			_ = c.SetDeadline(end.Add(grace))
			_, err = c.Write(req)
			if err == nil {
				_, err = io.ReadFull(c, resp)
			}
			if err == nil && !bytes.Equal(resp, req) {
				err = errors.New("answer differs from the request")
			}
			if err == nil {
				_, err = io.Copy(io.Discard, c) // the guest closes
			}
			c.Close()
			if err != nil {
				return fmt.Errorf("connection %d: %w", t.ops+1, err)
			}
			t.record(t0)
			t.sent += int64(size)
			t.recv += int64(size)
		}
		return nil
	})
	r.Elapsed = time.Since(start)
	// The end marker goes even after an error, so that the guest answers.
	c, derr := dial(ctx, addr)
	if derr != nil {
		return r, errors.Join(err, fmt.Errorf("end marker: %w", derr))
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(grace))
	marker := make([]byte, size)
	marker[0] = 'q'
	if _, werr := c.Write(marker); werr != nil {
		err = errors.Join(err, fmt.Errorf("end marker: %w", werr))
	}
	return r, err
}

// idleSettle is how long idle lets the guest take its connection and
// start waiting before the CPU is read: the accept and the repetition's
// set-up are not idleness.
const idleSettle = 50 * time.Millisecond

// idle holds one connection open with nothing to send for d, then
// exchanges one byte. cpu, when set, is read when the guest has had
// idleSettle (or a quarter of d, if less) to start waiting and again just
// before the wake-up byte: r.IdleCPU and r.IdleWindow are the CPU spent
// and the time between those readings, so that the figure is what waiting
// costs, not the repetition's fixed start and end.
func idle(ctx context.Context, addr netip.AddrPort, d time.Duration, cpu func() (time.Duration, error)) (clientResult, error) {
	var r clientResult
	start := time.Now()
	c, err := dial(ctx, addr)
	if err != nil {
		return r, err
	}
	defer c.Close()
	sleep := func(until time.Time) error {
		select {
		case <-time.After(time.Until(until)):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var cpu0 time.Duration
	var t0 time.Time
	if cpu != nil {
		if err := sleep(start.Add(min(idleSettle, d/4))); err != nil {
			return r, err
		}
		if cpu0, err = cpu(); err != nil {
			return r, fmt.Errorf("idle CPU: %w", err)
		}
		t0 = time.Now()
	}
	if err := sleep(start.Add(d)); err != nil {
		return r, err
	}
	if cpu != nil {
		cpu1, err := cpu()
		if err != nil {
			return r, fmt.Errorf("idle CPU: %w", err)
		}
		r.IdleCPU, r.IdleWindow = cpu1-cpu0, time.Since(t0)
	}
	_ = c.SetDeadline(time.Now().Add(grace))
	one := []byte{'!'}
	if _, err := c.Write(one); err != nil {
		return r, fmt.Errorf("wake-up byte: %w", err)
	}
	if _, err := io.ReadFull(c, one); err != nil {
		return r, fmt.Errorf("answer to the wake-up byte: %w", err)
	}
	r.Elapsed = time.Since(start)
	r.Sent, r.Received, r.Ops = 1, 1, 1
	return r, nil
}

// httpLoad sends GET / from conns keep-alive clients for d and checks each
// body's length (and content, if verify); then ends the repetition.
func httpLoad(ctx context.Context, addr netip.AddrPort, size, conns int, d time.Duration, verify bool) (clientResult, error) {
	r := clientResult{Hist: newHist()}
	url := "http://" + addr.String() + "/"
	want := wire.PatternBuf(size)[:size]
	start := time.Now()
	end := start.Add(d)
	err := r.timedClients(conns, func(_ int, t *tally) error {
		// One transport, so one keep-alive connection, per client: it
		// is closed as soon as this client is done, since under wasip1
		// a guest blocked on it stops every other connection.
		tr := &http.Transport{
			MaxConnsPerHost:    1,
			DisableCompression: true,
			Proxy:              nil, // never a proxy from the environment
		}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: d + grace}
		for time.Now().Before(end) && ctx.Err() == nil {
			t0 := time.Now()
			resp, err := client.Get(url)
			if err != nil {
				return fmt.Errorf("request %d: %w", t.ops+1, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case err != nil:
				return fmt.Errorf("body %d: %w", t.ops+1, err)
			case resp.StatusCode != http.StatusOK:
				return fmt.Errorf("request %d: %s", t.ops+1, resp.Status)
			case len(body) != size:
				return fmt.Errorf("body %d: %d bytes, want %d", t.ops+1, len(body), size)
			case verify && !bytes.Equal(body, want):
				return fmt.Errorf("body %d differs from the pattern", t.ops+1)
			}
			t.record(t0)
			t.recv += int64(size)
		}
		return nil
	})
	r.Elapsed = time.Since(start)
	if eerr := httpEnd(ctx, addr); eerr != nil {
		err = errors.Join(err, eerr)
	}
	return r, err
}

// httpEnd asks the guest to end the repetition, then dials once more: the
// guest's accept loop sees the end on its next connection.
func httpEnd(ctx context.Context, addr netip.AddrPort) error {
	tr := &http.Transport{DisableKeepAlives: true, Proxy: nil}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: grace}
	resp, err := client.Get("http://" + addr.String() + "/__nswasi/end")
	if err != nil {
		return fmt.Errorf("end request: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c, err := dial(ctx, addr)
	if err != nil {
		return fmt.Errorf("wake-up dial: %w", err)
	}
	c.Close()
	return nil
}
