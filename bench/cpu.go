package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTick is the unit of /proc/PID/stat's CPU times: USER_HZ, 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// processCPU reads the user and system CPU time of process pid (all its
// threads) from /proc. The driver samples it around each repetition, so
// that the sandbox's CPU is attributed to the measured window alone and
// not to start-up or warm-up (those are in the rusage at exit).
func processCPU(pid int) (user, sys time.Duration, err error) {
	if pid <= 0 {
		return 0, 0, fmt.Errorf("no pid for the sandbox process")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name may hold spaces and parentheses: fields start after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := bytes.Fields(b[i+1:])
	// After ')': state(3) ... utime is field 14, stime 15 (1-based), so 11 and 12 here.
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return time.Duration(u) * clockTick, time.Duration(s) * clockTick, nil
}
