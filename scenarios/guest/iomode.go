package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
)

// I/O modes of the benchmark workloads. The same source runs under every
// runner; only waitFD differs between Linux (poll(2)) and wasip1
// (poll_oneoff, imported directly).
const (
	modeBlocking    = "blocking"    // blocking fd, plain read/write
	modeNonblocking = "nonblocking" // O_NONBLOCK, retry on EAGAIN (yielding between tries)
	modePoll        = "poll"        // O_NONBLOCK, readiness wait before every read/write/accept
	modeNetpoll     = "netpoll"     // Go's net.Conn over the runtime netpoller
)

var ioModes = []string{modeBlocking, modeNonblocking, modePoll, modeNetpoll}

// ioCounters are the guest's counts of its own I/O calls during one
// repetition. In netpoll mode only reads and writes are visible: the
// EAGAINs and waits happen inside the Go runtime.
type ioCounters struct {
	Reads    atomic.Int64
	Writes   atomic.Int64
	EAGAINs  atomic.Int64
	Waits    atomic.Int64
	Spurious atomic.Int64
	Gathered atomic.Int64
}

var counters ioCounters

func (c *ioCounters) reset() {
	c.Reads.Store(0)
	c.Writes.Store(0)
	c.EAGAINs.Store(0)
	c.Waits.Store(0)
	c.Spurious.Store(0)
	c.Gathered.Store(0)
	waitFailure.Store(nil)
}

// fill copies the counts into a repetition's report.
func (c *ioCounters) fill(r *repReport) {
	r.Reads, r.Writes = c.Reads.Load(), c.Writes.Load()
	r.EAGAINs, r.Waits, r.Spurious = c.EAGAINs.Load(), c.Waits.Load(), c.Spurious.Load()
	r.Gathered = c.Gathered.Load()
}

// waitFailure keeps the first failed readiness wait of a repetition, so
// that the report names it even where the failure only closed a
// connection (net/http swallows connection errors).
var waitFailure atomic.Pointer[error]

// pollUsers counts the descriptors in use in poll mode: open connections,
// and listeners inside accept. Under wasip1 the poll mode's waits are
// gathered, and a descriptor in use that has no wait queued means a
// goroutine that may be about to queue one.
var pollUsers atomic.Int64

// errWait marks a readiness wait that failed: the mode cannot work here.
type errWait struct{ err error }

func (e errWait) Error() string { return e.err.Error() }

// wait blocks until fd is ready for reading (or writing) or the timeout
// passes; it counts the wait. A negative timeout waits without bound.
func wait(fd int, write bool, timeout time.Duration) (bool, error) {
	counters.Waits.Add(1)
	ready, err := waitFD(fd, write, timeout)
	if err != nil {
		return false, waitFailed(err)
	}
	return ready, nil
}

// waitAnyRead blocks until at least one of fds is readable or the timeout
// passes, in a single poll(2) or poll_oneoff for all of them, and sets
// ready[i] for each fds[i] that is. It counts one wait.
func waitAnyRead(fds []int, timeout time.Duration, ready []bool) error {
	counters.Waits.Add(1)
	if err := waitAnyReadFD(fds, timeout, ready); err != nil {
		return waitFailed(err)
	}
	return nil
}

// waitFailed keeps the repetition's first failed wait and says so once.
func waitFailed(err error) error {
	if waitFailure.CompareAndSwap(nil, &err) {
		fmt.Fprintf(os.Stderr, "guest: %s mode: readiness wait failed: %v\n", modePoll, err)
	}
	return errWait{err}
}

// fdConn is a connection on a raw socket fd, read and written in one of
// the raw modes with every call counted. It implements net.Conn so that
// net/http can serve over it; deadlines are not supported (no-ops).
type fdConn struct {
	fd          int
	mode        string
	pollTimeout time.Duration
	closed      bool
}

func (c *fdConn) Read(p []byte) (int, error) {
	n, err := c.once(false, p)
	if err == nil && n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, err
}

func (c *fdConn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		n, err := c.once(true, p[written:])
		if err != nil {
			return written, err
		}
		written += n
	}
	return written, nil
}

// once makes one read or write call that does not fail with EAGAIN, in
// the connection's mode, with every call counted.
func (c *fdConn) once(write bool, p []byte) (int, error) {
	n, err := untilDone(c.fd, write, c.mode, c.pollTimeout, func() (int, error) {
		if write {
			counters.Writes.Add(1)
			return syscall.Write(c.fd, p)
		}
		counters.Reads.Add(1)
		return syscall.Read(c.fd, p)
	})
	return max(n, 0), err
}

