package wasip1

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
	"golang.org/x/sys/unix"
)

// memoryModule is a module that has nothing but one exported page of
// memory: host functions are called directly with it as their caller.
var memoryModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // export "memory"
}

// fixture is a host with a guest memory to call it with.
type fixture struct {
	t   testing.TB
	ctx context.Context
	h   *Host
	m   api.Module
	mem api.Memory
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	t.Cleanup(func() { r.Close(ctx) })
	h, err := Instantiate(ctx, r, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	m, err := r.Instantiate(ctx, memoryModule)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, h: h, m: m, mem: m.Memory()}
}

// call runs the host function name with params, as the guest would.
func (f *fixture) call(name string, params ...uint64) Errno {
	f.t.Helper()
	for _, fn := range functions {
		if fn.name == name {
			if len(params) != len(fn.params) {
				f.t.Fatalf("%s takes %d parameters, got %d", name, len(fn.params), len(params))
			}
			return fn.call(f.h, f.ctx, f.m, params)
		}
	}
	f.t.Fatalf("no host function %s", name)
	return 0
}

func (f *fixture) u32(ptr uint32) uint32 {
	v, _ := f.mem.ReadUint32Le(ptr)
	return v
}

func (f *fixture) u64(ptr uint32) uint64 {
	v, _ := f.mem.ReadUint64Le(ptr)
	return v
}

// str puts s in memory at ptr and returns ptr and len, as path arguments.
func (f *fixture) str(ptr uint32, s string) (uint64, uint64) {
	f.mem.Write(ptr, []byte(s))
	return uint64(ptr), uint64(len(s))
}

// Memory layout of the tests: scratch results low, strings at 1024,
// subscriptions at 4096, events at 8192, buffers at 16384.
const (
	resPtr  = 16
	strPtr  = 1024
	subPtr  = 4096
	evPtr   = 8192
	bufPtr  = 16384
	iovsPtr = 512
)

func TestArgsEnvRoundTrip(t *testing.T) {
	f := newFixture(t, Config{Args: []string{"prog", "a b", ""}, Env: []string{"K=V", "EMPTY="}})
	if e := f.call("args_sizes_get", resPtr, resPtr+4); e != 0 {
		t.Fatal(e)
	}
	if argc, size := f.u32(resPtr), f.u32(resPtr+4); argc != 3 || size != 5+4+1 {
		t.Fatalf("args_sizes_get = %d, %d", argc, size)
	}
	if e := f.call("args_get", iovsPtr, bufPtr); e != 0 {
		t.Fatal(e)
	}
	b, _ := f.mem.Read(bufPtr, 10)
	if string(b) != "prog\x00a b\x00\x00" || f.u32(iovsPtr+4) != bufPtr+5 {
		t.Fatalf("args_get wrote %q, argv[1] at %d", b, f.u32(iovsPtr+4))
	}
	if e := f.call("environ_get", iovsPtr, 1<<16-2); e != ErrnoFault {
		t.Fatalf("environ_get past the end of memory = %d, want EFAULT", e)
	}
}

func TestClocks(t *testing.T) {
	f := newFixture(t, Config{})
	for id := uint64(0); id < 4; id++ {
		if e := f.call("clock_time_get", id, 0, resPtr); e != 0 {
			t.Fatalf("clock %d: %d", id, e)
		}
		if e := f.call("clock_res_get", id, resPtr+8); e != 0 || f.u64(resPtr+8) == 0 {
			t.Fatalf("clock %d resolution: %d, %d", id, e, f.u64(resPtr+8))
		}
	}
	if e := f.call("clock_time_get", 4, 0, resPtr); e != ErrnoInval {
		t.Fatalf("clock 4 = %d, want EINVAL", e)
	}
	f.call("clock_time_get", 0, 0, resPtr)
	if d := time.Since(time.Unix(0, int64(f.u64(resPtr)))); d < 0 || d > time.Minute {
		t.Fatalf("realtime clock off by %v", d)
	}
	// The monotonic clock is read from Go's clock, not asked of the
	// kernel: it must still be the kernel's CLOCK_MONOTONIC.
	for range 3 {
		var before, after unix.Timespec
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &before)
		f.call("clock_time_get", 1, 0, resPtr)
		unix.ClockGettime(unix.CLOCK_MONOTONIC, &after)
		got := int64(f.u64(resPtr))
		if slack := int64(100 * time.Microsecond); got < before.Nano()-slack || got > after.Nano()+slack {
			t.Fatalf("monotonic clock %d, kernel's between %d and %d", got, before.Nano(), after.Nano())
		}
	}
}

