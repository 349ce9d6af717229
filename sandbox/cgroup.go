package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cgroup is a cgroup (version 2) made to hold one native guest and every
// process it starts. A process cannot leave its cgroup without write
// access to another one's cgroup.procs, which an unprivileged guest does
// not have: unlike a process group or a session, neither setsid nor a
// double fork escapes it, and it outlives nswasi, so `nswasi clean` can
// still kill what a killed nswasi left running.
type Cgroup struct {
	// Path is the cgroup's directory.
	Path string
	dir  *os.File
}

// CgroupRoot is the mount point of the cgroup v2 hierarchy, or "" if this
// process cannot make cgroups there (not root, or no cgroup2 mounted).
func CgroupRoot() string {
	if os.Geteuid() != 0 {
		return ""
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if f := strings.Fields(pre); ok && len(f) >= 5 && strings.HasPrefix(post, "cgroup2 ") && f[3] == "/" {
			return UnescapeMountinfo(f[4])
		}
	}
	return ""
}

// UnescapeMountinfo undoes the octal escapes (\040 for a space, \134
// for a backslash, ...) the kernel writes in /proc/*/mountinfo paths.
func UnescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// NewCgroup creates the cgroup name directly under the cgroup v2 root. An
// existing cgroup of that name is an error wrapping os.ErrExist: it is
// someone else's.
func NewCgroup(name string) (*Cgroup, error) {
	root := CgroupRoot()
	if root == "" {
		return nil, errors.New("no cgroup v2 hierarchy this process may write to")
	}
	path := filepath.Join(root, name)
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	dir, err := os.Open(path)
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("open cgroup: %w", err)
	}
	return &Cgroup{Path: path, dir: dir}, nil
}

// FD is the cgroup directory's descriptor, for clone3's CLONE_INTO_CGROUP.
func (c *Cgroup) FD() int { return int(c.dir.Fd()) }

// Close kills every process in the cgroup, waits until it is empty and
// removes it.
func (c *Cgroup) Close() error {
	err := KillCgroup(c.Path)
	c.dir.Close()
	return err
}

// KillCgroup kills every process in the cgroup at path, waits (up to ten
// seconds) until none is left and removes the cgroup. A path that does not
// exist is not an error.
func KillCgroup(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// cgroup.kill (Linux 5.14) kills atomically, racing no fork; without
	// it, cgroup.procs is swept until the cgroup is empty.
	killAll := os.WriteFile(filepath.Join(path, "cgroup.kill"), []byte("1"), 0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		procs, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			return fmt.Errorf("cgroup %s: %w", path, err)
		}
		if len(strings.TrimSpace(string(procs))) == 0 {
			break
		}
		if killAll != nil {
			for _, f := range strings.Fields(string(procs)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup %s: processes left 10s after SIGKILL: %s", path, strings.Fields(string(procs)))
		}
		time.Sleep(2 * time.Millisecond)
	}
	// The last exit may still be on its way out of the cgroup: rmdir says EBUSY.
	for {
		err := os.Remove(path)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup: %w", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
