package wasip1

import (
	"context"
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"
)

func fdAdvise(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdAdvise)
	if errno != 0 {
		return errno
	}
	advice := uint32(p[3])
	if advice > 5 {
		return ErrnoInval
	}
	if e.filetype != filetypeRegularFile {
		if e.filetype == filetypeDirectory {
			return ErrnoBadf
		}
		return 0 // advice is only advice
	}
	// The specification's order: normal, sequential, random, willneed,
	// dontneed, noreuse.
	host := [...]int{unix.FADV_NORMAL, unix.FADV_SEQUENTIAL, unix.FADV_RANDOM,
		unix.FADV_WILLNEED, unix.FADV_DONTNEED, unix.FADV_NOREUSE}[advice]
	return errnoOf(unix.Fadvise(e.fd, int64(p[1]), int64(p[2]), host))
}

func fdAllocate(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdAllocate)
	if errno != 0 {
		return errno
	}
	if e.filetype != filetypeRegularFile {
		return ErrnoBadf
	}
	off, n := int64(p[1]), int64(p[2])
	if off < 0 || n <= 0 || off+n < off {
		return ErrnoInval
	}
	err := unix.Fallocate(e.fd, 0, off, n)
	if err == unix.EOPNOTSUPP {
		// The file system cannot reserve blocks: grow the file instead,
		// which is what the call promises the guest.
		var st unix.Stat_t
		if err = unix.Fstat(e.fd, &st); err == nil && st.Size < off+n {
			err = unix.Ftruncate(e.fd, off+n)
		}
	}
	return errnoOf(err)
}

func fdClose(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	fd := uint32(p[0])
	e, errno := h.get(fd, 0)
	if errno != 0 {
		return errno
	}
	h.fds[fd] = nil
	// The host descriptor is the only reference to the socket: closing it
	// sends the peer its FIN now, not when a garbage collector runs.
	return errnoOf(e.close())
}

func fdDatasync(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdDatasync)
	if errno != 0 {
		return errno
	}
	return errnoOf(unix.Fdatasync(e.fd))
}

func fdSync(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdSync)
	if errno != 0 {
		return errno
	}
	return errnoOf(unix.Fsync(e.fd))
}

func fdFdstatGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	b, errno := memOf(m).bytes(uint32(p[1]), 24)
	if errno != 0 {
		return errno
	}
	clear(b)
	b[0] = e.filetype
	binary.LittleEndian.PutUint16(b[2:], e.flags)
	binary.LittleEndian.PutUint64(b[8:], e.base)
	binary.LittleEndian.PutUint64(b[16:], e.inheriting)
	return 0
}

func fdFdstatSetFlags(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdFdstatSetFlags)
	if errno != 0 {
		return errno
	}
	flags := uint16(p[1])
	if uint32(p[1]) > 0x1f {
		return ErrnoInval
	}
	// Linux cannot change the synchronisation flags of an open file;
	// claiming to would be a lie the guest cannot detect.
	if flags&(fdflagDsync|fdflagRsync|fdflagSync) != e.flags&(fdflagDsync|fdflagRsync|fdflagSync) {
		return ErrnoNotsup
	}
	if e.filetype == filetypeRegularFile && (flags^e.flags)&fdflagAppend != 0 {
		fl, err := unix.FcntlInt(uintptr(e.fd), unix.F_GETFL, 0)
		if err != nil {
			return errnoOf(err)
		}
		fl &^= unix.O_APPEND
		if flags&fdflagAppend != 0 {
			fl |= unix.O_APPEND
		}
		if _, err := unix.FcntlInt(uintptr(e.fd), unix.F_SETFL, fl); err != nil {
			return errnoOf(err)
		}
	}
	// O_NONBLOCK is the guest's view only: owned descriptors stay
	// non-blocking on the host, and blocking is done in wait.
	e.flags = flags
	return 0
}

func fdFdstatSetRights(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	base, inheriting := p[1], p[2]
	if base&^e.base != 0 || inheriting&^e.inheriting != 0 {
		return ErrnoNotcapable // rights can only be dropped
	}
	e.base, e.inheriting = base, inheriting
	return 0
}