func TestRandomGet(t *testing.T) {
	f := newFixture(t, Config{})
	if e := f.call("random_get", bufPtr, 4096); e != 0 {
		t.Fatal(e)
	}
	b, _ := f.mem.Read(bufPtr, 4096)
	zeros := 0
	for _, c := range b {
		if c == 0 {
			zeros++
		}
	}
	if zeros > 100 { // expected 16 of 4096
		t.Fatalf("%d zero bytes of 4096: not random", zeros)
	}
	if e := f.call("random_get", 1<<16-10, 11); e != ErrnoFault {
		t.Fatalf("random_get past memory = %d, want EFAULT", e)
	}
}

func TestProcExit(t *testing.T) {
	f := newFixture(t, Config{})
	defer func() {
		var exit *sys.ExitError
		if r := recover(); r == nil || !errors.As(r.(error), &exit) || exit.ExitCode() != 3 {
			t.Fatalf("proc_exit(3) panicked with %v, want sys.ExitError 3", r)
		}
	}()
	f.call("proc_exit", 3)
}

// preopen gives a fixture a temporary directory as fd 3 and an outside
// directory beside it holding a secret.
func preopen(t *testing.T, readOnly bool) (*fixture, string, string) {
	root := t.TempDir()
	inside, outside := filepath.Join(root, "in"), filepath.Join(root, "out")
	for _, d := range []string{inside, outside, filepath.Join(inside, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("outside"), 0o644))
	must(t, os.WriteFile(filepath.Join(inside, "sub", "file"), []byte("inside"), 0o644))
	must(t, os.Symlink("../../out/secret", filepath.Join(inside, "sub", "escape-file")))
	must(t, os.Symlink("../out", filepath.Join(inside, "escape-dir")))
	must(t, os.Symlink("/etc/passwd", filepath.Join(inside, "absolute")))
	must(t, os.Symlink("sub/file", filepath.Join(inside, "inside-link")))
	must(t, os.Symlink("../sub/./file", filepath.Join(inside, "sub", "round-trip")))
	f := newFixture(t, Config{Dirs: []Dir{{HostPath: inside, GuestPath: "/data", ReadOnly: readOnly}}})
	return f, inside, outside
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// open calls path_open on fd 3 and returns the new fd or the error.
func (f *fixture) open(path string, follow bool, oflags uint64, rights uint64) (uint32, Errno) {
	p, n := f.str(strPtr, path)
	dirflags := uint64(0)
	if follow {
		dirflags = lookupSymlinkFollow
	}
	e := f.call("path_open", 3, dirflags, p, n, oflags, rights, 0, 0, resPtr)
	return f.u32(resPtr), e
}

func (f *fixture) read(fd uint32) (string, Errno) {
	f.mem.WriteUint32Le(iovsPtr, bufPtr)
	f.mem.WriteUint32Le(iovsPtr+4, 4096)
	e := f.call("fd_read", uint64(fd), iovsPtr, 1, resPtr)
	b, _ := f.mem.Read(bufPtr, f.u32(resPtr))
	return string(b), e
}

// TestPathsStayBeneath is the heart of the file-system promise, for both
// resolvers: openat2 and the walk that replaces it on old kernels.
func TestPathsStayBeneath(t *testing.T) {
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			noOpenat2.Store(walk)
			t.Cleanup(func() { noOpenat2.Store(false) })
			f, _, _ := preopen(t, false)
			for _, c := range []struct {
				path   string
				follow bool
				want   Errno  // 0: opens and reads want content
				body   string // expected content
			}{
				{"sub/file", false, 0, "inside"},
				{"inside-link", true, 0, "inside"},
				{"sub/round-trip", true, 0, "inside"},
				{"sub/../sub/file", false, 0, "inside"},
				{"./sub//file", false, 0, "inside"},
				{"inside-link", false, ErrnoLoop, ""},
				{"sub/escape-file", true, ErrnoNotcapable, ""},
				{"escape-dir/secret", false, ErrnoNotcapable, ""},
				{"absolute", true, ErrnoNotcapable, ""},
				{"../out/secret", false, ErrnoNotcapable, ""},
				{"sub/../../out/secret", false, ErrnoNotcapable, ""},
				{"/etc/passwd", false, ErrnoNotcapable, ""},
				{"sub/file/", false, ErrnoNotdir, ""},
				{"missing", false, ErrnoNoent, ""},
				{"sub/file\x00", false, ErrnoInval, ""},
			} {
				fd, e := f.open(c.path, c.follow, 0, RightFdRead)
				if e != c.want {
					t.Errorf("path_open(%q, follow=%v) = errno %d, want %d", c.path, c.follow, e, c.want)
					continue
				}
				if e != 0 {
					continue
				}
				if got, e := f.read(fd); e != 0 || got != c.body {
					t.Errorf("read %q = %q (errno %d), want %q", c.path, got, e, c.body)
				}
				f.call("fd_close", uint64(fd))
			}
			// The same promise holds for every other path call.
			p, n := f.str(strPtr, "escape-dir/new")
			if e := f.call("path_create_directory", 3, p, n); e != ErrnoNotcapable {
				t.Errorf("mkdir through an escaping link = %d, want ENOTCAPABLE", e)
			}
			p, n = f.str(strPtr, "escape-dir/secret")
			if e := f.call("path_filestat_get", 3, lookupSymlinkFollow, p, n, bufPtr); e != ErrnoNotcapable {
				t.Errorf("stat through an escaping link = %d, want ENOTCAPABLE", e)
			}
			p, n = f.str(strPtr, "sub/..")
			q, m := f.str(strPtr+100, "..")
			if e := f.call("path_filestat_set_times", 3, 0, q, m, 0, 0, fstMtimNow); e != ErrnoNotcapable {
				t.Errorf("set times on .. = %d, want ENOTCAPABLE", e)
			}
			if e := f.call("path_filestat_get", 3, 0, p, n, bufPtr); e != 0 {
				t.Errorf("stat sub/.. = %d, want success", e)
			}
			if ft, _ := f.mem.ReadByte(bufPtr + 16); ft != filetypeDirectory {
				t.Errorf("sub/.. has file type %d, want a directory", ft)
			}
		})
	}
}

