package wasip1

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

func argsGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	return putStrings(memOf(m), h.args, uint32(p[0]), uint32(p[1]))
}

func argsSizesGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	return putSizes(memOf(m), h.args, uint32(p[0]), uint32(p[1]))
}

func environGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	return putStrings(memOf(m), h.env, uint32(p[0]), uint32(p[1]))
}

func environSizesGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	return putSizes(memOf(m), h.env, uint32(p[0]), uint32(p[1]))
}

// putStrings writes the pointer array at ptrs and the NUL-terminated
// strings one after the other at buf.
func putStrings(x mem, ss [][]byte, ptrs, buf uint32) Errno {
	size := uint32(0)
	for _, s := range ss {
		size += uint32(len(s)) + 1
	}
	if e := x.check(ptrs, uint32(len(ss))*4); e != 0 {
		return e
	}
	dst, e := x.bytes(buf, size)
	if e != 0 {
		return e
	}
	off := uint32(0)
	for i, s := range ss {
		x.putU32(ptrs+uint32(i)*4, buf+off)
		copy(dst[off:], s)
		dst[off+uint32(len(s))] = 0
		off += uint32(len(s)) + 1
	}
	return 0
}

func putSizes(x mem, ss [][]byte, countPtr, sizePtr uint32) Errno {
	size := uint32(0)
	for _, s := range ss {
		size += uint32(len(s)) + 1
	}
	if e := x.check(countPtr, 4); e != 0 {
		return e
	}
	if e := x.putU32(sizePtr, size); e != 0 {
		return e
	}
	return x.putU32(countPtr, uint32(len(ss)))
}

// clockIDs maps the specification's clock ids to the host's clocks. The
// guest runs on one locked OS thread (see wasirun), so the thread's CPU
// clock is the guest's.
var clockIDs = [...]int32{
	unix.CLOCK_REALTIME,
	unix.CLOCK_MONOTONIC,
	unix.CLOCK_PROCESS_CPUTIME_ID,
	unix.CLOCK_THREAD_CPUTIME_ID,
}

func hostClock(id uint32) (int32, Errno) {
	if id >= uint32(len(clockIDs)) {
		return 0, ErrnoInval
	}
	return clockIDs[id], 0
}

// monoStart is CLOCK_MONOTONIC read once, with the Go time read right
// after it: the monotonic clock is then monoStart plus the time elapsed
// since, on Go's own clock.
var monoStart, monoStartTime = func() (int64, time.Time) {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano(), time.Now()
}()

// clockNow reads a host clock. The realtime and monotonic clocks come
// from Go's clock, which the kernel serves through the vDSO: the Go
// runtime on wasip1 reads the monotonic clock on every goroutine switch,
// and x/sys's ClockGettime is a system call each time. (Go's monotonic
// reading is CLOCK_MONOTONIC, so the sum drifts from it by nothing.) The
// CPU-time clocks have no vDSO path and are asked for.
func clockNow(id int32) (uint64, Errno) {
	switch id {
	case unix.CLOCK_REALTIME:
		return uint64(time.Now().UnixNano()), 0
	case unix.CLOCK_MONOTONIC:
		return uint64(monoStart + int64(time.Since(monoStartTime))), 0
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, errnoOf(err)
	}
	return uint64(ts.Nano()), 0
}

func clockResGet(_ *Host, _ context.Context, m api.Module, p []uint64) Errno {
	id, e := hostClock(uint32(p[0]))
	if e != 0 {
		return e
	}
	var ts unix.Timespec
	if err := unix.ClockGetres(id, &ts); err != nil {
		return errnoOf(err)
	}
	return memOf(m).putU64(uint32(p[1]), uint64(ts.Nano()))
}

func clockTimeGet(_ *Host, _ context.Context, m api.Module, p []uint64) Errno {
	id, e := hostClock(uint32(p[0]))
	if e != 0 {
		return e
	}
	now, e := clockNow(id)
	if e != 0 {
		return e
	}
	return memOf(m).putU64(uint32(p[2]), now)
}

func procExit(_ *Host, ctx context.Context, m api.Module, p []uint64) Errno {
	code := uint32(p[0])
	_ = m.CloseWithExitCode(ctx, code)
	panic(sys.NewExitError(code))
}

// procRaise: a wasip1 guest has no signal handlers to run and nswasi does
// not let a guest signal its host process, so raising is not supported.
func procRaise(_ *Host, _ context.Context, _ api.Module, p []uint64) Errno {
	return ErrnoNosys
}

func schedYield(_ *Host, _ context.Context, _ api.Module, _ []uint64) Errno {
	_, _, _ = unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	return 0
}

func randomGet(_ *Host, _ context.Context, m api.Module, p []uint64) Errno {
	b, e := memOf(m).bytes(uint32(p[0]), uint32(p[1]))
	if e != 0 {
		return e
	}
	for len(b) > 0 {
		n, err := unix.Getrandom(b, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return errnoOf(err)
		}
		b = b[n:]
	}
	return 0
}
