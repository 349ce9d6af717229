package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

func init() { register("echo", echo) }

// echo serves connections on the first granted listener one after another,
// writing back every byte it reads until the peer closes.
func echo(g grants, args []string) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	mode := fs.String("mode", "blocking", "I/O mode: blocking (raw fd read/write) or netpoll (Go's net package)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fd, err := g.listener()
	if err != nil {
		return err
	}
	switch *mode {
	case "netpoll":
		return echoNetpoll(fd)
	case "blocking":
		return echoBlocking(fd)
	}
	return fmt.Errorf("unknown mode %q", *mode)
}

func echoNetpoll(fd int) error {
	ln, err := net.FileListener(os.NewFile(uintptr(fd), "listener"))
	if err != nil {
		return fmt.Errorf("listener fd %d: %w", fd, err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		if _, err := io.Copy(c, c); err != nil {
			fmt.Fprintf(os.Stderr, "guest echo: connection from %s: %v\n", c.RemoteAddr(), err)
		}
		closeConn(c)
	}
}

func echoBlocking(fd int) error {
	buf := make([]byte, 64<<10)
	for {
		c, _, err := syscall.Accept(fd)
		if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.ECONNABORTED) {
			continue
		}
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		if err := copyFD(c, buf); err != nil {
			fmt.Fprintf(os.Stderr, "guest echo: connection: %v\n", err)
		}
		closeFD(c)
	}
}

// copyFD echoes fd to itself with plain blocking read and write calls.
func copyFD(fd int, buf []byte) error {
	for {
		n, err := syscall.Read(fd, buf)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return err
		}
		for p := buf[:n]; len(p) > 0; {
			w, err := syscall.Write(fd, p)
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				return err
			}
			p = p[w:]
		}
	}
}

// closeConn and closeFD send FIN before closing. On Linux close alone
// would do; under wazero v1.12.0 fd_close on an accepted socket never
// closes the host connection (see RATIONALE.md), so without the explicit
// shutdown the peer would wait for an EOF that never comes.
func closeConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	c.Close()
}

func closeFD(fd int) {
	_ = syscall.Shutdown(fd, syscall.SHUT_WR)
	syscall.Close(fd)
}