func TestReadOnlyGrant(t *testing.T) {
	f, inside, _ := preopen(t, true)
	if e := f.call("fd_fdstat_get", 3, bufPtr); e != 0 {
		t.Fatal(e)
	}
	if base := f.u64(bufPtr + 8); base&(RightFdWrite|RightPathCreateFile|RightPathUnlinkFile) != 0 {
		t.Fatalf("read-only preopen reports rights %#x", base)
	}
	if _, e := f.open("sub/file", false, 0, RightFdRead|RightFdWrite); e != ErrnoNotcapable {
		t.Errorf("open for writing = %d, want ENOTCAPABLE", e)
	}
	if _, e := f.open("new", false, oflagCreat, RightFdRead); e != ErrnoNotcapable {
		t.Errorf("create = %d, want ENOTCAPABLE", e)
	}
	if _, e := f.open("sub/file", false, oflagTrunc, RightFdRead); e != ErrnoNotcapable {
		t.Errorf("truncate = %d, want ENOTCAPABLE", e)
	}
	p, n := f.str(strPtr, "sub/file")
	if e := f.call("path_unlink_file", 3, p, n); e != ErrnoNotcapable {
		t.Errorf("unlink = %d, want ENOTCAPABLE", e)
	}
	fd, e := f.open("sub/file", false, 0, RightFdRead|RightFdFilestatSetSize)
	if e != 0 {
		t.Fatalf("open for reading = %d", e)
	}
	if e := f.call("fd_filestat_set_size", uint64(fd), 0); e != ErrnoNotcapable {
		t.Errorf("ftruncate = %d, want ENOTCAPABLE", e)
	}
	if b, _ := os.ReadFile(filepath.Join(inside, "sub", "file")); string(b) != "inside" {
		t.Errorf("the file changed to %q", b)
	}
}

