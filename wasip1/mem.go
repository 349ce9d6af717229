package wasip1

import (
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"
)

// mem reads and writes the guest's linear memory. Every access is bounds
// checked; a pointer outside memory is the guest's EFAULT, never a panic
// of the host.
type mem struct{ m api.Memory }

func memOf(m api.Module) mem { return mem{m.Memory()} }

// bytes is a view of [ptr, ptr+n), valid until the memory grows.
func (x mem) bytes(ptr, n uint32) ([]byte, Errno) {
	if x.m == nil {
		return nil, ErrnoFault
	}
	b, ok := x.m.Read(ptr, n)
	if !ok {
		return nil, ErrnoFault
	}
	return b, ErrnoSuccess
}

// check says whether [ptr, ptr+n) lies in memory, so that results can be
// known to fit before an operation with side effects runs.
func (x mem) check(ptr, n uint32) Errno {
	_, e := x.bytes(ptr, n)
	return e
}

func (x mem) putU16(ptr uint32, v uint16) Errno {
	b, e := x.bytes(ptr, 2)
	if e == 0 {
		binary.LittleEndian.PutUint16(b, v)
	}
	return e
}

func (x mem) putU32(ptr uint32, v uint32) Errno {
	b, e := x.bytes(ptr, 4)
	if e == 0 {
		binary.LittleEndian.PutUint32(b, v)
	}
	return e
}

func (x mem) putU64(ptr uint32, v uint64) Errno {
	b, e := x.bytes(ptr, 8)
	if e == 0 {
		binary.LittleEndian.PutUint64(b, v)
	}
	return e
}

// string reads a path or other string argument.
func (x mem) string(ptr, n uint32) (string, Errno) {
	b, e := x.bytes(ptr, n)
	if e != 0 {
		return "", e
	}
	return string(b), 0
}

// iovecs resolves an array of n (c)iovecs at ptr into views of memory.
func (x mem) iovecs(ptr, n uint32) ([][]byte, Errno) {
	if uint64(n)*8 > 1<<32-1 {
		return nil, ErrnoFault
	}
	arr, e := x.bytes(ptr, n*8)
	if e != 0 {
		return nil, e
	}
	out := make([][]byte, 0, n)
	for i := uint32(0); i < n; i++ {
		p := binary.LittleEndian.Uint32(arr[i*8:])
		l := binary.LittleEndian.Uint32(arr[i*8+4:])
		b, e := x.bytes(p, l)
		if e != 0 {
			return nil, e
		}
		if l > 0 {
			out = append(out, b)
		}
	}
	return out, 0
}

func total(iovs [][]byte) int {
	n := 0
	for _, b := range iovs {
		n += len(b)
	}
	return n
}

// ioArgs resolves the (c)iovec array of a read or write and checks that
// its count can be stored at resultPtr, before anything is transferred.
func (x mem) ioArgs(iovsPtr, iovsLen, resultPtr uint32) ([][]byte, Errno) {
	iovs, errno := x.iovecs(iovsPtr, iovsLen)
	if errno != 0 {
		return nil, errno
	}
	return iovs, x.check(resultPtr, 4)
}
