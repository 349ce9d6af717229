package nsrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nswasi/nswasi/sandbox"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Record is what nswasi writes down about the kernel objects of one
// namespace before it creates them. `nswasi clean` removes an object only
// if a record names it, the name has the nswasi prefix, and the process
// that wrote the record is gone.
type Record struct {
	ID     string   `json:"id"`
	Netns  string   `json:"netns"`
	Links  []string `json:"links"`
	Subnet string   `json:"subnet"`
	// Cgroup names the cgroup, under the cgroup v2 root, that holds a
	// native guest and its descendants (a record of its own, without
	// Netns, Links and Subnet).
	Cgroup   string    `json:"cgroup,omitempty"`
	PID      int       `json:"pid"`
	PIDStart uint64    `json:"pid_start"` // /proc/PID/stat starttime: tells a reused pid apart
	Created  time.Time `json:"created"`
}

// Objects lists the kernel objects the record names, spelt as Objects
// reports them ("netns NAME", "link NAME", "cgroup NAME").
func (r Record) Objects() []string {
	var objs []string
	if r.Netns != "" {
		objs = append(objs, "netns "+r.Netns)
	}
	objs = append(objs, prefixed("link ", r.Links)...)
	if r.Cgroup != "" {
		objs = append(objs, "cgroup "+r.Cgroup)
	}
	return objs
}

type registry struct{ dir string }

func (r *registry) recordsDir() string { return filepath.Join(r.dir, "records") }

