package wasip1

import (
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Path resolution. Every path the guest names is resolved beneath the
// directory descriptor it is relative to: "..", an absolute path or a
// symbolic link that would leave it is refused with ENOTCAPABLE, and
// symbolic links that stay inside resolve as usual. The kernel does it
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); where openat2 is
// missing (before Linux 5.6, or filtered by seccomp) a walk one component
// at a time with O_NOFOLLOW does the same in user space.

// maxSymlinks bounds the links one resolution follows, as Linux's 40.
const maxSymlinks = 40

// noOpenat2 is set once openat2 has answered ENOSYS; tests set it to
// exercise the walk.
var noOpenat2 atomic.Bool

// errEscape is a resolution that would leave its directory.
const errEscape = ErrnoNotcapable

// openBeneath opens path beneath dirfd with open flags (O_CLOEXEC is
// added). follow says whether a symbolic link in the last component is
// followed; links in earlier components always are, beneath dirfd.
func openBeneath(dirfd int, path string, flags int, mode uint32, follow bool) (int, Errno) {
	if strings.IndexByte(path, 0) >= 0 {
		return -1, ErrnoInval
	}
	if path == "" {
		return -1, ErrnoNoent
	}
	if strings.HasPrefix(path, "/") {
		return -1, errEscape
	}
	flags |= unix.O_CLOEXEC
	if flags&unix.O_PATH == 0 {
		flags |= unix.O_NOCTTY // openat2 refuses it beside O_PATH
	}
	if !follow {
		flags |= unix.O_NOFOLLOW
	}
	if !noOpenat2.Load() {
		how := unix.OpenHow{
			Flags:   uint64(flags),
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS,
		}
		if flags&unix.O_CREAT != 0 || flags&unix.O_TMPFILE == unix.O_TMPFILE { // O_TMPFILE includes O_DIRECTORY
			how.Mode = uint64(mode)
		}
		for {
			fd, err := unix.Openat2(dirfd, path, &how)
			switch err {
			case nil:
				return fd, 0
			case unix.EAGAIN, unix.EINTR:
				continue // a rename raced the lookup: the kernel asks to retry
			case unix.EXDEV:
				return -1, errEscape
			case unix.ENOSYS, unix.EPERM:
				if err == unix.EPERM && !openat2Filtered(dirfd) {
					return -1, ErrnoPerm
				}
				noOpenat2.Store(true)
			default:
				return -1, errnoOf(err)
			}
			break
		}
	}
	return walkBeneath(dirfd, path, flags, mode)
}

// openat2Filtered tells a seccomp filter that refuses openat2 with EPERM
// (as some container runtimes do) from a real permission error.
func openat2Filtered(dirfd int) bool {
	fd, err := unix.Openat2(dirfd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_BENEATH})
	if err == nil {
		unix.Close(fd)
		return false
	}
	return err == unix.EPERM || err == unix.ENOSYS
}

