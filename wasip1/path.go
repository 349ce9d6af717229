package wasip1

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"golang.org/x/sys/unix"
)

// oflags and lookupflags, as the specification numbers them.
const (
	oflagCreat     = 1 << 0
	oflagDirectory = 1 << 1
	oflagExcl      = 1 << 2
	oflagTrunc     = 1 << 3

	lookupSymlinkFollow = 1 << 0
)

// dirAndPath checks the directory descriptor and reads the path.
func (h *Host) dirAndPath(m api.Module, fd uint32, need uint64, ptr, n uint64) (*entry, string, Errno) {
	e, errno := h.get(fd, 0)
	if errno != 0 {
		return nil, "", errno
	}
	if e.filetype != filetypeDirectory {
		return nil, "", ErrnoNotdir
	}
	if e.base&need != need {
		return nil, "", ErrnoNotcapable
	}
	path, errno := memOf(m).string(uint32(ptr), uint32(n))
	return e, path, errno
}

// inParent runs op on the last component of path, in its parent directory
// resolved beneath dir.
func inParent(dir *entry, path string, op func(parent int, base string) error) Errno {
	pfd, base, errno := parent(dir.fd, path)
	if errno != 0 {
		return errno
	}
	defer unix.Close(pfd)
	for {
		err := op(pfd, base)
		if err != unix.EINTR {
			return errnoOf(err)
		}
	}
}

func pathCreateDirectory(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathCreateDirectory, p[1], p[2])
	if errno != 0 {
		return errno
	}
	return inParent(dir, path, func(pfd int, base string) error { return unix.Mkdirat(pfd, base, 0o777) })
}

func pathRemoveDirectory(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathRemoveDirectory, p[1], p[2])
	if errno != 0 {
		return errno
	}
	return inParent(dir, path, func(pfd int, base string) error {
		return unix.Unlinkat(pfd, base, unix.AT_REMOVEDIR)
	})
}

func pathUnlinkFile(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathUnlinkFile, p[1], p[2])
	if errno != 0 {
		return errno
	}
	return inParent(dir, path, func(pfd int, base string) error {
		if strings.HasSuffix(base, "/") {
			// "file/" names a directory; unlinking a directory is EISDIR
			// and anything else under that name is not a directory.
			var st unix.Stat_t
			if err := unix.Fstatat(pfd, strings.TrimRight(base, "/"), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				return unix.EISDIR
			}
			return unix.ENOTDIR
		}
		return unix.Unlinkat(pfd, base, 0)
	})
}

func pathSymlink(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	target, errno := memOf(m).string(uint32(p[0]), uint32(p[1]))
	if errno != 0 {
		return errno
	}
	dir, path, errno := h.dirAndPath(m, uint32(p[2]), RightPathSymlink, p[3], p[4])
	if errno != 0 {
		return errno
	}
	if strings.IndexByte(target, 0) >= 0 {
		return ErrnoInval
	}
	// The link's text is the guest's to choose: resolution never follows
	// it out of a preopen, whatever it says.
	return inParent(dir, path, func(pfd int, base string) error { return unix.Symlinkat(target, pfd, base) })
}

func pathReadlink(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathReadlink, p[1], p[2])
	if errno != 0 {
		return errno
	}
	x := memOf(m)
	buf, errno := x.bytes(uint32(p[3]), uint32(p[4]))
	if errno != 0 {
		return errno
	}
	if errno := x.check(uint32(p[5]), 4); errno != 0 {
		return errno
	}
	var target string
	errno = inParent(dir, path, func(pfd int, base string) (err error) {
		target, err = readlink(pfd, base)
		return err
	})
	if errno != 0 {
		return errno
	}
	n := copy(buf, target) // truncated to the buffer, as readlink(2) does
	return x.putU32(uint32(p[5]), uint32(n))
}

func pathRename(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	from, oldPath, errno := h.dirAndPath(m, uint32(p[0]), RightPathRenameSource, p[1], p[2])
	if errno != 0 {
		return errno
	}
	to, newPath, errno := h.dirAndPath(m, uint32(p[3]), RightPathRenameTarget, p[4], p[5])
	if errno != 0 {
		return errno
	}
	return inParent(from, oldPath, func(op int, ob string) error {
		return errnoErr(inParent(to, newPath, func(np int, nb string) error {
			return unix.Renameat(op, ob, np, nb)
		}))
	})
}