// locked runs fn holding the registry's lock, which serialises subnet
// allocation and cleaning across concurrent nswasi processes.
func (r *registry) locked(fn func() error) error {
	if err := os.MkdirAll(r.recordsDir(), 0o755); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(r.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("state lock: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("state lock: %w", err)
	}
	defer unix.Flock(int(f.Fd()), unix.LOCK_UN)
	return fn()
}

func (r *registry) load() ([]Record, error) {
	entries, err := os.ReadDir(r.recordsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []Record
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(r.recordsDir(), e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			// Removed since the listing: its sandbox is gone, and so is
			// its claim. Records are removed without the lock (a sandbox
			// ends whenever it ends), so this happens whenever two
			// sandboxes start and end side by side, as isolation cells do.
			continue
		}
		if err != nil {
			return nil, err
		}
		var rec Record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("record %s: %w", e.Name(), err)
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func (r *registry) write(rec Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(r.recordsDir(), rec.ID+".json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// errTaken says an ID is already claimed, by a record or a kernel object.
var errTaken = errors.New("id taken")

// claim writes rec as a new record and fails with errTaken if a record
// with its ID exists. The record is written whole to a temporary file and
// then hard-linked into place: link(2) never replaces a file, so two
// claims of one ID cannot both succeed and a reader never sees half a
// record.
func (r *registry) claim(rec Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(r.recordsDir(), rec.ID+".json")
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return errTaken
		}
		return err
	}
	return nil
}

func (r *registry) remove(id string) error {
	err := os.Remove(filepath.Join(r.recordsDir(), id+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// allocate picks the first /30 of pool that overlaps no address on this
// host and no subnet in any record, and claims rec with it. It fails with
// errTaken, having written nothing, if rec's ID is claimed already or a
// kernel object carries one of its names.
func (r *registry) allocate(rec Record, pool netip.Prefix) (subnet netip.Prefix, err error) {
	err = r.locked(func() error {
		if nameInUse(rec) {
			return errTaken
		}
		recs, err := r.load()
		if err != nil {
			return err
		}
		var used []netip.Prefix
		for _, o := range recs {
			if p, err := netip.ParsePrefix(o.Subnet); err == nil {
				used = append(used, p)
			}
		}
		var addrs []netlink.Addr
		err = retryDump(func() (err error) {
			addrs, err = netlink.AddrList(nil, netlink.FAMILY_V4)
			return err
		})
		if err != nil {
			return fmt.Errorf("list addresses: %w", err)
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP.To4()); ok {
				ones, _ := a.Mask.Size()
				used = append(used, netip.PrefixFrom(ip, ones).Masked())
			}
		}
		for cand := netip.PrefixFrom(pool.Addr(), 30); pool.Contains(cand.Addr()) && pool.Bits() <= 30; {
			free := true
			for _, u := range used {
				if u.Overlaps(cand) {
					free = false
					break
				}
			}
			if free {
				subnet = cand
				rec.Subnet = cand.String()
				rec.PID = os.Getpid()
				rec.PIDStart, _ = processStart(rec.PID)
				rec.Created = time.Now().UTC()
				return r.claim(rec)
			}
			next := cand.Addr()
			for range 4 {
				next = next.Next()
			}
			if !next.IsValid() {
				break
			}
			cand = netip.PrefixFrom(next, 30)
		}
		return fmt.Errorf("no free /30 left in %s", pool)
	})
	return subnet, err
}

// reserve claims rec, which needs no subnet, for this process. It fails
// with errTaken, having written nothing, as allocate does.
func (r *registry) reserve(rec Record) error {
	return r.locked(func() error {
		if nameInUse(rec) {
			return errTaken
		}
		rec.PID = os.Getpid()
		rec.PIDStart, _ = processStart(rec.PID)
		rec.Created = time.Now().UTC()
		return r.claim(rec)
	})
}

// nameInUse says whether a kernel object already carries one of rec's
// names. It only saves a doomed attempt: another state directory's owner
// may take a name just after, which New detects when the create fails.
func nameInUse(rec Record) bool {
	if rec.Netns != "" {
		if _, err := os.Lstat(filepath.Join("/run/netns", rec.Netns)); err == nil {
			return true
		}
	}
	if rec.Cgroup != "" {
		if root := sandbox.CgroupRoot(); root != "" {
			if _, err := os.Lstat(filepath.Join(root, rec.Cgroup)); err == nil {
				return true
			}
		}
	}
	for _, l := range rec.Links {
		if _, err := netlink.LinkByName(l); err == nil {
			return true
		}
	}
	return false
}

// processStart reads a process's start time in clock ticks since boot.
func processStart(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses: fields count
	// from the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strconv.ParseUint(f[19], 10, 64) // field 22 overall
}

func (rec Record) ownerAlive() bool {
	start, err := processStart(rec.PID)
	return err == nil && start == rec.PIDStart
}

// CleanReport says what Clean did.
type CleanReport struct {
	// Removed lists the objects removed.
	Removed []string
	// InUse lists objects left because the nswasi process that made them runs.
	InUse []string
	// Unrecorded lists objects with the nswasi prefix that no record names:
	// nswasi did not provably create them, so Clean leaves them alone.
	Unrecorded []string
}

// Clean removes the kernel objects of nswasi processes that are gone (for
// example killed with SIGKILL). It touches only objects that a record names
// and whose names carry the prefix.
func Clean(opts Options) (CleanReport, error) {
	reg := &registry{dir: opts.stateDir()}
	var rep CleanReport
	err := reg.locked(func() error {
		recs, err := reg.load()
		if err != nil {
			return err
		}
		known := map[string]bool{}
		var errs []error
		for _, rec := range recs {
			objs := rec.Objects()
			for _, o := range objs {
				known[o] = true
			}
			if rec.ownerAlive() {
				rep.InUse = append(rep.InUse, objs...)
				continue
			}
			var failed bool
			// The guest's processes first: they may hold the namespace.
			// Everything in a recorded, prefixed cgroup of a dead owner
			// was started there by nswasi: a guest and its descendants.
			if root := sandbox.CgroupRoot(); rec.Cgroup != "" && strings.HasPrefix(rec.Cgroup, Prefix) && root != "" &&
				!strings.ContainsAny(rec.Cgroup, "/") {
				path := filepath.Join(root, rec.Cgroup)
				if _, err := os.Stat(path); err == nil {
					if err := sandbox.KillCgroup(path); err != nil {
						errs = append(errs, err)
						failed = true
					} else {
						rep.Removed = append(rep.Removed, "cgroup "+rec.Cgroup)
					}
				}
			}
			for _, name := range rec.Links {
				if !strings.HasPrefix(name, Prefix) {
					continue
				}
				if l, err := netlink.LinkByName(name); err == nil {
					if err := netlink.LinkDel(l); err != nil {
						errs = append(errs, fmt.Errorf("delete link %s: %w", name, err))
						failed = true
						continue
					}
					rep.Removed = append(rep.Removed, "link "+name)
				}
			}
			if strings.HasPrefix(rec.Netns, Prefix) {
				if _, err := os.Lstat(filepath.Join("/run/netns", rec.Netns)); err == nil {
					if err := deleteNamed(rec.Netns); err != nil {
						errs = append(errs, err)
						failed = true
					} else {
						rep.Removed = append(rep.Removed, "netns "+rec.Netns)
					}
				}
			}
			if !failed {
				if err := reg.remove(rec.ID); err != nil {
					errs = append(errs, err)
				}
			}
		}
		// A claim killed between writing its temporary file and linking
		// it into place leaves the temporary file: harmless, but litter.
		tmps, _ := filepath.Glob(filepath.Join(reg.recordsDir(), "*.json.tmp-*"))
		for _, tmp := range tmps {
			pid, err := strconv.Atoi(tmp[strings.LastIndexByte(tmp, '-')+1:])
			if err == nil && unix.Kill(pid, 0) == unix.ESRCH {
				os.Remove(tmp)
			}
		}
		present, err := Objects()
		if err != nil {
			errs = append(errs, err)
		}
		for _, o := range present {
			if !known[o] {
				rep.Unrecorded = append(rep.Unrecorded, o)
			}
		}
		return errors.Join(errs...)
	})
	return rep, err
}

// Objects lists the kernel objects in nswasi's own namespace whose names
// carry the prefix, as "netns NAME", "link NAME" and "cgroup NAME", sorted.
func Objects() ([]string, error) {
	var objs []string
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), Prefix) {
			objs = append(objs, "netns "+e.Name())
		}
	}
	var links []netlink.Link
	err = retryDump(func() (err error) {
		links, err = netlink.LinkList()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		if name := l.Attrs().Name; strings.HasPrefix(name, Prefix) {
			objs = append(objs, "link "+name)
		}
	}
	if root := sandbox.CgroupRoot(); root != "" {
		cgs, err := os.ReadDir(root)
		if err != nil {
			return nil, err
		}
		for _, e := range cgs {
			if e.IsDir() && strings.HasPrefix(e.Name(), Prefix) {
				objs = append(objs, "cgroup "+e.Name())
			}
		}
	}
	sort.Strings(objs)
	return objs, nil
}

// retryDump runs a netlink dump again while the kernel says it was
// interrupted: links and addresses changed during it, which on a machine
// running many namespaces (other nswasi processes) is common, and its
// result may be inconsistent.
func retryDump(dump func() error) error {
	var err error
	for range 20 {
		if err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return err
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}
