// Package nsrun runs native guests in fresh network namespaces, and provides
// the Namespace type that the WASI runner uses for its wasi+netns variant.
//
// A network namespace belongs to an OS thread, not to a goroutine. The rules
// this package keeps, after containernetworking/plugins pkg/ns:
//
//   - Code that must run inside a namespace runs through Namespace.Do or
//     Namespace.Spawn, on a fresh goroutine locked to its OS thread.
//   - A thread that has switched namespace is never unlocked: its goroutine
//     exits while locked, and the Go runtime then terminates the thread, so
//     it can never return to the pool and run unrelated goroutines in the
//     wrong namespace.
//   - Goroutines started inside Do's closure run on other threads, in
//     nswasi's own namespace; the closure must not rely on them.
//   - Where netlink can address a namespace by handle (netlink.NewHandleAt,
//     a veth peer created directly in its namespace) no thread switches at all.
package nsrun

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Prefix starts the name of every kernel object nswasi creates.
const Prefix = "nswasi-"

// DefaultPool is where namespace subnets come from: 198.18.0.0/15 is
// reserved for network benchmarking (RFC 2544) and is never routed, so an
// address from it cannot collide with a real network's.
var DefaultPool = netip.MustParsePrefix("198.18.0.0/16")

// DefaultStateDir holds the records of what nswasi created.
const DefaultStateDir = "/run/nswasi"

// StateDirEnv, when set, replaces DefaultStateDir for every command of
// this process. Tests set it so that `nswasi clean` judges only the
// records of the nswasi processes they started, on a machine where others
// run nswasi too.
const StateDirEnv = "NSWASI_STATE_DIR"

// Options configure namespace creation.
type Options struct {
	// Pool is the range namespace subnets are carved from, one /30 each.
	// Zero means DefaultPool.
	Pool netip.Prefix
	// StateDir holds records and the allocation lock. Empty means
	// $NSWASI_STATE_DIR, or DefaultStateDir if that is not set.
	StateDir string
	// Shape sets link conditions on the veth; the zero value sets none.
	Shape Shape
}

func (o Options) pool() netip.Prefix {
	if o.Pool.IsValid() {
		return o.Pool.Masked()
	}
	return DefaultPool
}

func (o Options) stateDir() string {
	if o.StateDir != "" {
		return o.StateDir
	}
	if d := os.Getenv(StateDirEnv); d != "" {
		return d
	}
	return DefaultStateDir
}

// Namespace is a named network namespace created by nswasi, with loopback
// up and a veth pair to nswasi's own namespace.
type Namespace struct {
	// Name is the namespace's name in /run/netns (ip netns list).
	Name string
	// HostLink and PeerLink name the veth ends: HostLink in nswasi's
	// namespace, PeerLink inside Name.
	HostLink, PeerLink string
	// HostAddr and PeerAddr are the two ends' addresses in one /30.
	HostAddr, PeerAddr netip.Prefix

	handle netns.NsHandle
	// rec is set once this Namespace's record is claimed; ownNetns and
	// ownLink once it has (perhaps half) made the namespace and the veth.
	// Close removes only what they name, never a namesake of another owner.
	rec               *registry
	ownNetns, ownLink bool
}

// idTries bounds how often New draws a fresh ID after finding one taken.
const idTries = 16

// New creates a namespace. On error nothing it created is left behind, and
// nothing it did not create is touched: an ID that a record or a kernel
// object already carries is detected before or while the object is
// created, and New draws another.
func New(opts Options) (*Namespace, error) {
	for range idTries {
		ns, err := create(opts)
		if errors.Is(err, errTaken) {
			continue
		}
		return ns, err
	}
	return nil, fmt.Errorf("create network namespace: %d IDs in a row were taken", idTries)
}