// conn gives a fixture a connected TCP socket as a guest descriptor and
// returns the peer's end.
func (f *fixture) conn(t *testing.T) (uint32, *net.TCPConn) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must(t, err)
	defer ln.Close()
	c, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	must(t, err)
	t.Cleanup(func() { c.Close() })
	s, err := ln.AcceptTCP()
	must(t, err)
	file, err := s.File()
	must(t, err)
	s.Close()
	defer file.Close()
	fd, err := unix.FcntlInt(file.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	must(t, err)
	must(t, unix.SetNonblock(fd, true))
	return f.h.add(&entry{fd: fd, filetype: filetypeSocketStream, base: rightsSocket, owned: true}), c
}

// poll runs poll_oneoff on subscriptions made by subs and returns the
// events and how long the call took.
type testEvent struct {
	userdata uint64
	errno    Errno
	typ      uint8
	nbytes   uint64
	flags    uint16
}

func (f *fixture) poll(subs ...[]byte) ([]testEvent, time.Duration, Errno) {
	for i, s := range subs {
		f.mem.Write(subPtr+uint32(i)*subscriptionSize, s)
	}
	start := time.Now()
	e := f.call("poll_oneoff", subPtr, evPtr, uint64(len(subs)), resPtr)
	took := time.Since(start)
	var evs []testEvent
	for i := uint32(0); e == 0 && i < f.u32(resPtr); i++ {
		b, _ := f.mem.Read(evPtr+i*eventSize, eventSize)
		evs = append(evs, testEvent{binary.LittleEndian.Uint64(b), Errno(binary.LittleEndian.Uint16(b[8:])), b[10],
			binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint16(b[24:])})
	}
	return evs, took, e
}

func clockSub(userdata uint64, timeout time.Duration) []byte {
	b := make([]byte, subscriptionSize)
	binary.LittleEndian.PutUint64(b, userdata)
	b[8] = eventtypeClock
	binary.LittleEndian.PutUint32(b[16:], 1) // monotonic
	binary.LittleEndian.PutUint64(b[24:], uint64(timeout))
	return b
}

func fdSub(userdata uint64, typ uint8, fd uint32) []byte {
	b := make([]byte, subscriptionSize)
	binary.LittleEndian.PutUint64(b, userdata)
	b[8] = typ
	binary.LittleEndian.PutUint32(b[16:], fd)
	return b
}

func TestPollWakesOnData(t *testing.T) {
	f := newFixture(t, Config{})
	fd, peer := f.conn(t)
	go func() {
		time.Sleep(300 * time.Millisecond)
		peer.Write([]byte("hello"))
	}()
	evs, took, e := f.poll(fdSub(7, eventtypeFdRead, fd), clockSub(9, 5*time.Second))
	if e != 0 || len(evs) != 1 || evs[0].userdata != 7 || evs[0].typ != eventtypeFdRead || evs[0].errno != 0 {
		t.Fatalf("poll_oneoff = %v, %+v; want one fd_read event", e, evs)
	}
	if took < 250*time.Millisecond || took > 2*time.Second {
		t.Fatalf("woke after %v, want about 300ms", took)
	}
	if evs[0].nbytes != 5 {
		t.Errorf("nbytes = %d, want 5", evs[0].nbytes)
	}
}

func TestPollIdleTimesOut(t *testing.T) {
	f := newFixture(t, Config{})
	fd, _ := f.conn(t)
	evs, took, e := f.poll(fdSub(7, eventtypeFdRead, fd), clockSub(9, 200*time.Millisecond))
	if e != 0 || len(evs) != 1 || evs[0].userdata != 9 || evs[0].typ != eventtypeClock {
		t.Fatalf("poll_oneoff = %v, %+v; want only the clock", e, evs)
	}
	if took < 200*time.Millisecond || took > 2*time.Second {
		t.Fatalf("returned after %v, want 200ms", took)
	}
}

