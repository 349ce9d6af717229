package main

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// poll_oneoff is imported directly rather than through the Go runtime, so
// that the poll mode measures exactly the host calls the guest makes.
//
//go:wasmimport wasi_snapshot_preview1 poll_oneoff
//go:noescape
func pollOneoff(in, out unsafe.Pointer, nsubscriptions uint32, nevents unsafe.Pointer) uint32

// WASI preview 1 event types, clock ids and record sizes.
const (
	eventClock   = 0
	eventFdRead  = 1
	eventFdWrite = 2
	clockMono    = 1
	subSize      = 48
	eventSize    = 32
	clockUser    = ^uint64(0) // userdata of the timeout subscription
)

// A wasip1 module has one thread, and a poll_oneoff stops it: a goroutine
// that waited for its own descriptor alone would hold every other
// connection up for as long as its wait lasts. So the poll mode gathers:
// a goroutine about to wait queues its descriptor, and one of the waiting
// goroutines — the leader — sends every queued descriptor in a single
// poll_oneoff, the event loop any single-threaded program serving several
// connections is made of. With several connections a wait first asks for
// its own descriptor without waiting, and queues only if it is not ready.
// Before it polls, the leader yields once if some
// descriptor in use is not queued (its goroutine may be about to wait).
// It wakes the goroutines whose descriptors came back; once its own has,
// it hands the lead to a goroutine still waiting, if any. With one
// connection the only waiter is its own leader: one poll_oneoff per wait,
// no goroutine switch, no clock read — the calls the native guest makes
// with poll(2). The native guest keeps one poll(2) per goroutine: there a
// wait holds only its own thread.
// (RATIONALE.md → "The poll mode under wasip1 gathers its waits".)
type pollWaiter struct {
	fd      int
	write   bool
	timeout time.Duration // negative: no bound
	done    chan pollResult
}

type pollResult struct {
	answered bool // pollBatch answered the waiter: ready, failed or timed out
	ready    bool
	err      error
	lead     bool // the waiter is the leader now
}

var gather struct {
	mu         sync.Mutex
	queue      []*pollWaiter
	leading    bool // a goroutine is the leader
	subs, evts []byte
}

// waitFD waits for fd's readability (or writability), within the timeout
// of the poll it is answered by. It reports whether fd came back ready; an
// fd event carrying an error other than the connection's own (wazero
// answers ENOTSUP for fd_write) is an error.
func waitFD(fd int, write bool, timeout time.Duration) (bool, error) {
	if pollUsers.Load() <= 1 {
		return waitAlone(fd, write, timeout)
	}
	w := &pollWaiter{fd: fd, write: write, timeout: timeout}
	{
		// Several connections share the thread: first ask for this
		// descriptor alone, without waiting. A socket is mostly writable,
		// and often readable, at once; only a wait that would block joins
		// the gathered poll and its hand-offs between goroutines.
		var one [1]pollResult
		if r := pollBatch([]*pollWaiter{w}, true, one[:])[0]; r.answered {
			return r.ready, r.err
		}
	}
	g := &gather
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if g.leading {
		w.done = make(chan pollResult, 1)
		g.mu.Unlock()
		if r := <-w.done; !r.lead {
			return r.ready, r.err
		}
	} else {
		g.leading = true
		g.mu.Unlock()
	}
	return lead(w)
}

// alone is waitAlone's subscriptions and events: one descriptor and a
// clock.
var alone struct {
	subs [2 * subSize]byte
	evts [2 * eventSize]byte
}

