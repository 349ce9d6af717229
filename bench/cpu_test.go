package bench

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadsCPU counts CPU at the scheduler's resolution: 3 ms of spinning
// shows as at least 3 ms (the 10 ms ticks of /proc/PID/stat could read 0 or
// 10), and a sleeping process shows almost none.
func TestThreadsCPU(t *testing.T) {
	self := os.Getpid()
	before, err := threadsCPU(self)
	if err != nil {
		t.Fatal(err)
	}
	// The spin runs on a thread of its own that then blocks: the kernel
	// brings a thread's runtime up to date when it is switched out, while a
	// running thread's may lag by a tick (4 ms at HZ=250), so reading our
	// own running thread would undercount. The spin is measured on that
	// thread's CPU clock, not the wall clock, since a busy machine can
	// deschedule it for any part of the wall time.
	const spin = 3 * time.Millisecond
	spun, release := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		var start unix.Timespec
		err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &start)
		for err == nil {
			var now unix.Timespec
			if err = unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &now); err == nil &&
				time.Duration(now.Nano()-start.Nano()) >= spin {
				break
			}
		}
		spun <- err
		<-release
	}()
	if err := <-spun; err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // the spinner is parked by now
	after, err := threadsCPU(self)
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < spin || d > time.Second {
		t.Errorf("%v of spinning on the thread's CPU clock counted as %v", spin, d)
	}

	sleeper := exec.Command("sleep", "1")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleeper.Wait()
	time.Sleep(50 * time.Millisecond) // past its start-up
	s0, err := threadsCPU(sleeper.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	s1, err := threadsCPU(sleeper.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if d := s1 - s0; d < 0 || d > 2*time.Millisecond {
		t.Errorf("a sleeping process used %v of CPU in 200 ms", d)
	}
	if _, err := threadsCPU(0); err == nil {
		t.Error("pid 0 accepted")
	}
}