func TestPollWriteReadyAtOnce(t *testing.T) {
	f := newFixture(t, Config{})
	fd, _ := f.conn(t)
	evs, took, e := f.poll(fdSub(7, eventtypeFdRead, fd), fdSub(8, eventtypeFdWrite, fd), clockSub(9, 5*time.Second))
	if e != 0 || len(evs) != 1 || evs[0].userdata != 8 || evs[0].nbytes == 0 {
		t.Fatalf("poll_oneoff = %v, %+v; want only fd_write, with room", e, evs)
	}
	if took > time.Second {
		t.Fatalf("took %v", took)
	}
}

func TestPollHangup(t *testing.T) {
	f := newFixture(t, Config{})
	fd, peer := f.conn(t)
	peer.Close()
	evs, _, e := f.poll(fdSub(7, eventtypeFdRead, fd))
	if e != 0 || len(evs) != 1 || evs[0].flags&eventHangup == 0 {
		t.Fatalf("poll_oneoff after the peer closed = %v, %+v; want fd_read with hang-up", e, evs)
	}
}

func TestPollBadFD(t *testing.T) {
	f := newFixture(t, Config{})
	evs, _, e := f.poll(fdSub(7, eventtypeFdRead, 99), clockSub(9, 5*time.Second))
	if e != 0 || len(evs) != 1 || evs[0].errno != ErrnoBadf {
		t.Fatalf("poll_oneoff on a bad fd = %v, %+v; want an EBADF event at once", e, evs)
	}
	if _, _, e := f.poll(); e != ErrnoInval {
		t.Fatalf("poll_oneoff of nothing = %d, want EINVAL", e)
	}
}

func TestPollAbsoluteClock(t *testing.T) {
	f := newFixture(t, Config{})
	sub := clockSub(9, 0)
	binary.LittleEndian.PutUint32(sub[16:], 0) // realtime
	binary.LittleEndian.PutUint64(sub[24:], uint64(time.Now().Add(150*time.Millisecond).UnixNano()))
	binary.LittleEndian.PutUint16(sub[40:], subclockAbstime)
	evs, took, e := f.poll(sub)
	if e != 0 || len(evs) != 1 || took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("absolute realtime clock: %v, %+v after %v; want the clock after 150ms", e, evs, took)
	}
}

// TestPollWithoutClockIdlesAndStops: a guest waiting with no clock costs
// no CPU, and stopping the host ends the wait.
func TestPollWithoutClockIdlesAndStops(t *testing.T) {
	f := newFixture(t, Config{})
	fd, _ := f.conn(t)
	var before, after unix.Rusage
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		f.poll(fdSub(7, eventtypeFdRead, fd))
	}()
	time.Sleep(50 * time.Millisecond)
	unix.Getrusage(unix.RUSAGE_SELF, &before)
	time.Sleep(500 * time.Millisecond)
	unix.Getrusage(unix.RUSAGE_SELF, &after)
	select {
	case r := <-done:
		t.Fatalf("poll_oneoff without a clock returned on an idle socket (%v)", r)
	default:
	}
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
	if cpu > 50*time.Millisecond {
		t.Errorf("waiting 500ms used %v of CPU", cpu)
	}
	f.h.Interrupt(sys.ExitCodeDeadlineExceeded)
	select {
	case r := <-done:
		var exit *sys.ExitError
		if err, ok := r.(error); !ok || !errors.As(err, &exit) || exit.ExitCode() != sys.ExitCodeDeadlineExceeded {
			t.Fatalf("interrupted poll ended with %v, want the deadline exit", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Interrupt did not end poll_oneoff")
	}
}

func TestCloseSendsEOFAtOnce(t *testing.T) {
	f := newFixture(t, Config{})
	fd, peer := f.conn(t)
	if e := f.call("fd_close", uint64(fd)); e != 0 {
		t.Fatal(e)
	}
	peer.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := peer.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("peer read after fd_close = %d, %v; want EOF within 100ms", n, err)
	}
}