// untilDone makes call until it fails with neither EAGAIN nor EINTR: in
// poll mode after a readiness wait on fd, retrying after a wait that
// timed out; in every mode yielding after EAGAIN, since wasip1 has one
// thread. It counts every EAGAIN, and every wait that said ready but
// whose next call returned EAGAIN (spurious readiness).
func untilDone(fd int, write bool, mode string, timeout time.Duration, call func() (int, error)) (int, error) {
	waited := false
	for {
		if mode == modePoll {
			ready, err := wait(fd, write, timeout)
			if err != nil {
				return 0, err
			}
			if !ready {
				runtime.Gosched()
				continue
			}
			waited = true
		}
		n, err := call()
		countEAGAIN(err, waited)
		waited = false
		switch {
		case errors.Is(err, syscall.EAGAIN):
			runtime.Gosched()
		case errors.Is(err, syscall.EINTR):
		default:
			return n, err
		}
	}
}

// countEAGAIN counts err if it is EAGAIN, and as spurious readiness too
// if the call came right after a wait that said the descriptor was ready.
func countEAGAIN(err error, waited bool) {
	if errors.Is(err, syscall.EAGAIN) {
		counters.EAGAINs.Add(1)
		if waited {
			counters.Spurious.Add(1)
		}
	}
}

// CloseWrite sends FIN.
func (c *fdConn) CloseWrite() error { return syscall.Shutdown(c.fd, syscall.SHUT_WR) }

// Close sends FIN first: see closeFD.
func (c *fdConn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.mode == modePoll {
		pollUsers.Add(-1)
	}
	closeFD(c.fd)
	return nil
}

func (c *fdConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *fdConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *fdConn) SetDeadline(t time.Time) error      { return nil }
func (c *fdConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fdConn) SetWriteDeadline(t time.Time) error { return nil }

// countedConn is a net.Conn of Go's net package with its calls counted.
type countedConn struct{ net.Conn }

func (c countedConn) Read(p []byte) (int, error) {
	counters.Reads.Add(1)
	return c.Conn.Read(p)
}

func (c countedConn) Write(p []byte) (int, error) {
	counters.Writes.Add(1)
	return c.Conn.Write(p)
}

func (c countedConn) CloseWrite() error {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		return tc.CloseWrite()
	}
	return nil
}

func (c countedConn) Close() error {
	closeConn(c.Conn)
	return nil
}

// modeListener accepts connections on a granted listener in one I/O mode.
type modeListener struct {
	fd          int
	mode        string
	pollTimeout time.Duration
	netLn       net.Listener
}

func newModeListener(fd int, mode string, pollTimeout time.Duration) (*modeListener, error) {
	l := &modeListener{fd: fd, mode: mode, pollTimeout: pollTimeout}
	switch mode {
	case modeBlocking:
	case modeNonblocking, modePoll:
		if err := syscall.SetNonblock(fd, true); err != nil {
			return nil, fmt.Errorf("listener fd %d: set non-blocking: %w", fd, err)
		}
	case modeNetpoll:
		// Natively net.FileListener makes its socket non-blocking; under
		// wasip1 it keeps the fd as granted (blocking), so every Accept
		// would be a blocking sock_accept that stops the whole module,
		// not a wait in the netpoller (RATIONALE.md → Benchmarks).
		if err := syscall.SetNonblock(fd, true); err != nil {
			return nil, fmt.Errorf("listener fd %d: set non-blocking: %w", fd, err)
		}
		ln, err := net.FileListener(os.NewFile(uintptr(fd), "listener"))
		if err != nil {
			return nil, fmt.Errorf("listener fd %d: %w", fd, err)
		}
		l.netLn = ln
	default:
		return nil, fmt.Errorf("unknown I/O mode %q (modes: %v)", mode, ioModes)
	}
	return l, nil
}

// accept returns the next connection, made ready for the mode.
func (l *modeListener) accept() (net.Conn, error) {
	if l.netLn != nil {
		c, err := l.netLn.Accept()
		if err != nil {
			return nil, err
		}
		return countedConn{c}, nil
	}
	if l.mode == modePoll {
		pollUsers.Add(1)
		defer pollUsers.Add(-1)
	}
	nfd, err := untilDone(l.fd, false, l.mode, l.pollTimeout, func() (int, error) {
		nfd, _, err := syscall.Accept(l.fd)
		if errors.Is(err, syscall.ECONNABORTED) {
			return nfd, syscall.EINTR // the peer gave up before accept: take the next
		}
		return nfd, err
	})
	if err != nil {
		return nil, fmt.Errorf("accept: %w", err)
	}
	noDelay(nfd)
	if l.mode != modeBlocking {
		if err := syscall.SetNonblock(nfd, true); err != nil {
			closeFD(nfd)
			return nil, fmt.Errorf("accepted fd %d: set non-blocking: %w", nfd, err)
		}
	}
	if l.mode == modePoll {
		pollUsers.Add(1)
	}
	return &fdConn{fd: nfd, mode: l.mode, pollTimeout: l.pollTimeout}, nil
}

// peerGone says whether err only means the peer closed the connection.
func peerGone(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
