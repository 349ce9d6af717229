package main

import (
	"fmt"
	"net/netip"
	"syscall"
)

// sendRawUDP asks for a socket the only way wasip1 has: Go's
// syscall.Socket, which WASI preview 1 cannot implement (it has no
// sock_open), so the packet is built but never leaves.
func sendRawUDP(dst netip.AddrPort, payload []byte) error {
	_ = rawUDPPacket(dst, payload)
	fd, err := syscall.Socket(2, 3, 255) // AF_INET, SOCK_RAW, IPPROTO_RAW; wasip1 names none of them
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	syscall.Close(fd)
	return fmt.Errorf("socket returned fd %d, but wasip1 has no sendto", fd)
}
