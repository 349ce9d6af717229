package main

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// waitFD waits with poll(2) until fd is readable (or writable) or the
// timeout passes; a negative timeout waits without bound. It reports
// whether poll said the fd is ready.
func waitFD(fd int, write bool, timeout time.Duration) (bool, error) {
	ev := int16(unix.POLLIN)
	if write {
		ev = unix.POLLOUT
	}
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
	for {
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, err
		}
		// POLLERR and POLLHUP count as ready: the next call reports them.
		return n > 0 && fds[0].Revents != 0, nil
	}
}

// waitAnyReadFD is waitAnyRead's poll(2).
func waitAnyReadFD(fds []int, timeout time.Duration, ready []bool) error {
	ms := -1
	if timeout >= 0 {
		ms = int(timeout.Milliseconds())
	}
	// Only rr's event loop calls this, from one goroutine: its poll set is
	// reused from wait to wait, as under wasip1.
	pfds := loopPollFds[:0]
	for _, fd := range fds {
		pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	loopPollFds = pfds
	for {
		_, err := unix.Poll(pfds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for i := range pfds {
			ready[i] = pfds[i].Revents != 0 // POLLERR and POLLHUP too
		}
		return nil
	}
}

// loopPollFds is waitAnyReadFD's poll set.
var loopPollFds []unix.PollFd

// oneThread says that a blocking call stops every goroutine: natively it
// holds only its own thread.
const oneThread = false

// noDelay turns Nagle's algorithm off on an accepted TCP connection, as
// Go's net does for every TCP connection it makes (the netpoll mode's, and
// the driver's): the four I/O modes then differ in how they wait, not in
// a socket option. With Nagle on, an http response written in two parts
// waits for the client's delayed ACK, 40 ms a request.
func noDelay(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) // not TCP: nothing to set
}
