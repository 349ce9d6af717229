package main

import (
	"fmt"
	"syscall"
	"unsafe"
)

// forkbomb cannot bomb: WASI preview 1 has no way to start a process.
func forkbomb(_ grants, _ []string) error {
	return fmt.Errorf("forkbomb: WASI preview 1 cannot start processes")
}

// faultAddr lies far beyond the Go module's linear memory (a few MiB at
// start): loading from it traps ("out of bounds memory access"). Go checks
// only nil pointers itself, so the load reaches wazero.
var faultAddr uintptr = 0xfffffff0

// fault makes the module trap.
func fault() {
	p := (*byte)(unsafe.Add(unsafe.Pointer(nil), faultAddr))
	fmt.Println(*p)
}

func closeListener(fd int) error { return syscall.Close(fd) }
