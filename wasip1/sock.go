package wasip1

import (
	"context"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"
)

// riflags, roflags and sdflags, as the specification numbers them.
const (
	riflagRecvPeek    = 1 << 0
	riflagRecvWaitall = 1 << 1
	roflagTruncated   = 1 << 0
	sdflagRd          = 1 << 0
	sdflagWr          = 1 << 1
)

// socket returns fd's entry if it is a connected socket.
func (h *Host) socket(fd uint32, need uint64) (*entry, Errno) {
	e, errno := h.get(fd, 0)
	if errno != 0 {
		return nil, errno
	}
	if e.filetype != filetypeSocketStream && e.filetype != filetypeSocketDgram {
		return nil, ErrnoNotsock
	}
	if e.base&need != need {
		return nil, ErrnoNotcapable
	}
	return e, 0
}

func sockAccept(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	l, errno := h.socket(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	if !l.listener || l.base&RightSockAccept == 0 {
		return ErrnoNotcapable
	}
	flags := uint16(p[1])
	if uint32(p[1])&^uint32(fdflagNonblock) != 0 {
		return ErrnoInval
	}
	x := memOf(m)
	if errno := x.check(uint32(p[2]), 4); errno != 0 {
		return errno
	}
	// Whether accept waits is the listener's mode; flags is the new
	// socket's. Either way the host socket is non-blocking.
	var nfd int
	_, errno = h.io(ctx, m, l, unix.POLLIN, func() (int, error) {
		var err error
		nfd, _, err = unix.Accept4(l.fd, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		return 0, err
	})
	if errno != 0 {
		return errno
	}
	// Preview 1 has no socket options, so the host's choice is final:
	// TCP_NODELAY, as Go's net gives every TCP connection (and so the
	// native guest and wazero's sock_accept). With Nagle on, a response
	// written in two parts waits for a delayed ACK: 40 ms a request.
	// Not TCP (a Unix socket): nothing to set, and nothing to report.
	unix.SetsockoptInt(nfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	e := &entry{fd: nfd, filetype: filetypeSocketStream, flags: flags, base: rightsSocket, owned: true}
	return x.putU32(uint32(p[2]), h.add(e))
}

func sockRecv(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.socket(uint32(p[0]), RightFdRead)
	if errno != 0 {
		return errno
	}
	riflags := uint32(p[3])
	if riflags&^(riflagRecvPeek|riflagRecvWaitall) != 0 {
		return ErrnoInval
	}
	x := memOf(m)
	iovs, errno := x.ioArgs(uint32(p[1]), uint32(p[2]), uint32(p[4]))
	if errno != 0 {
		return errno
	}
	if errno := x.check(uint32(p[5]), 2); errno != 0 {
		return errno
	}
	flags := 0
	if riflags&riflagRecvPeek != 0 {
		flags |= unix.MSG_PEEK
	}
	want, got, roflags := total(iovs), 0, uint16(0)
	for {
		rest := advance(iovs, got)
		var n, rflags int
		n, errno = h.io(ctx, m, e, unix.POLLIN, func() (int, error) {
			var err error
			n, _, rflags, _, err = unix.RecvmsgBuffers(e.fd, rest, nil, flags)
			return n, err
		})
		if rflags&unix.MSG_TRUNC != 0 {
			roflags |= roflagTruncated
		}
		got += n
		// MSG_WAITALL on a host socket that never blocks would return
		// early: wait for the rest here instead, up to end of stream.
		if errno != 0 || n == 0 || riflags&riflagRecvWaitall == 0 || flags&unix.MSG_PEEK != 0 || got >= want {
			break
		}
	}
	if errno != 0 && (got == 0 || errno != ErrnoAgain) {
		return errno
	}
	x.putU32(uint32(p[4]), uint32(got))
	return x.putU16(uint32(p[5]), roflags)
}

// advance drops the first n bytes of iovs.
func advance(iovs [][]byte, n int) [][]byte {
	for len(iovs) > 0 && n >= len(iovs[0]) {
		n -= len(iovs[0])
		iovs = iovs[1:]
	}
	if n > 0 {
		iovs = append([][]byte{iovs[0][n:]}, iovs[1:]...)
	}
	return iovs
}

func sockSend(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.socket(uint32(p[0]), RightFdWrite)
	if errno != 0 {
		return errno
	}
	if uint32(p[3]) != 0 {
		return ErrnoInval // preview 1 defines no send flags
	}
	x := memOf(m)
	iovs, errno := x.ioArgs(uint32(p[1]), uint32(p[2]), uint32(p[4]))
	if errno != 0 {
		return errno
	}
	n, errno := h.io(ctx, m, e, unix.POLLOUT, func() (int, error) {
		return unix.SendmsgBuffers(e.fd, iovs, nil, nil, unix.MSG_NOSIGNAL)
	})
	if errno != 0 {
		return errno
	}
	return x.putU32(uint32(p[4]), uint32(n))
}

func sockShutdown(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.socket(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	if e.base&RightSockShutdown == 0 {
		if e.listener {
			return ErrnoNotconn
		}
		return ErrnoNotcapable
	}
	var how int
	switch uint32(p[1]) {
	case sdflagRd:
		how = unix.SHUT_RD
	case sdflagWr:
		how = unix.SHUT_WR
	case sdflagRd | sdflagWr:
		how = unix.SHUT_RDWR
	default:
		return ErrnoInval
	}
	return errnoOf(unix.Shutdown(e.fd, how))
}