func pathLink(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	from, oldPath, errno := h.dirAndPath(m, uint32(p[0]), RightPathLinkSource, p[2], p[3])
	if errno != 0 {
		return errno
	}
	to, newPath, errno := h.dirAndPath(m, uint32(p[4]), RightPathLinkTarget, p[5], p[6])
	if errno != 0 {
		return errno
	}
	if uint32(p[1])&lookupSymlinkFollow != 0 {
		return onResolved(from, oldPath, func(src string) error {
			return errnoErr(inParent(to, newPath, func(np int, nb string) error {
				return unix.Linkat(unix.AT_FDCWD, src, np, nb, unix.AT_SYMLINK_FOLLOW)
			}))
		})
	}
	return inParent(from, oldPath, func(op int, ob string) error {
		if strings.HasSuffix(ob, "/") {
			return linkTrailingSlash(op, ob)
		}
		return errnoErr(inParent(to, newPath, func(np int, nb string) error {
			return unix.Linkat(op, ob, np, nb, 0)
		}))
	})
}

// linkTrailingSlash is the error of hard-linking "name/": directories
// cannot be hard-linked and nothing else has a trailing slash.
func linkTrailingSlash(dirfd int, base string) error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, strings.TrimRight(base, "/"), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return unix.EPERM
	}
	return unix.ENOTDIR
}

// onResolved resolves path beneath dir, following every link, and runs op
// on the file it names through that file's /proc/self/fd link, which names
// the file already resolved: AT_SYMLINK_FOLLOW alone would follow a link
// out of the preopen.
func onResolved(dir *entry, path string, op func(file string) error) Errno {
	fd, errno := openBeneath(dir.fd, path, unix.O_PATH, 0, true)
	if errno != 0 {
		return errno
	}
	defer unix.Close(fd)
	return errnoOf(op("/proc/self/fd/" + itoa(uint64(fd))))
}

// errnoErr turns an Errno back into an error for nesting; success is nil.
func errnoErr(e Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func pathFilestatGet(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathFilestatGet, p[2], p[3])
	if errno != 0 {
		return errno
	}
	fd, errno := openBeneath(dir.fd, path, unix.O_PATH, 0, uint32(p[1])&lookupSymlinkFollow != 0)
	if errno != 0 {
		return errno
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return errnoOf(err)
	}
	return putFilestat(memOf(m), uint32(p[4]), fd, &st)
}