func create(opts Options) (ns *Namespace, err error) {
	reg := &registry{dir: opts.stateDir()}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	ns = &Namespace{
		Name:     Prefix + id,
		HostLink: Prefix + id + "h",
		PeerLink: Prefix + id + "g",
		handle:   netns.None(),
	}
	// From choosing the subnet until its address is on the host veth,
	// where every other allocator sees it, no other nswasi may choose:
	// records tell only the processes sharing a state directory.
	unlock, err := allocLock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// The record is claimed, under the allocation lock, before any object
	// exists, so that a kill at any later point leaves something that
	// `nswasi clean` can find and attribute; claiming fails, writing
	// nothing, if the ID is taken.
	subnet, err := reg.allocate(Record{ID: id, Netns: ns.Name, Links: []string{ns.HostLink}}, opts.pool())
	if err != nil {
		return nil, err
	}
	ns.rec = reg
	ns.HostAddr = netip.PrefixFrom(subnet.Addr().Next(), subnet.Bits())
	ns.PeerAddr = netip.PrefixFrom(ns.HostAddr.Addr().Next(), subnet.Bits())
	defer func() {
		if err != nil {
			err = errors.Join(err, ns.Close())
			ns = nil
		}
	}()

	// netns.NewNamed unshares the calling thread: give it a throwaway one.
	err = onFreshThread(func() error {
		h, err := netns.NewNamed(ns.Name)
		ns.handle = h
		if errors.Is(err, os.ErrExist) {
			// Someone else's, made since allocate looked: not ours to remove.
			return fmt.Errorf("create network namespace %s: %w", ns.Name, errTaken)
		}
		// Any other failure may have left our half-made mount point.
		ns.ownNetns = true
		if err != nil {
			return fmt.Errorf("create network namespace %s: %w", ns.Name, err)
		}
		return nil
	})
	if err != nil {
		return ns, err
	}

	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: ns.HostLink},
		PeerName:      ns.PeerLink,
		PeerNamespace: netlink.NsFd(int(ns.handle)),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		if errors.Is(err, os.ErrExist) {
			return ns, fmt.Errorf("create veth %s: %w", ns.HostLink, errTaken)
		}
		return ns, fmt.Errorf("create veth %s: %w", ns.HostLink, err)
	}
	ns.ownLink = true
	if err := netlink.AddrAdd(veth, &netlink.Addr{IPNet: ipnet(ns.HostAddr)}); err != nil {
		return ns, fmt.Errorf("address %s on %s: %w", ns.HostAddr, ns.HostLink, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return ns, fmt.Errorf("set %s up: %w", ns.HostLink, err)
	}
	unlock()

	h, err := netlink.NewHandleAt(ns.handle)
	if err != nil {
		return ns, fmt.Errorf("netlink in %s: %w", ns.Name, err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err == nil {
		err = h.LinkSetUp(lo)
	}
	if err != nil {
		return ns, fmt.Errorf("loopback up in %s: %w", ns.Name, err)
	}
	peer, err := h.LinkByName(ns.PeerLink)
	if err != nil {
		return ns, fmt.Errorf("find %s in %s: %w", ns.PeerLink, ns.Name, err)
	}
	if err := h.AddrAdd(peer, &netlink.Addr{IPNet: ipnet(ns.PeerAddr)}); err != nil {
		return ns, fmt.Errorf("address %s on %s: %w", ns.PeerAddr, ns.PeerLink, err)
	}
	if err := h.LinkSetUp(peer); err != nil {
		return ns, fmt.Errorf("set %s up: %w", ns.PeerLink, err)
	}
	if err := ns.applyShape(opts.Shape, h); err != nil {
		return ns, fmt.Errorf("shape %s: %w", ns.HostLink, err)
	}
	return ns, nil
}

// Do runs fn inside the namespace on a fresh OS thread, and waits for it.
// The thread is discarded afterwards.
func (ns *Namespace) Do(fn func() error) error {
	return onFreshThread(func() error {
		if err := netns.Set(ns.handle); err != nil {
			return fmt.Errorf("enter %s: %w", ns.Name, err)
		}
		return fn()
	})
}

// Spawn starts fn inside the namespace on a fresh OS thread that stays
// locked until fn returns and is then discarded. It returns once the
// thread has entered the namespace; on error fn does not run. A child
// process forked by fn starts in the namespace.
func (ns *Namespace) Spawn(fn func()) error {
	entered := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see the package comment
		if err := netns.Set(ns.handle); err != nil {
			entered <- fmt.Errorf("enter %s: %w", ns.Name, err)
			return
		}
		entered <- nil
		fn()
	}()
	return <-entered
}

// Close removes the veth pair and the namespace and its record. Processes
// still inside keep the namespace alive until they exit, but it is no
// longer reachable or named.
func (ns *Namespace) Close() error {
	var errs []error
	if ns.ownLink {
		if l, err := netlink.LinkByName(ns.HostLink); err == nil {
			if err := netlink.LinkDel(l); err != nil {
				errs = append(errs, fmt.Errorf("delete %s: %w", ns.HostLink, err))
			}
		}
	}
	if ns.handle.IsOpen() {
		ns.handle.Close()
	}
	if ns.ownNetns {
		if err := deleteNamed(ns.Name); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 && ns.rec != nil {
		// Keep the record if anything is left, so that clean can retry.
		errs = append(errs, ns.rec.remove(strings.TrimPrefix(ns.Name, Prefix)))
	}
	return errors.Join(errs...)
}

// deleteNamed removes a named namespace's mount point; a name that is not
// there is not an error.
func deleteNamed(name string) error {
	path := filepath.Join("/run/netns", name)
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := netns.DeleteNamed(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		// A mount point whose mount already went (say, a half-made
		// namespace) is just a file.
		if rmErr := os.Remove(path); rmErr != nil {
			return fmt.Errorf("delete namespace %s: %w", name, err)
		}
	}
	return nil
}

// allocLock takes the machine-wide subnet allocation lock (a flock, so a
// killed holder releases it) and returns its release, which may be called
// more than once.
func allocLock() (unlock func(), err error) {
	if err := os.MkdirAll(DefaultStateDir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(DefaultStateDir, "alloc.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("allocation lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("allocation lock: %w", err)
	}
	var once sync.Once
	return func() { once.Do(func() { f.Close() }) }, nil
}

// onFreshThread runs fn on a new goroutine locked to its own OS thread and
// waits for it. The goroutine exits without unlocking, so the runtime
// terminates the thread whatever fn did to it.
func onFreshThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		errc <- fn()
	}()
	return <-errc
}

// newID picks a namespace ID; tests replace it to force collisions.
var newID = randomID

func randomID() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
