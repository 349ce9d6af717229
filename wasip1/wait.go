package wasip1

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"
)

// wait blocks until e's host descriptor has one of events, or the host is
// interrupted, in which case the guest exits (checkStop panics). It is
// how every blocking call blocks: in poll(2) beside the wake-up eventfd,
// never in a read or accept the host could not take back.
func (h *Host) wait(ctx context.Context, m api.Module, e *entry, events int16) Errno {
	fds := []unix.PollFd{{Fd: int32(e.fd), Events: events}, {Fd: int32(h.wake), Events: unix.POLLIN}}
	for {
		h.checkStop(ctx, m)
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return errnoOf(err)
		}
		h.checkStop(ctx, m)
		if fds[0].Revents != 0 {
			return 0
		}
	}
}

// ready says whether e's host descriptor has one of events now.
func ready(e *entry, events int16) bool {
	fds := []unix.PollFd{{Fd: int32(e.fd), Events: events}}
	for {
		n, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}

// io runs op on e with the blocking behaviour the guest asked for.
//
// On an owned descriptor (kept O_NONBLOCK on the host) op never blocks:
// EAGAIN goes back to a non-blocking guest, and a blocking guest waits in
// poll(2) and tries again. On a shared descriptor (stdio) the host cannot
// make op non-blocking, so it waits for readiness first and a
// non-blocking guest gets EAGAIN when there is none.
func (h *Host) io(ctx context.Context, m api.Module, e *entry, events int16, op func() (int, error)) (int, Errno) {
	if !e.pollable() {
		n, err := retryEINTR(op)
		return n, errnoOf(err)
	}
	if !e.owned {
		if e.nonblocking() {
			if !ready(e, events) {
				return 0, ErrnoAgain
			}
		} else if errno := h.wait(ctx, m, e, events); errno != 0 {
			return 0, errno
		}
		n, err := retryEINTR(op)
		return n, errnoOf(err)
	}
	for {
		n, err := retryEINTR(op)
		if err != unix.EAGAIN || e.nonblocking() {
			return n, errnoOf(err)
		}
		if errno := h.wait(ctx, m, e, events); errno != 0 {
			return 0, errno
		}
	}
}

func retryEINTR(op func() (int, error)) (int, error) {
	for {
		n, err := op()
		if err != unix.EINTR {
			if n < 0 {
				n = 0
			}
			return n, err
		}
	}
}