// waitAlone is the wait of the only descriptor in use: one poll_oneoff for
// it and the timeout, with nothing queued, locked or allocated. Under
// wasip1 every allocation is paid again by the collector on the module's
// only thread, and a stream makes a wait per read.
func waitAlone(fd int, write bool, timeout time.Duration) (bool, error) {
	s := alone.subs[:]
	clear(s)
	putFdSub(s, 0, fd, write)
	nsubs := uint32(1)
	if timeout >= 0 {
		putClockSub(s[subSize:], timeout)
		nsubs++
	}
	var nevents uint32
	if errno := pollOneoff(unsafe.Pointer(&alone.subs[0]), unsafe.Pointer(&alone.evts[0]), nsubs, unsafe.Pointer(&nevents)); errno != 0 {
		return false, fmt.Errorf("poll_oneoff: %w", syscall.Errno(errno))
	}
	for i := uint32(0); i < nevents && i < nsubs; i++ {
		e := alone.evts[i*eventSize:]
		if binary.LittleEndian.Uint64(e[0:]) != 0 {
			continue // the clock
		}
		if err := eventError(e, fd); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// lead polls for every queued waiter until self is answered, then hands
// the lead on. While some descriptor in use has no wait queued, it first
// polls without waiting: if self is ready it goes on at once, and only
// otherwise yields, so that the others queue before a poll that waits.
func lead(self *pollWaiter) (bool, error) {
	g := &gather
	yielded := false
	var results []pollResult // reused from poll to poll
	for {
		g.mu.Lock()
		peek := !yielded && int64(len(g.queue)) < pollUsers.Load()
		batch := g.queue
		g.queue = nil
		g.mu.Unlock()

		results = pollBatch(batch, peek, results)
		var mine *pollResult
		var again []*pollWaiter
		g.mu.Lock()
		for i, w := range batch {
			switch r := &results[i]; {
			case !r.answered:
				again = append(again, w)
			case w == self:
				mine = r
			default:
				counters.Gathered.Add(1)
				w.done <- *r
			}
		}
		g.queue = append(again, g.queue...)
		if mine != nil {
			if len(g.queue) > 0 {
				g.queue[0].done <- pollResult{lead: true}
			} else {
				g.leading = false
			}
			g.mu.Unlock()
			return mine.ready, mine.err
		}
		g.mu.Unlock()
		yielded = peek
		if peek {
			runtime.Gosched()
		}
	}
}

// pollBatch sends batch in one poll_oneoff, with one clock subscription of
// the shortest timeout among them, and answers each waiter that is ready,
// failed, or — when the clock fired — timed out. A peek does not wait (a
// clock of zero) and times no waiter out. The answers go into results,
// grown to len(batch) if need be and returned: no allocation per poll.
func pollBatch(batch []*pollWaiter, peek bool, results []pollResult) []pollResult {
	g := &gather
	le := binary.LittleEndian
	n := len(batch) + 1
	if cap(g.subs) < n*subSize {
		g.subs, g.evts = make([]byte, 2*n*subSize), make([]byte, 2*n*eventSize)
	}
	subs, evts := g.subs[:n*subSize], g.evts[:n*eventSize]
	clear(subs)
	timeout := time.Duration(-1)
	for i, w := range batch {
		putFdSub(subs[i*subSize:], uint64(i), w.fd, w.write)
		if w.timeout >= 0 && (timeout < 0 || w.timeout < timeout) {
			timeout = w.timeout
		}
	}
	if peek {
		timeout = 0
	}
	nsubs := uint32(len(batch))
	if timeout >= 0 {
		putClockSub(subs[len(batch)*subSize:], timeout)
		nsubs++
	}
	if cap(results) < len(batch) {
		results = make([]pollResult, len(batch))
	}
	results = results[:len(batch)]
	clear(results)
	var nevents uint32
	if errno := pollOneoff(unsafe.Pointer(&subs[0]), unsafe.Pointer(&evts[0]), nsubs, unsafe.Pointer(&nevents)); errno != 0 {
		err := fmt.Errorf("poll_oneoff: %w", syscall.Errno(errno))
		for i := range results {
			results[i] = pollResult{answered: true, err: err}
		}
		return results
	}
	timedOut := false
	for i := uint32(0); i < nevents && i < nsubs; i++ {
		e := evts[i*eventSize:]
		u := le.Uint64(e[0:])
		if u == clockUser {
			timedOut = true
			continue
		}
		if u >= uint64(len(batch)) || results[u].answered {
			continue // not ours, or a second event for one waiter
		}
		if err := eventError(e, batch[u].fd); err != nil {
			results[u] = pollResult{answered: true, err: err}
			continue
		}
		results[u] = pollResult{answered: true, ready: true}
	}
	if timedOut && !peek {
		for i, w := range batch {
			if !results[i].answered && w.timeout >= 0 {
				results[i] = pollResult{answered: true}
			}
		}
	}
	return results
}

// waitAnyReadFD is waitAnyRead's poll_oneoff: one batch of its own, not
// the gathered queue, since the loop that calls it is the only goroutine
// serving its connections.
func waitAnyReadFD(fds []int, timeout time.Duration, ready []bool) error {
	l := &loopScratch
	for len(l.waiters) < len(fds) {
		l.waiters = append(l.waiters, &pollWaiter{})
	}
	batch := l.waiters[:len(fds)]
	for i, fd := range fds {
		*batch[i] = pollWaiter{fd: fd, timeout: timeout}
	}
	l.results = pollBatch(batch, false, l.results)
	for i, r := range l.results {
		if r.err != nil {
			return r.err
		}
		ready[i] = r.ready
	}
	return nil
}

// loopScratch is waitAnyReadFD's, reused from wait to wait.
var loopScratch struct {
	waiters []*pollWaiter
	results []pollResult
}

// putFdSub writes an fd_read (or fd_write) subscription for fd.
func putFdSub(s []byte, userdata uint64, fd int, write bool) {
	binary.LittleEndian.PutUint64(s[0:], userdata)
	s[8] = eventFdRead
	if write {
		s[8] = eventFdWrite
	}
	binary.LittleEndian.PutUint32(s[16:], uint32(fd))
}

// putClockSub writes the timeout's subscription: the monotonic clock,
// relative, with clockUser as its userdata.
func putClockSub(c []byte, timeout time.Duration) {
	le := binary.LittleEndian
	le.PutUint64(c[0:], clockUser)
	c[8] = eventClock
	le.PutUint32(c[16:], clockMono)
	le.PutUint64(c[24:], uint64(timeout.Nanoseconds()))
	le.PutUint64(c[32:], 1000) // precision 1 µs
}

// eventError is the error an fd event carries, unless it is the
// connection's own (see connectionError): then the descriptor is ready.
func eventError(e []byte, fd int) error {
	errno := syscall.Errno(binary.LittleEndian.Uint16(e[8:]))
	if errno == 0 || connectionError(errno) {
		return nil
	}
	what := "fd_read"
	if e[10] == eventFdWrite {
		what = "fd_write"
	}
	return fmt.Errorf("poll_oneoff %s subscription on fd %d: %w", what, fd, errno)
}

// connectionError says whether an event's error is the connection's own
// (the peer reset it, or went away): then, as poll(2)'s POLLERR, the
// descriptor is ready and the next call reports the error. Any other error
// means the subscription itself could not be served.
func connectionError(errno syscall.Errno) bool {
	switch errno {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED, syscall.ECONNREFUSED,
		syscall.ENOTCONN, syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH:
		return true
	}
	return false
}

// oneThread says that a blocking call stops every goroutine.
const oneThread = true

// noDelay does nothing: preview 1 has no socket options, so the host
// decides (wazero's sock_accept goes through Go's net, which turns Nagle
// off; nswasi's host does the same on purpose).
func noDelay(int) {}
