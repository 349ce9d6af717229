package wasip1

import (
	"context"
	"encoding/binary"
	"math"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"
)

// Event types and flags, as the specification numbers them.
const (
	eventtypeClock   = 0
	eventtypeFdRead  = 1
	eventtypeFdWrite = 2

	subclockAbstime = 1 << 0
	eventHangup     = 1 << 0

	subscriptionSize = 48
	eventSize        = 32
)

// subscription is one decoded subscription and, once known, its event.
type subscription struct {
	userdata uint64
	typ      uint8
	// a clock: its deadline on the monotonic clock, in nanoseconds
	deadline int64
	// an fd: its entry and its slot in the poll(2) set, or -1
	e    *entry
	slot int
	// the event, once ready
	ready  bool
	errno  Errno
	nbytes uint64
	flags  uint16
}

// pollOneoff waits until at least one subscription is ready and reports
// every one that is. Readiness of sockets, pipes and terminals is the
// kernel's, asked through poll(2): nothing is reported ready that is not,
// and the call returns as soon as something is. Regular files and
// directories are always ready. Without a clock subscription it waits for
// an event as long as it takes; like every blocking call it also wakes
// when the host is interrupted.
func pollOneoff(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	x := memOf(m)
	inPtr, outPtr, n, neventsPtr := uint32(p[0]), uint32(p[1]), uint32(p[2]), uint32(p[3])
	if n == 0 {
		return ErrnoInval
	}
	if uint64(n)*subscriptionSize > math.MaxUint32 {
		return ErrnoFault
	}
	in, errno := x.bytes(inPtr, n*subscriptionSize)
	if errno != 0 {
		return errno
	}
	if errno := x.check(outPtr, n*eventSize); errno != 0 {
		return errno
	}
	if errno := x.check(neventsPtr, 4); errno != 0 {
		return errno
	}
	now, _ := clockNow(unix.CLOCK_MONOTONIC)
	// A module's host calls come one at a time: the scratch of the last
	// call is reused, so that a busy poll loop does not feed the collector.
	if cap(h.pollSubs) < int(n) {
		h.pollSubs, h.pollFds = make([]subscription, n), make([]unix.PollFd, 0, n+1)
	}
	subs, pfds := h.pollSubs[:n], h.pollFds[:0]
	clear(subs)
	deadline := int64(math.MaxInt64)
	immediate := false
	for i := range subs {
		s := &subs[i]
		b := in[i*subscriptionSize:]
		s.userdata = binary.LittleEndian.Uint64(b)
		s.typ = b[8]
		s.slot = -1
		switch s.typ {
		case eventtypeClock:
			s.deadline, s.errno = clockDeadline(binary.LittleEndian.Uint32(b[16:]),
				binary.LittleEndian.Uint64(b[24:]), binary.LittleEndian.Uint16(b[40:]), int64(now))
			if s.errno != 0 {
				s.ready, immediate = true, true
			} else if s.deadline < deadline {
				deadline = s.deadline
			}
		case eventtypeFdRead, eventtypeFdWrite:
			s.e, s.errno = h.get(binary.LittleEndian.Uint32(b[16:]), RightPollFdReadwrite)
			switch {
			case s.errno != 0:
				s.ready, immediate = true, true
			case !s.e.pollable():
				s.ready, immediate = true, true
				if s.typ == eventtypeFdRead {
					s.nbytes = fileRemaining(s.e.fd)
				}
			default:
				events := int16(unix.POLLIN | unix.POLLRDHUP)
				if s.typ == eventtypeFdWrite {
					events = unix.POLLOUT
				}
				s.slot = len(pfds)
				pfds = append(pfds, unix.PollFd{Fd: int32(s.e.fd), Events: events})
			}
		default:
			return ErrnoInval
		}
	}
	pfds = append(pfds, unix.PollFd{Fd: int32(h.wake), Events: unix.POLLIN})

	for {
		h.checkStop(ctx, m)
		var timeout *unix.Timespec // nil: wait for an event
		if immediate {
			timeout = &unix.Timespec{}
		} else if deadline != math.MaxInt64 {
			ts := unix.NsecToTimespec(max(deadline-int64(now), 0))
			timeout = &ts
		}
		_, err := unix.Ppoll(pfds, timeout, nil)
		if err != nil && err != unix.EINTR {
			return errnoOf(err)
		}
		h.checkStop(ctx, m)
		t, _ := clockNow(unix.CLOCK_MONOTONIC)
		now = t
		ready := immediate
		for i := range subs {
			s := &subs[i]
			switch {
			case s.ready:
			case s.typ == eventtypeClock:
				if int64(now) >= s.deadline {
					s.ready, ready = true, true
				}
			case s.slot >= 0 && pfds[s.slot].Revents != 0:
				s.ready, ready = true, true
				fdEvent(s, pfds[s.slot].Revents)
			}
		}
		if ready {
			break
		}
		// Woken early (a signal, or the kernel's timer slack): wait on.
	}

	count := uint32(0)
	out, _ := x.bytes(outPtr, n*eventSize)
	for i := range subs {
		s := &subs[i]
		if !s.ready {
			continue
		}
		b := out[count*eventSize : (count+1)*eventSize]
		clear(b)
		binary.LittleEndian.PutUint64(b[0:], s.userdata)
		binary.LittleEndian.PutUint16(b[8:], uint16(s.errno))
		b[10] = s.typ
		if s.typ != eventtypeClock {
			binary.LittleEndian.PutUint64(b[16:], s.nbytes)
			binary.LittleEndian.PutUint16(b[24:], s.flags)
		}
		count++
	}
	return x.putU32(neventsPtr, count)
}

