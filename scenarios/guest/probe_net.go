package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func init() {
	registerProbe("probe-connect", probeConnect)
	registerProbe("probe-udp", probeUDP)
	registerProbe("probe-dns", probeDNS)
	registerProbe("probe-interfaces", probeInterfaces)
	registerProbe("probe-raw", probeRaw)
	registerServingProbe("probe-listen", probeListen, serveListen)
}

// probe-connect ADDR TOKEN: open a TCP connection to ADDR and send TOKEN.
func probeConnect(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-connect ADDR TOKEN"))
		return
	}
	c, err := net.DialTimeout("tcp", e.args[0], probeWait)
	if err != nil {
		r.fail(err)
		return
	}
	defer c.Close()
	r.note("connected %s -> %s", c.LocalAddr(), c.RemoteAddr())
	c.SetDeadline(time.Now().Add(probeWait))
	if _, err := c.Write([]byte(e.args[1] + "\n")); err != nil {
		r.fail(err)
	}
}

// probe-udp ADDR TOKEN: send one datagram holding TOKEN to ADDR.
func probeUDP(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-udp ADDR TOKEN"))
		return
	}
	c, err := net.Dial("udp", e.args[0])
	if err != nil {
		r.fail(err)
		return
	}
	defer c.Close()
	n, err := c.Write([]byte(e.args[1]))
	if err != nil {
		r.fail(err)
		return
	}
	r.note("sent %d bytes from %s", n, c.LocalAddr())
}

// probe-dns SERVER NAME: ask the resolver at SERVER (an address, never the
// system's resolver) for NAME's IPv4 address, with a query built by hand
// so that no resolver configuration of the machine is read.
func probeDNS(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-dns SERVER NAME"))
		return
	}
	q, err := dnsQuery(0x6e73, e.args[1])
	if err != nil {
		r.fail(err)
		return
	}
	c, err := net.Dial("udp", e.args[0])
	if err != nil {
		r.fail(err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(probeWait))
	if _, err := c.Write(q); err != nil {
		r.fail(err)
		return
	}
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		r.fail(err)
		return
	}
	ip, err := dnsAnswerA(b[:n])
	if err != nil {
		r.fail(err)
		return
	}
	r.Data = ip.String()
}

// dnsQuery builds a standard recursive query for name's A record.
func dnsQuery(id uint16, name string) ([]byte, error) {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = append(b, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD; one question
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		if label == "" || len(label) > 63 {
			return nil, fmt.Errorf("bad name %q", name)
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, 0, 1, 0, 1), nil // root; type A; class IN
}

// dnsAnswerA takes the first A record of a reply whose question is not
// compressed (the canary resolver's replies are built that way).
func dnsAnswerA(b []byte) (netip.Addr, error) {
	if len(b) < 12 {
		return netip.Addr{}, errors.New("short DNS reply")
	}
	if rcode := b[3] & 0x0f; rcode != 0 {
		return netip.Addr{}, fmt.Errorf("DNS rcode %d", rcode)
	}
	if binary.BigEndian.Uint16(b[6:8]) == 0 {
		return netip.Addr{}, errors.New("DNS reply has no answer")
	}
	i := 12
	for i < len(b) && b[i] != 0 {
		i += int(b[i]) + 1
	}
	i += 5 // root label, type, class
	// Answer: name (a 2-byte pointer), type, class, TTL, rdlength, rdata.
	if i+16 > len(b) || binary.BigEndian.Uint16(b[i+2:]) != 1 || binary.BigEndian.Uint16(b[i+10:]) != 4 {
		return netip.Addr{}, errors.New("DNS reply: first answer is not an A record")
	}
	return netip.AddrFrom4([4]byte(b[i+12 : i+16])), nil
}

// probe-interfaces: list the network interfaces the guest can see, through
// the kernel's interface API (net.Interfaces) and through /sys/class/net.
func probeInterfaces(e *probeEnv, r *probeReport) {
	var seen []string
	ifs, err := net.Interfaces()
	if err != nil {
		r.note("net.Interfaces: %v", err)
	}
	var names []string
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	r.note("net.Interfaces: %s", strings.Join(names, " "))
	seen = append(seen, names...)
	ents, err := os.ReadDir("/sys/class/net")
	if err != nil {
		r.note("/sys/class/net: %v", err)
	}
	names = names[:0]
	for _, d := range ents {
		names = append(names, d.Name())
	}
	r.note("/sys/class/net: %s", strings.Join(names, " "))
	seen = append(seen, names...)
	sort.Strings(seen)
	r.Data = strings.Join(seen, "\n")
	if len(seen) == 0 {
		r.fail(errors.New("no interface visible"))
	}
}

// probe-raw ADDR TOKEN: open a raw IP socket and send, through it, a UDP
// datagram holding TOKEN to ADDR, with headers built by hand.
func probeRaw(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-raw ADDR TOKEN"))
		return
	}
	dst, err := netip.ParseAddrPort(e.args[0])
	if err != nil || !dst.Addr().Is4() {
		r.fail(fmt.Errorf("probe-raw: want an IPv4 ADDR:PORT, got %q", e.args[0]))
		return
	}
	if err := sendRawUDP(dst, []byte(e.args[1])); err != nil {
		r.fail(err)
	}
}

