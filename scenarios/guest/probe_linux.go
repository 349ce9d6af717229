package main

import (
	"net/netip"
	"syscall"
)

// sendRawUDP sends a hand-built IPv4/UDP packet through a raw socket.
func sendRawUDP(dst netip.AddrPort, payload []byte) error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return syscall.Sendto(fd, rawUDPPacket(dst, payload), 0, &syscall.SockaddrInet4{Addr: dst.Addr().As4()})
}
