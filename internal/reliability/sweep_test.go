package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/nftables"
	"golang.org/x/sys/unix"
)

// A network namespace is known by its nsfs inode and its cookie. Inode
// numbers are reused once a namespace is freed — on a machine where others
// create namespaces too, a bare inode match could be theirs — but the
// cookie (SO_NETNS_COOKIE) is a 64-bit number the kernel never reuses, so
// the pair names one namespace for good.
type nsIdent struct{ ino, cookie uint64 }

// soNetnsCookie is SO_NETNS_COOKIE (Linux 5.14), which x/sys/unix lacks.
const soNetnsCookie = 71

// identOf identifies the network namespace of an nsfs path such as
// /proc/PID/ns/net or /run/netns/NAME. It enters the namespace on a
// throwaway thread (never returned to the pool) to read the cookie.
func identOf(path string) (nsIdent, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsIdent{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nsIdent{}, err
	}
	defer f.Close()
	type result struct {
		cookie uint64
		err    error
	}
	rc := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			rc <- result{err: fmt.Errorf("enter %s: %w", path, err)}
			return
		}
		s, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			rc <- result{err: err}
			return
		}
		defer unix.Close(s)
		c, err := unix.GetsockoptUint64(s, unix.SOL_SOCKET, soNetnsCookie)
		rc <- result{c, err}
	}()
	r := <-rc
	return nsIdent{ino: st.Ino, cookie: r.cookie}, r.err
}

// nftTablesAt lists the nftables tables ("family name") inside the
// network namespace at path, over a netlink socket opened there by handle.
func nftTablesAt(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(f.Fd())))
	if err != nil {
		return nil, err
	}
	defer c.CloseLasting()
	ts, err := c.ListTables()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%d %s", t.Family, t.Name))
	}
	return out, nil
}

// surviving lists every holder of one of the namespaces in want that still
// exists: any thread of any process (/proc/*/task/*/ns/net) and any
// namespace mount under /run/netns, each with the nftables tables inside.
// Only an inode match is entered to compare cookies, so the sweep stays
// cheap on a busy machine.
func surviving(want map[nsIdent]bool) []string {
	inos := map[uint64]bool{}
	for id := range want {
		inos[id.ino] = true
	}
	var paths []string
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*/ns/net")
	paths = append(paths, tasks...)
	mounts, _ := filepath.Glob("/run/netns/*")
	paths = append(paths, mounts...)
	var out []string
	for _, p := range paths {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) != nil || !inos[st.Ino] {
			continue
		}
		id, err := identOf(p)
		if err != nil || !want[id] {
			continue // gone meanwhile, or another namespace that reuses the inode
		}
		tables, _ := nftTablesAt(p)
		out = append(out, fmt.Sprintf("%s holds namespace %d (cookie %d), nftables tables %v%s", p, id.ino, id.cookie, tables, describePid(p)))
	}
	return out
}

func describePid(path string) string {
	f := strings.Split(path, "/")
	if len(f) > 2 && f[1] == "proc" {
		if pid, err := strconv.Atoi(f[2]); err == nil {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			return fmt.Sprintf(" (pid %d: %q)", pid, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return ""
}