// rawUDPPacket builds an IPv4 header (source, length and checksum left to
// the kernel, which fills them for IPPROTO_RAW sockets) and a UDP header
// without checksum, which IPv4 allows.
func rawUDPPacket(dst netip.AddrPort, payload []byte) []byte {
	p := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17 /* UDP */, 0, 0, 0, 0, 0, 0}
	a := dst.Addr().As4()
	p = append(p, a[:]...)
	p = binary.BigEndian.AppendUint16(p, 40000)
	p = binary.BigEndian.AppendUint16(p, dst.Port())
	p = binary.BigEndian.AppendUint16(p, uint16(8+len(payload)))
	p = append(p, 0, 0)
	return append(p, payload...)
}

// probe-listen PORT TOKEN: open a new listening socket on PORT (all
// addresses) and, in serveListen, write TOKEN to whoever connects to it or
// to any granted listener beyond the control one, until the harness
// closes the control connection.
func probeListen(e *probeEnv, r *probeReport) {
	if len(e.args) != 2 {
		r.fail(errors.New("usage: probe-listen PORT TOKEN"))
		return
	}
	if _, err := strconv.Atoi(e.args[0]); err != nil {
		r.fail(fmt.Errorf("bad port %q", e.args[0]))
		return
	}
	ln, err := net.Listen("tcp", ":"+e.args[0])
	if err != nil {
		r.fail(err)
	} else {
		r.note("listening at %s", ln.Addr())
		listenState.ln = ln.(*net.TCPListener)
	}
	if n := len(e.g.listenFDs) - 1; n > 0 {
		r.note("also serving %d granted listener(s) beyond the control one", n)
	}
	listenState.token = []byte(e.args[1] + "\n")
}

var listenState struct {
	ln    *net.TCPListener
	token []byte
}

// serveListen polls every listener and the control connection without
// goroutines, so that it works the same on wasip1, whose runtime is
// single-threaded and would block whole in a blocking accept.
func serveListen(e *probeEnv) {
	extra := e.g.listenFDs[1:]
	for _, fd := range append([]int{e.ctl}, extra...) {
		if err := syscall.SetNonblock(fd, true); err != nil {
			fmt.Fprintf(os.Stderr, "probe-listen: nonblocking fd %d: %v\n", fd, err)
		}
	}
	stop := time.Now().Add(20 * time.Second)
	for time.Now().Before(stop) && !ctlClosed(e.ctl) {
		if ln := listenState.ln; ln != nil {
			ln.SetDeadline(time.Now().Add(5 * time.Millisecond))
			if c, err := ln.Accept(); err == nil {
				c.Write(listenState.token)
				closeConn(c)
			}
		}
		for _, fd := range extra {
			c, _, err := syscall.Accept(fd)
			if err != nil {
				continue
			}
			syscall.SetNonblock(c, false)
			writeAll(c, listenState.token)
			closeFD(c)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
