package nsrun

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/nswasi/nswasi/sandbox"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// SpawnWithSysfs is Spawn with the file-system view `ip netns exec` gives:
// the thread also enters a private mount namespace in which /sys is a
// sysfs mounted from inside the network namespace, so /sys/class/net lists
// the namespace's interfaces rather than the host's. Everything else of the
// file system is as on the host, the mounts below /sys (cgroup, bpf, ...)
// included, and nothing propagates back: the mount namespace lives only as
// long as the thread, which is discarded, and the processes fn starts.
//
// A bare setns into a network namespace (Spawn) changes what sockets and
// netlink see, not what the mounted sysfs shows: sysfs shows the network
// namespace of whoever mounted it, the host's.
//
// The thread goes back to nswasi's own namespaces before it is discarded:
// the Go runtime cannot terminate the process's main thread, and wedges it
// instead if a locked goroutine exits on it; wedged in the guest's
// namespaces, it would hold them (and the sysfs mount) until nswasi exits.
func (ns *Namespace) SpawnWithSysfs(fn func()) error {
	entered := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see the package comment
		home, err := ownNamespaces()
		if err != nil {
			entered <- err
			return
		}
		defer home.restore()
		if err := netns.Set(ns.handle); err != nil {
			entered <- fmt.Errorf("enter %s: %w", ns.Name, err)
			return
		}
		if err := remountSysfs(); err != nil {
			entered <- fmt.Errorf("mount namespace for %s: %w", ns.Name, err)
			return
		}
		entered <- nil
		fn()
	}()
	return <-entered
}

// threadNamespaces holds a thread's network and mount namespaces.
type threadNamespaces struct {
	net netns.NsHandle
	mnt int
}

func ownNamespaces() (*threadNamespaces, error) {
	n, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("open own network namespace: %w", err)
	}
	m, err := unix.Open("/proc/thread-self/ns/mnt", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("open own mount namespace: %w", err)
	}
	return &threadNamespaces{net: n, mnt: m}, nil
}

// restore moves the calling thread back into the namespaces, best effort:
// the thread is discarded either way.
func (h *threadNamespaces) restore() {
	_ = unix.Setns(h.mnt, unix.CLONE_NEWNS)
	_ = netns.Set(h.net)
	unix.Close(h.mnt)
	h.net.Close()
}

// remountSysfs moves the calling thread into a new mount namespace and
// replaces /sys there with a sysfs of the thread's network namespace. The
// thread must be locked and must never run other goroutines again.
//
// Unlike `ip netns exec`, which marks the new namespace's mounts MS_SLAVE
// and drops everything mounted below /sys, it marks them MS_PRIVATE (no
// propagation either way: the guest's namespace neither changes the host's
// nor changes under it) and puts the mounts below /sys back, so that a
// guest reading its cgroup limits (as Go's runtime does for GOMAXPROCS)
// sees what a native guest sees.
func remountSysfs() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	subs, err := sysSubmounts("/proc/thread-self/mountinfo")
	if err != nil {
		return err
	}
	// Detached copies of the trees below /sys, to put back on the new sysfs.
	trees := make([]int, 0, len(subs))
	defer func() {
		for _, fd := range trees {
			unix.Close(fd)
		}
	}()
	for _, m := range subs {
		fd, err := unix.OpenTree(unix.AT_FDCWD, m, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
		if err != nil {
			return fmt.Errorf("copy mount %s: %w", m, err)
		}
		trees = append(trees, fd)
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/sys", &st); err != nil {
		return fmt.Errorf("statfs /sys: %w", err)
	}
	// The ST_ flags share their values with the MS_ flags.
	flags := uintptr(st.Flags) & (unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC |
		unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME)
	if err := unix.Unmount("/sys", unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		// EINVAL: /sys is no mount point of its own; the new sysfs covers it.
		return fmt.Errorf("detach /sys: %w", err)
	}
	if err := unix.Mount("sysfs", "/sys", "sysfs", flags, ""); err != nil {
		return fmt.Errorf("mount sysfs on /sys: %w", err)
	}
	for i, m := range subs {
		if err := unix.MoveMount(trees[i], "", unix.AT_FDCWD, m, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("put back mount %s: %w", m, err)
		}
	}
	return nil
}

// sysSubmounts lists the outermost mount points strictly below /sys, in
// the order the mount table gives them. A mount on top of another at the
// same point is copied with it.
func sysSubmounts(mountinfo string) ([]string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var all []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT ...
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := sandbox.UnescapeMountinfo(fields[4])
		if strings.HasPrefix(mp, "/sys/") {
			all = append(all, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", mountinfo, err)
	}
	return outermost(all), nil
}

// outermost keeps the paths that lie below no other path of the list, once each.
func outermost(paths []string) []string {
	var out []string
	for _, p := range paths {
		inner := false
		for _, q := range paths {
			if q != p && strings.HasPrefix(p, strings.TrimSuffix(q, "/")+"/") {
				inner = true
				break
			}
		}
		if !inner && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
