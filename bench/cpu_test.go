package bench

import (
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// threadsCPU counts CPU at the scheduler's resolution: 3 ms of spinning
// shows as about 3 ms (the 10 ms ticks of /proc/PID/stat could read 0 or
// 10), and a sleeping process shows almost none.
func TestThreadsCPU(t *testing.T) {
	self := os.Getpid()
	before, err := threadsCPU(self)
	if err != nil {
		t.Fatal(err)
	}
	runtime.LockOSThread()
	for start := time.Now(); time.Since(start) < 3*time.Millisecond; {
	}
	runtime.UnlockOSThread()
	after, err := threadsCPU(self)
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 2*time.Millisecond || d > time.Second {
		t.Errorf("3 ms of spinning counted as %v", d)
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
