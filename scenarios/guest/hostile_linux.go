package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// forkbomb starts copies of itself running "sleep" until the kernel
// refuses, then reports how many it started and fails. Without a process
// limit it would exhaust the machine; the tests always set one.
func forkbomb(_ grants, _ []string) error {
	attr := &syscall.ProcAttr{Env: []string{}, Files: []uintptr{0, 1, 2}}
	for n := 0; ; n++ {
		_, err := syscall.ForkExec("/proc/self/exe", []string{"guest", "sleep"}, attr)
		if err != nil {
			fmt.Printf("forkbomb: started %d processes, then: %v\n", n, err)
			if errors.Is(err, syscall.EAGAIN) {
				return fmt.Errorf("process creation refused after %d: %w", n, err)
			}
			return err
		}
	}
}

// fault dies of SIGSEGV as a C program would. The Go runtime turns a bad
// access into a panic and keeps its handler even after signal.Reset, so the
// kernel's default action is restored with a raw rt_sigaction (a zeroed
// struct sigaction is SIG_DFL) and the signal raised.
func fault() {
	var dfl [4]uint64 // handler, flags, restorer, mask
	if _, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(syscall.SIGSEGV),
		uintptr(unsafe.Pointer(&dfl)), 0, 8, 0, 0); e != 0 {
		fmt.Fprintf(os.Stderr, "guest crash: rt_sigaction: %v\n", e)
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
	time.Sleep(time.Minute) // not reached: the default action kills the process
}

func closeListener(fd int) error { return syscall.Close(fd) }