func pathFilestatSetTimes(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), RightPathFilestatSetTimes, p[2], p[3])
	if errno != 0 {
		return errno
	}
	ts, errno := timespecs(p[4], p[5], uint32(p[6]))
	if errno != 0 {
		return errno
	}
	if uint32(p[1])&lookupSymlinkFollow != 0 {
		return onResolved(dir, path, func(file string) error {
			return unix.UtimesNanoAt(unix.AT_FDCWD, file, ts, 0)
		})
	}
	return inParent(dir, path, func(pfd int, base string) error {
		return unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}

func pathOpen(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	dirflags, oflags := uint32(p[1]), uint32(p[4])
	base, inheriting, fdflags := p[5], p[6], uint16(p[7])
	need := RightPathOpen
	if oflags&oflagCreat != 0 {
		need |= RightPathCreateFile
	}
	if oflags&oflagTrunc != 0 {
		need |= RightPathFilestatSetSize
	}
	dir, path, errno := h.dirAndPath(m, uint32(p[0]), need, p[2], p[3])
	if errno != 0 {
		return errno
	}
	x := memOf(m)
	if errno := x.check(uint32(p[8]), 4); errno != 0 {
		return errno
	}
	if oflags > 0xf || uint32(p[7]) > 0x1f {
		return ErrnoInval
	}
	// What the descriptor may do is what was asked, within what its
	// directory hands on; the host file is opened for no more than that.
	// Asking to write through a directory that cannot hand on writing
	// (a read-only grant) is refused outright rather than quietly
	// narrowed, as open(2) refuses O_RDWR on a read-only mount.
	write := base&RightFdWrite != 0 || fdflags&fdflagAppend != 0
	if write && dir.inheriting&RightFdWrite == 0 {
		return ErrnoNotcapable
	}
	base &= dir.inheriting
	inheriting &= dir.inheriting
	read := base&(RightFdRead|RightFdReaddir) != 0
	flags := unix.O_RDONLY | unix.O_NONBLOCK // never block in open (a FIFO would)
	switch {
	case oflags&oflagDirectory != 0:
		flags |= unix.O_DIRECTORY
	case write && read:
		flags = unix.O_RDWR | unix.O_NONBLOCK
	case write:
		flags = unix.O_WRONLY | unix.O_NONBLOCK
	}
	for _, m := range []struct {
		set  bool
		flag int
	}{
		{oflags&oflagCreat != 0, unix.O_CREAT},
		{oflags&oflagExcl != 0, unix.O_EXCL},
		{oflags&oflagTrunc != 0, unix.O_TRUNC},
		{fdflags&fdflagAppend != 0, unix.O_APPEND},
		{fdflags&fdflagDsync != 0, unix.O_DSYNC},
		{fdflags&fdflagSync != 0, unix.O_SYNC},
		{fdflags&fdflagRsync != 0, unix.O_RSYNC},
	} {
		if m.set {
			flags |= m.flag
		}
	}
	fd, errno := openBeneath(dir.fd, path, flags, 0o666, dirflags&lookupSymlinkFollow != 0)
	if errno != 0 {
		return errno
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return errnoOf(err)
	}
	ft := filetypeOf(fd, st.Mode)
	e := &entry{fd: fd, filetype: ft, flags: fdflags, base: base & rightsFor(ft), inheriting: inheriting, owned: true}
	if ft == filetypeDirectory {
		e.inheriting &= rightsDir | rightsFile
	} else {
		e.inheriting = 0
	}
	return x.putU32(uint32(p[8]), h.add(e))
}

// dirListing is a directory's entries as fd_readdir reports them, taken
// at cookie 0: a cookie is an index into it.
type dirListing struct {
	ents []dirent
}

type dirent struct {
	ino  uint64
	typ  uint8
	name string
}

func fdReaddir(h *Host, _ context.Context, m api.Module, p []uint64) Errno {
	e, errno := h.get(uint32(p[0]), RightFdReaddir)
	if errno != 0 {
		return errno
	}
	if e.filetype != filetypeDirectory {
		return ErrnoNotdir
	}
	x := memOf(m)
	buf, errno := x.bytes(uint32(p[1]), uint32(p[2]))
	if errno != 0 {
		return errno
	}
	if errno := x.check(uint32(p[4]), 4); errno != 0 {
		return errno
	}
	cookie := p[3]
	if cookie == 0 || e.dir == nil {
		l, err := listDir(e.fd)
		if err != nil {
			return errnoOf(err)
		}
		e.dir = l
	}
	if cookie > uint64(len(e.dir.ents)) {
		return x.putU32(uint32(p[4]), 0)
	}
	used := 0
	var hdr [24]byte
	for i := cookie; i < uint64(len(e.dir.ents)) && used < len(buf); i++ {
		d := e.dir.ents[i]
		binary.LittleEndian.PutUint64(hdr[0:], i+1)
		binary.LittleEndian.PutUint64(hdr[8:], d.ino)
		binary.LittleEndian.PutUint32(hdr[16:], uint32(len(d.name)))
		hdr[20] = d.typ
		// Entries that do not fit are cut short: a full buffer tells the
		// guest to read again with a larger one.
		used += copy(buf[used:], hdr[:])
		used += copy(buf[used:], d.name)
	}
	return x.putU32(uint32(p[4]), uint32(used))
}

// listDir reads every entry of the directory fd, "." and ".." included.
func listDir(fd int) (*dirListing, error) {
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	l := &dirListing{}
	buf := make([]byte, 8192)
	for {
		n, err := unix.Getdents(dfd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return l, nil
		}
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			name := b[19:reclen]
			if i := strings.IndexByte(string(name), 0); i >= 0 {
				name = name[:i]
			}
			l.ents = append(l.ents, dirent{
				ino:  binary.NativeEndian.Uint64(b[0:]),
				typ:  direntType(b[18]),
				name: string(name),
			})
			b = b[reclen:]
		}
	}
}

func direntType(t uint8) uint8 {
	switch t {
	case unix.DT_REG:
		return filetypeRegularFile
	case unix.DT_DIR:
		return filetypeDirectory
	case unix.DT_LNK:
		return filetypeSymbolicLink
	case unix.DT_CHR:
		return filetypeCharacterDevice
	case unix.DT_BLK:
		return filetypeBlockDevice
	case unix.DT_SOCK:
		return filetypeSocketStream
	}
	return filetypeUnknown
}