// putFilestat writes a filestat (64 bytes) at ptr.
func putFilestat(x mem, ptr uint32, fd int, st *unix.Stat_t) Errno {
	b, errno := x.bytes(ptr, 64)
	if errno != 0 {
		return errno
	}
	clear(b)
	binary.LittleEndian.PutUint64(b[0:], st.Dev)
	binary.LittleEndian.PutUint64(b[8:], st.Ino)
	b[16] = filetypeOf(fd, st.Mode)
	binary.LittleEndian.PutUint64(b[24:], uint64(st.Nlink))
	binary.LittleEndian.PutUint64(b[32:], uint64(st.Size))
	binary.LittleEndian.PutUint64(b[40:], uint64(st.Atim.Nano()))
	binary.LittleEndian.PutUint64(b[48:], uint64(st.Mtim.Nano()))
	binary.LittleEndian.PutUint64(b[56:], uint64(st.Ctim.Nano()))
	return 0
}

func fdFilestatGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdFilestatGet)
	if errno != 0 {
		return errno
	}
	var st unix.Stat_t
	if err := unix.Fstat(e.fd, &st); err != nil {
		return errnoOf(err)
	}
	return putFilestat(memOf(m), uint32(p[1]), e.fd, &st)
}

func fdFilestatSetSize(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdFilestatSetSize)
	if errno != 0 {
		return errno
	}
	if int64(p[1]) < 0 {
		return ErrnoInval
	}
	return errnoOf(unix.Ftruncate(e.fd, int64(p[1])))
}

// fstflags, as the specification numbers them.
const (
	fstAtim    = 1 << 0
	fstAtimNow = 1 << 1
	fstMtim    = 1 << 2
	fstMtimNow = 1 << 3
)

// timespecs turns fd_filestat_set_times' arguments into utimensat's.
func timespecs(atim, mtim uint64, flags uint32) ([]unix.Timespec, Errno) {
	if flags > 0xf || flags&(fstAtim|fstAtimNow) == fstAtim|fstAtimNow || flags&(fstMtim|fstMtimNow) == fstMtim|fstMtimNow {
		return nil, ErrnoInval
	}
	one := func(t uint64, set, now uint32) unix.Timespec {
		switch {
		case flags&now != 0:
			return unix.Timespec{Nsec: unix.UTIME_NOW}
		case flags&set != 0:
			return unix.NsecToTimespec(int64(t))
		}
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return []unix.Timespec{one(atim, fstAtim, fstAtimNow), one(mtim, fstMtim, fstMtimNow)}, 0
}

func fdFilestatSetTimes(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdFilestatSetTimes)
	if errno != 0 {
		return errno
	}
	ts, errno := timespecs(p[1], p[2], uint32(p[3]))
	if errno != 0 {
		return errno
	}
	return errnoOf(unix.UtimesNanoAt(e.fd, "", ts, unix.AT_EMPTY_PATH))
}

func fdPread(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdRead|RightFdSeek)
	if errno != 0 {
		return errno
	}
	return fileIO(m, e, p[1], p[2], p[3], p[4], func(iovs [][]byte, off int64) (int, error) {
		return unix.Preadv(e.fd, iovs, off)
	})
}

func fdPwrite(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdWrite|RightFdSeek)
	if errno != 0 {
		return errno
	}
	// The specification, like POSIX, writes at the offset; Linux appends
	// on an O_APPEND file unless told RWF_NOAPPEND (Linux 6.9), and on
	// older kernels that remains the one departure.
	return fileIO(m, e, p[1], p[2], p[3], p[4], func(iovs [][]byte, off int64) (int, error) {
		if e.flags&fdflagAppend != 0 {
			n, err := unix.Pwritev2(e.fd, iovs, off, unix.RWF_NOAPPEND)
			if err != unix.EOPNOTSUPP && err != unix.EINVAL {
				return n, err
			}
		}
		return unix.Pwritev(e.fd, iovs, off)
	})
}

// fileIO runs a positioned read or write and stores its count.
func fileIO(m api.Module, e *entry, iovsPtr, iovsLen, off, resultPtr uint64, op func([][]byte, int64) (int, error)) Errno {
	x := memOf(m)
	if e.filetype == filetypeDirectory {
		return ErrnoIsdir
	}
	if !(e.filetype == filetypeRegularFile || e.filetype == filetypeBlockDevice) {
		return ErrnoSpipe
	}
	if int64(off) < 0 {
		return ErrnoInval
	}
	iovs, errno := x.ioArgs(uint32(iovsPtr), uint32(iovsLen), uint32(resultPtr))
	if errno != 0 {
		return errno
	}
	n, err := retryEINTR(func() (int, error) { return op(iovs, int64(off)) })
	if err != nil {
		return errnoOf(err)
	}
	return x.putU32(uint32(resultPtr), uint32(n))
}

