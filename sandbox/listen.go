package sandbox

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ListenTCP opens a blocking TCP listening socket on host:port in the
// calling thread's network namespace and returns it as a file to be
// inherited, with the address it is bound to. The socket is made with raw
// system calls rather than net.Listen so that the guest receives a plain
// blocking fd and chooses its own I/O mode, and so that it is created in
// whichever namespace the calling (locked) thread is in.
func ListenTCP(host string, port int) (*os.File, netip.AddrPort, error) {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("listen address %q: not an IP address", host)
	}
	if port < 0 || port > 65535 {
		return nil, netip.AddrPort{}, fmt.Errorf("listen port %d: out of range", port)
	}
	family := unix.AF_INET
	var sa unix.Sockaddr
	if addr.Is4() || addr.Is4In6() {
		sa = &unix.SockaddrInet4{Port: port, Addr: addr.Unmap().As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: port, Addr: addr.As16()}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (*os.File, netip.AddrPort, error) {
		unix.Close(fd)
		return nil, netip.AddrPort{}, fmt.Errorf("%s %s: %w", what, netip.AddrPortFrom(addr, uint16(port)), err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		return fail("listen", err)
	}
	bound, err := unix.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	return os.NewFile(uintptr(fd), "nswasi-listener"), SockaddrAddrPort(bound), nil
}

// FreePort finds a TCP port free on the host's loopback at the moment of
// asking, for a program that must be told its port before it listens (a
// peer tool, or a guest in its own network, where the port is as likely
// to be free). Another process may take it in between; callers that can
// listen on port 0 should.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SockaddrAddrPort converts an IP socket address.
func SockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// Reachable turns a bound address into the one the harness dials: an
// unspecified address ("0.0.0.0", "::") is reached at def.
func Reachable(bound netip.AddrPort, def netip.Addr) netip.AddrPort {
	if bound.Addr().IsUnspecified() {
		return netip.AddrPortFrom(def, bound.Port())
	}
	return bound
}

// GrantEnv returns spec's environment plus the grant variables.
func GrantEnv(spec Spec, listenFDs []int, dirs []string) []string {
	env := make([]string, 0, len(spec.Env)+2)
	for _, kv := range spec.Env {
		if strings.HasPrefix(kv, EnvListenFDs+"=") || strings.HasPrefix(kv, EnvDirs+"=") {
			continue // the grants are the harness's to state
		}
		env = append(env, kv)
	}
	fds := make([]string, len(listenFDs))
	for i, fd := range listenFDs {
		fds[i] = strconv.Itoa(fd)
	}
	if len(fds) > 0 {
		env = append(env, EnvListenFDs+"="+strings.Join(fds, ","))
	}
	if len(dirs) > 0 {
		env = append(env, EnvDirs+"="+strings.Join(dirs, ","))
	}
	return env
}
