package nsrun

import (
	"context"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/sandbox"
)

// sysMounts lists the mount points at and below /sys of a mountinfo file,
// each with its file-system type.
func sysMounts(t *testing.T, mountinfo string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		mp := sandbox.UnescapeMountinfo(f[4])
		if mp != "/sys" && !strings.HasPrefix(mp, "/sys/") {
			continue
		}
		typ := f[slices.Index(f, "-")+1]
		out = append(out, mp+" "+typ)
	}
	sort.Strings(out)
	return out
}

func hostInterfaces(t *testing.T) []string {
	t.Helper()
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// runShell runs a shell command as the guest of r and returns its stdout.
func runShell(t *testing.T, r sandbox.Runner, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	g, err := r.Start(ctx, sandbox.Spec{Artifact: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	res := g.Wait()
	if res.Err != nil || res.ExitCode != 0 {
		t.Fatalf("%s guest: exit %d, %v; stderr: %s", r.Name(), res.ExitCode, res.Err, res.Stderr)
	}
	return string(res.Stdout)
}

// Under netns and netns+fw, /sys/class/net lists only the namespace's
// interfaces, as under `ip netns exec`; the mounts below /sys are those of
// the host; the host's mount table and nswasi's threads are as before.
func TestNetnsSysfsLikeIPNetnsExec(t *testing.T) {
	if !isRoot() {
		t.Skip("SKIP (needs root): creates network and mount namespaces")
	}
	// The host's mount table is init's: /proc/self is nswasi's main
	// thread, which need not be in nswasi's namespaces (see SpawnWithSysfs).
	self, err := os.ReadFile("/proc/1/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	hostSys := sysMounts(t, string(self))
	hostIfs := hostInterfaces(t)
	ownMnt, err := os.Readlink("/proc/thread-self/ns/mnt")
	if err != nil {
		t.Fatal(err)
	}
	const script = "ls /sys/class/net; echo ---; cat /proc/self/mountinfo"
	for _, r := range []sandbox.Runner{Netns{Options: Options{StateDir: t.TempDir()}}, Netns{Options: Options{StateDir: t.TempDir()}, Firewall: true}} {
		t.Run(r.Name(), func(t *testing.T) {
			out := runShell(t, r, script)
			ifs, mountinfo, _ := strings.Cut(out, "---\n")
			names := strings.Fields(ifs)
			sort.Strings(names)
			if len(names) != 2 || names[0] != "lo" || !strings.HasPrefix(names[1], Prefix) || !strings.HasSuffix(names[1], "g") {
				t.Errorf("/sys/class/net in the guest lists %v, want lo and the namespace's veth end only", names)
			}
			for _, n := range hostIfs {
				if n != "lo" && slices.Contains(names, n) {
					t.Errorf("the guest sees the host's interface %s in /sys/class/net", n)
				}
			}
			// This namespace is gone once the guest has exited (the machine-wide
			// check in TestMain also sees other processes' namespaces).
			if len(names) == 2 {
				id := strings.TrimSuffix(names[1], "g")
				if _, err := os.Lstat("/run/netns/" + id); err == nil {
					t.Errorf("namespace %s left behind", id)
				}
				if _, err := os.Lstat("/sys/class/net/" + id + "h"); err == nil {
					t.Errorf("veth %sh left behind", id)
				}
			}
			if got := sysMounts(t, mountinfo); !reflect.DeepEqual(got, hostSys) {
				t.Errorf("mounts at and below /sys in the guest:\n%s\nwant the host's:\n%s", strings.Join(got, "\n"), strings.Join(hostSys, "\n"))
			}
			after, err := os.ReadFile("/proc/1/mountinfo")
			if err != nil {
				t.Fatal(err)
			}
			if got := sysMounts(t, string(after)); !reflect.DeepEqual(got, hostSys) {
				t.Errorf("the host's mounts at and below /sys changed:\n%s\nwas:\n%s", strings.Join(got, "\n"), strings.Join(hostSys, "\n"))
			}
			// The thread that entered the mount namespace is discarded.
			deadline := time.Now().Add(5 * time.Second)
			for {
				other := threadsInOtherMountNS(t, ownMnt)
				if len(other) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("threads %v of nswasi are still in another mount namespace", other)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	// The native runner changes no mount: its guest sees the host's /sys
	// (less any nswasi veth that other tests removed meanwhile).
	out := runShell(t, Native{}, script)
	ifs, _, _ := strings.Cut(out, "---\n")
	got := strings.Fields(ifs)
	for _, n := range hostIfs {
		if !strings.HasPrefix(n, Prefix) && !slices.Contains(got, n) {
			t.Errorf("native guest lists %v in /sys/class/net, without the host's %s", got, n)
		}
	}
}

func threadsInOtherMountNS(t *testing.T, own string) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var other []string
	for _, task := range tasks {
		l, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/mnt")
		if err == nil && l != own {
			other = append(other, task.Name())
		}
	}
	return other
}

func TestOutermostAndUnescape(t *testing.T) {
	got := outermost([]string{"/sys/fs/cgroup", "/sys/fs/cgroup/cpu", "/sys/kernel/security", "/sys/fs/cgroup", "/sys/fs/cgroupx"})
	want := []string{"/sys/fs/cgroup", "/sys/kernel/security", "/sys/fs/cgroupx"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outermost = %v, want %v", got, want)
	}
	if got := sandbox.UnescapeMountinfo(`/sys/a\040b\134c`); got != `/sys/a b\c` {
		t.Errorf("unescape = %q", got)
	}
}
