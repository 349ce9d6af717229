package wasip1

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listener gives a fixture a listening socket as a preopen would, and
// returns its guest fd and address.
func (f *fixture) listener(t *testing.T) (uint32, string) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must(t, err)
	file, err := ln.File()
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	defer file.Close()
	fd, err := unix.FcntlInt(file.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	must(t, err)
	must(t, unix.SetNonblock(fd, true))
	return f.h.add(&entry{fd: fd, filetype: filetypeSocketStream, base: rightsListener, listener: true, owned: true}), addr
}

func TestSockAccept(t *testing.T) {
	f := newFixture(t, Config{})
	l, addr := f.listener(t)
	// Non-blocking listener, nothing pending: EAGAIN at once.
	if e := f.call("fd_fdstat_set_flags", uint64(l), uint64(fdflagNonblock)); e != 0 {
		t.Fatal(e)
	}
	if e := f.call("sock_accept", uint64(l), 0, resPtr); e != ErrnoAgain {
		t.Fatalf("sock_accept with nothing pending = %d, want EAGAIN", e)
	}
	// Blocking listener: waits for the connection.
	f.call("fd_fdstat_set_flags", uint64(l), 0)
	go func() {
		time.Sleep(100 * time.Millisecond)
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Write([]byte("hi"))
			defer c.Close()
			time.Sleep(time.Second)
		}
	}()
	start := time.Now()
	if e := f.call("sock_accept", uint64(l), uint64(fdflagNonblock), resPtr); e != 0 {
		t.Fatalf("blocking sock_accept = %d", e)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("blocking sock_accept returned after %v, before the connection came", d)
	}
	c := f.u32(resPtr)
	f.call("fd_fdstat_get", uint64(c), bufPtr)
	if ft, _ := f.mem.ReadByte(bufPtr); ft != filetypeSocketStream {
		t.Errorf("accepted fd has file type %d", ft)
	}
	if fl, _ := f.mem.ReadUint16Le(bufPtr + 2); fl != fdflagNonblock {
		t.Errorf("accepted fd has flags %#x, want the NONBLOCK it was asked for", fl)
	}
	// Every TCP connection Go's net makes has Nagle off, natively and
	// under wazero; so does one nswasi's host accepts.
	e, _ := f.h.get(c, 0)
	if v, err := unix.GetsockoptInt(e.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
		t.Errorf("accepted socket: TCP_NODELAY = %d (%v), want it on", v, err)
	}
	if e := f.call("sock_accept", uint64(l), 0x10, resPtr); e != ErrnoInval {
		t.Errorf("sock_accept with unknown flags = %d, want EINVAL", e)
	}
	if e := f.call("sock_accept", uint64(c), 0, resPtr); e != ErrnoNotcapable {
		t.Errorf("sock_accept on a connection = %d, want ENOTCAPABLE", e)
	}
}

func (f *fixture) recv(fd uint32, n uint32, flags uint64) (string, Errno) {
	f.mem.WriteUint32Le(iovsPtr, bufPtr)
	f.mem.WriteUint32Le(iovsPtr+4, n)
	e := f.call("sock_recv", uint64(fd), iovsPtr, 1, flags, resPtr, resPtr+4)
	b, _ := f.mem.Read(bufPtr, f.u32(resPtr))
	return string(b), e
}

func TestSockRecvSendShutdown(t *testing.T) {
	f := newFixture(t, Config{})
	fd, peer := f.conn(t)
	peer.Write([]byte("hello"))
	time.Sleep(20 * time.Millisecond)
	if got, e := f.recv(fd, 5, riflagRecvPeek); e != 0 || got != "hello" {
		t.Fatalf("peek = %q, %d", got, e)
	}
	if got, e := f.recv(fd, 5, 0); e != 0 || got != "hello" {
		t.Fatalf("recv after peek = %q, %d; peeking must leave the data", got, e)
	}
	go func() {
		peer.Write([]byte("ab"))
		time.Sleep(50 * time.Millisecond)
		peer.Write([]byte("cd"))
	}()
	if got, e := f.recv(fd, 4, riflagRecvWaitall); e != 0 || got != "abcd" {
		t.Fatalf("waitall = %q, %d; want all four bytes", got, e)
	}
	if _, e := f.recv(fd, 4, 0x4); e != ErrnoInval {
		t.Fatalf("recv with unknown flags = %d, want EINVAL", e)
	}

	f.mem.Write(bufPtr, []byte("world"))
	f.mem.WriteUint32Le(iovsPtr, bufPtr)
	f.mem.WriteUint32Le(iovsPtr+4, 5)
	if e := f.call("sock_send", uint64(fd), iovsPtr, 1, 0, resPtr); e != 0 || f.u32(resPtr) != 5 {
		t.Fatalf("sock_send = %d, %d bytes", e, f.u32(resPtr))
	}
	if e := f.call("sock_shutdown", uint64(fd), 0); e != ErrnoInval {
		t.Fatalf("sock_shutdown(0) = %d, want EINVAL", e)
	}
	if e := f.call("sock_shutdown", uint64(fd), sdflagWr); e != 0 {
		t.Fatal(e)
	}
	peer.SetReadDeadline(time.Now().Add(time.Second))
	if b, err := io.ReadAll(peer); err != nil || !bytes.Equal(b, []byte("world")) {
		t.Fatalf("peer read %q, %v; want the data then EOF", b, err)
	}
	if e := f.call("sock_shutdown", 1, sdflagWr); e != ErrnoNotsock {
		t.Fatalf("sock_shutdown on stdout = %d, want ENOTSOCK", e)
	}
}

// A connection the guest made non-blocking answers EAGAIN when empty; a
// blocking one waits for the data.
func TestReadModes(t *testing.T) {
	f := newFixture(t, Config{})
	fd, peer := f.conn(t)
	f.call("fd_fdstat_set_flags", uint64(fd), uint64(fdflagNonblock))
	if _, e := f.read(fd); e != ErrnoAgain {
		t.Fatalf("non-blocking read of an empty socket = %d, want EAGAIN", e)
	}
	f.call("fd_fdstat_set_flags", uint64(fd), 0)
	go func() {
		time.Sleep(100 * time.Millisecond)
		peer.Write([]byte("late"))
	}()
	start := time.Now()
	if got, e := f.read(fd); e != 0 || got != "late" || time.Since(start) < 80*time.Millisecond {
		t.Fatalf("blocking read = %q, %d after %v", got, e, time.Since(start))
	}
	if e := f.call("fd_fdstat_set_flags", uint64(fd), uint64(fdflagSync)); e != ErrnoNotsup {
		t.Fatalf("setting SYNC = %d, want ENOTSUP", e)
	}
}
