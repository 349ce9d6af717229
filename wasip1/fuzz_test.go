package wasip1

import (
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/sys"
)

// FuzzHostCalls calls host functions with arbitrary arguments and memory:
// the host must answer with an errno (or end the guest through
// proc_exit), never panic, and leave no descriptor open once closed.
func FuzzHostCalls(f *testing.F) {
	for i := range functions {
		f.Add(uint8(i), []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 8, 0, 0, 0}, []byte("sub/../x\x00"))
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte, memory []byte) {
		fn := functions[int(which)%len(functions)]
		if fn.name == "proc_exit" {
			return // it ends the guest by design
		}
		before := openFDs(t)
		fx := newFixture(t, Config{Dirs: []Dir{{HostPath: t.TempDir(), GuestPath: "/"}}})
		fx.mem.Write(0, memory)
		params := make([]uint64, len(fn.params))
		for i := range params {
			var b [8]byte
			copy(b[:], args[min(len(args), i*4):])
			params[i] = binary.LittleEndian.Uint64(b[:])
			if fn.params[i] == i32 {
				params[i] &= 0xffffffff
			}
		}
		// A call that waits (a poll with no clock, say) is interrupted, as
		// the host is when its guest must stop.
		done := make(chan any)
		go func() {
			defer func() { done <- recover() }()
			fn.call(fx.h, fx.ctx, fx.m, params)
		}()
		var r any
		select {
		case r = <-done:
		case <-time.After(100 * time.Millisecond):
			fx.h.Interrupt(sys.ExitCodeDeadlineExceeded)
			r = <-done
		}
		if r != nil {
			var exit *sys.ExitError
			if err, ok := r.(error); !ok || !errors.As(err, &exit) {
				t.Fatalf("%s(%v) panicked: %v", fn.name, params, r)
			}
		}
		fx.h.Close()
		if after := openFDs(t); after > before {
			t.Fatalf("%s(%v) leaked %d descriptors", fn.name, params, after-before)
		}
	})
}

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
