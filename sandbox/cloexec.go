package sandbox

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// closeOnExecAll marks every descriptor above stdio close-on-exec. Go opens
// its own files with O_CLOEXEC, but descriptors nswasi inherited from its
// parent without the flag would otherwise pass through fork and exec into
// every guest — which the isolation suite's fds-ungranted probe caught.
// Granted files are unaffected: the child gets them by dup2 onto 3, 4, …,
// and dup2 clears the flag on the copy.
func closeOnExecAll() error {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd <= 2 {
			continue
		}
		// The directory's own fd is gone by now; EBADF is expected for it.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}