// walkBeneath resolves path one component at a time. It holds an O_PATH
// descriptor for each directory it has entered, so ".." pops back to a
// descriptor it already trusts instead of asking the kernel for a parent,
// and it reads every symbolic link itself instead of letting the kernel
// follow it. flags carries O_NOFOLLOW when the last link is not followed.
func walkBeneath(dirfd int, path string, flags int, mode uint32) (int, Errno) {
	follow := flags&unix.O_NOFOLLOW == 0
	stack := []int{dirfd} // stack[0] is the caller's, not ours to close
	defer func() {
		for _, fd := range stack[1:] {
			unix.Close(fd)
		}
	}()
	top := func() int { return stack[len(stack)-1] }
	parts := splitPath(path)
	links := 0
	for len(parts) > 0 {
		c, last := parts[0], len(parts) == 1
		parts = parts[1:]
		switch c {
		case ".":
			if last {
				return openLast(top(), ".", flags, mode)
			}
			continue
		case "..":
			if len(stack) == 1 {
				return -1, errEscape
			}
			unix.Close(top())
			stack = stack[:len(stack)-1]
			if last {
				return openLast(top(), ".", flags, mode)
			}
			continue
		}
		// A trailing slash ("dir/") is kept on the last component: it asks
		// for a directory and follows a link there, as POSIX says.
		name := strings.TrimSuffix(c, "/")
		dirWanted := name != c
		if last && !dirWanted && (!follow || !isSymlink(top(), name)) {
			// Open the last component itself; only a symbolic link we are
			// told to follow needs another round. O_NOFOLLOW keeps a link
			// swapped in since the check from being followed.
			return openLast(top(), name, flags|unix.O_NOFOLLOW, mode)
		}
		var st unix.Stat_t
		if err := unix.Fstatat(top(), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return -1, errnoOf(err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if last && !follow && !dirWanted {
				return -1, ErrnoLoop
			}
			links++
			if links > maxSymlinks {
				return -1, ErrnoLoop
			}
			target, err := readlink(top(), name)
			if err != nil {
				return -1, errnoOf(err)
			}
			if strings.HasPrefix(target, "/") {
				return -1, errEscape
			}
			more := splitPath(target)
			if dirWanted && len(more) > 0 && !strings.HasSuffix(more[len(more)-1], "/") {
				more[len(more)-1] += "/"
			}
			parts = append(more, parts...)
			if len(parts) == 0 {
				parts = []string{"."}
			}
		case unix.S_IFDIR:
			fd, err := unix.Openat(top(), name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return -1, errnoOf(err)
			}
			stack = append(stack, fd)
			if last {
				return openLast(fd, ".", flags, mode)
			}
		default:
			if dirWanted || !last {
				return -1, ErrnoNotdir
			}
			return openLast(top(), name, flags|unix.O_NOFOLLOW, mode)
		}
	}
	return openLast(top(), ".", flags, mode)
}

func openLast(dirfd int, name string, flags int, mode uint32) (int, Errno) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, errnoOf(err)
		}
		return fd, 0
	}
}

func isSymlink(dirfd int, name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// splitPath splits on slashes, keeping one trailing slash on a component
// that had any, and dropping empty components.
func splitPath(path string) []string {
	var parts []string
	for len(path) > 0 {
		i := strings.IndexByte(path, '/')
		if i < 0 {
			parts = append(parts, path)
			break
		}
		if i > 0 {
			c := path[:i]
			rest := strings.TrimLeft(path[i:], "/")
			if rest == "" {
				c += "/" // a trailing slash belongs to the last component
			}
			parts = append(parts, c)
			path = rest
			continue
		}
		path = path[1:]
	}
	return parts
}

func readlink(dirfd int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(dirfd, name, b)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
}

// parent resolves every component of path but the last, beneath dirfd,
// and returns an O_PATH descriptor of that directory (owned by the
// caller) and the last component, with its trailing slash if it had one.
// A last component of ".." is folded into the parent, so that no
// operation on the result can reach above dirfd.
func parent(dirfd int, path string) (int, string, Errno) {
	if strings.IndexByte(path, 0) >= 0 {
		return -1, "", ErrnoInval
	}
	if path == "" {
		return -1, "", ErrnoNoent
	}
	if strings.HasPrefix(path, "/") {
		return -1, "", errEscape
	}
	trimmed := strings.TrimRight(path, "/")
	dir, base := ".", trimmed
	if i := strings.LastIndexByte(trimmed, '/'); i >= 0 {
		dir, base = trimmed[:i], trimmed[i+1:]
	}
	if base == ".." {
		dir, base = trimmed, "."
	}
	if len(trimmed) < len(path) {
		base += "/"
	}
	fd, errno := openBeneath(dirfd, dir, unix.O_PATH|unix.O_DIRECTORY, 0, true)
	if errno != 0 {
		return -1, "", errno
	}
	return fd, base, 0
}