func fdRead(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdRead)
	if errno != 0 {
		return errno
	}
	return h.stream(ctx, m, e, unix.POLLIN, p[1], p[2], p[3], func(iovs [][]byte) (int, error) {
		return unix.Readv(e.fd, iovs)
	})
}

func fdWrite(h *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdWrite)
	if errno != 0 {
		return errno
	}
	return h.stream(ctx, m, e, unix.POLLOUT, p[1], p[2], p[3], func(iovs [][]byte) (int, error) {
		return unix.Writev(e.fd, iovs)
	})
}

// stream runs a read or write at the current position, blocking as the
// guest asked, and stores its count.
func (h *Host) stream(ctx context.Context, m api.Module, e *entry, events int16, iovsPtr, iovsLen, resultPtr uint64, op func([][]byte) (int, error)) Errno {
	x := memOf(m)
	if e.filetype == filetypeDirectory {
		return ErrnoIsdir
	}
	if e.listener {
		return ErrnoNotconn
	}
	iovs, errno := x.ioArgs(uint32(iovsPtr), uint32(iovsLen), uint32(resultPtr))
	if errno != 0 {
		return errno
	}
	if len(iovs) == 0 {
		return x.putU32(uint32(resultPtr), 0)
	}
	n, errno := h.io(ctx, m, e, events, func() (int, error) { return op(iovs) })
	if errno != 0 {
		return errno
	}
	// The memory may have moved only if the guest ran, and it did not.
	return x.putU32(uint32(resultPtr), uint32(n))
}

func fdPrestatGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	if e.preopen == "" {
		return ErrnoBadf
	}
	b, errno := memOf(m).bytes(uint32(p[1]), 8)
	if errno != 0 {
		return errno
	}
	clear(b)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(e.preopen)))
	return 0
}

func fdPrestatDirName(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	if e.preopen == "" {
		return ErrnoBadf
	}
	if uint32(p[2]) < uint32(len(e.preopen)) {
		return ErrnoNametoolong
	}
	b, errno := memOf(m).bytes(uint32(p[1]), uint32(len(e.preopen)))
	if errno != 0 {
		return errno
	}
	copy(b, e.preopen)
	return 0
}

func fdRenumber(h *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	from, to := uint32(p[0]), uint32(p[1])
	e, errno := h.get(from, 0)
	if errno != 0 {
		return errno
	}
	old, errno := h.get(to, 0)
	if errno != 0 {
		return errno
	}
	if from == to {
		return 0
	}
	old.close()
	h.fds[to], h.fds[from] = e, nil
	return 0
}

func fdSeek(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	offset, whence := int64(p[1]), uint32(p[2])
	need := RightFdSeek
	if offset == 0 && whence == 1 {
		need = RightFdTell
	}
	e, errno := h.get(uint32(p[0]), 0)
	if errno != 0 {
		return errno
	}
	if e.filetype == filetypeDirectory {
		return ErrnoIsdir
	}
	if e.base&need == 0 {
		return ErrnoNotcapable
	}
	if whence > 2 {
		return ErrnoInval
	}
	x := memOf(m)
	if errno := x.check(uint32(p[3]), 8); errno != 0 {
		return errno
	}
	// SEEK_SET, SEEK_CUR and SEEK_END are 0, 1 and 2 in both.
	n, err := unix.Seek(e.fd, offset, int(whence))
	if err != nil {
		return errnoOf(err)
	}
	return x.putU64(uint32(p[3]), uint64(n))
}

func fdTell(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdTell)
	if errno != 0 {
		return errno
	}
	x := memOf(m)
	if errno := x.check(uint32(p[1]), 8); errno != 0 {
		return errno
	}
	n, err := unix.Seek(e.fd, 0, 1)
	if err != nil {
		return errnoOf(err)
	}
	return x.putU64(uint32(p[1]), uint64(n))
}
