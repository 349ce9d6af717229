package wasip1

import (
	"golang.org/x/sys/unix"
)

// File types, as the specification numbers them.
const (
	filetypeUnknown         uint8 = 0
	filetypeBlockDevice     uint8 = 1
	filetypeCharacterDevice uint8 = 2
	filetypeDirectory       uint8 = 3
	filetypeRegularFile     uint8 = 4
	filetypeSocketDgram     uint8 = 5
	filetypeSocketStream    uint8 = 6
	filetypeSymbolicLink    uint8 = 7
)

// fdflags, as the specification numbers them.
const (
	fdflagAppend   uint16 = 1 << 0
	fdflagDsync    uint16 = 1 << 1
	fdflagNonblock uint16 = 1 << 2
	fdflagRsync    uint16 = 1 << 3
	fdflagSync     uint16 = 1 << 4
)

// entry is one slot of the guest's descriptor table.
type entry struct {
	fd         int    // the host descriptor, owned by the entry
	filetype   uint8  // as fd_fdstat_get reports it
	flags      uint16 // fdflags as the guest set them
	base       uint64 // rights
	inheriting uint64
	preopen    string // the guest's name of a preopened directory
	listener   bool   // a listening socket: sock_accept, never fd_read
	// owned means the host descriptor's file status flags are nswasi's
	// alone, so it is kept O_NONBLOCK on the host and blocking is done by
	// waiting in poll(2). Standard descriptors share their open file
	// description with nswasi's own and are never switched.
	owned bool
	dir   *dirListing // fd_readdir's listing, made at cookie 0
}

func (e *entry) close() error {
	return unix.Close(e.fd)
}

// nonblocking says whether the guest asked for non-blocking I/O.
func (e *entry) nonblocking() bool { return e.flags&fdflagNonblock != 0 }

// pollable says whether readiness on e must be asked of the kernel;
// regular files and directories are always ready.
func (e *entry) pollable() bool {
	return e.filetype != filetypeRegularFile && e.filetype != filetypeDirectory
}

// get returns the entry of fd if it holds every right in need.
func (h *Host) get(fd uint32, need uint64) (*entry, Errno) {
	if uint64(fd) >= uint64(len(h.fds)) || h.fds[fd] == nil {
		return nil, ErrnoBadf
	}
	e := h.fds[fd]
	if e.base&need != need {
		return nil, ErrnoNotcapable
	}
	return e, ErrnoSuccess
}

// add puts e in the lowest free slot and returns its number.
func (h *Host) add(e *entry) uint32 {
	for i, s := range h.fds {
		if s == nil {
			h.fds[i] = e
			return uint32(i)
		}
	}
	h.fds = append(h.fds, e)
	return uint32(len(h.fds) - 1)
}

// filetypeOf maps a host file mode to a WASI file type.
func filetypeOf(fd int, mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return filetypeRegularFile
	case unix.S_IFDIR:
		return filetypeDirectory
	case unix.S_IFLNK:
		return filetypeSymbolicLink
	case unix.S_IFCHR:
		return filetypeCharacterDevice
	case unix.S_IFBLK:
		return filetypeBlockDevice
	case unix.S_IFSOCK:
		if t, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err == nil && t == unix.SOCK_DGRAM {
			return filetypeSocketDgram
		}
		return filetypeSocketStream
	}
	return filetypeUnknown // pipes: preview 1 has no type for them
}