// clockDeadline turns a clock subscription into a deadline on the
// monotonic clock. An absolute time on another clock is converted by the
// distance between the two clocks now.
func clockDeadline(id uint32, timeout uint64, flags uint16, now int64) (int64, Errno) {
	clock, errno := hostClock(id)
	if errno != 0 {
		return 0, errno
	}
	rel := int64(min(timeout, math.MaxInt64/2))
	if flags&subclockAbstime != 0 {
		then, errno := clockNow(clock)
		if errno != 0 {
			return 0, errno
		}
		rel = int64(min(timeout, math.MaxInt64/2)) - int64(then)
	}
	return now + max(rel, 0), 0
}

// fdEvent fills in what the kernel says of a ready descriptor: bytes
// available to read, or room to write, and whether the peer hung up.
func fdEvent(s *subscription, revents int16) {
	fd := s.e.fd
	if revents&unix.POLLNVAL != 0 {
		s.errno = ErrnoBadf
		return
	}
	if revents&unix.POLLERR != 0 {
		if v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); err == nil && v != 0 {
			s.errno = errnoOf(unix.Errno(v))
		} else if s.typ == eventtypeFdWrite {
			s.errno = ErrnoPipe // a pipe whose reader has gone
		}
	}
	if revents&(unix.POLLHUP|unix.POLLRDHUP) != 0 {
		s.flags |= eventHangup
	}
	if s.typ == eventtypeFdRead {
		if v, err := unix.IoctlGetInt(fd, unix.SIOCINQ); err == nil && v > 0 {
			s.nbytes = uint64(v)
		}
		return
	}
	if s.e.filetype == filetypeSocketStream {
		sndbuf, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
		queued, err2 := unix.IoctlGetInt(fd, unix.SIOCOUTQ)
		if err1 == nil && err2 == nil && sndbuf > queued {
			s.nbytes = uint64(sndbuf - queued)
		}
	}
}

// fileRemaining is how much a read at the current position of a regular
// file would return.
func fileRemaining(fd int) uint64 {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0
	}
	pos, err := unix.Seek(fd, 0, 1)
	if err != nil || pos >= st.Size {
		return 0
	}
	return uint64(st.Size - pos)
}
