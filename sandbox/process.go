package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Launch describes the one OS process that holds a sandbox: the guest itself
// for the native runners, the wazero host for the WASI runners.
type Launch struct {
	Path string
	Args []string // without argv[0]
	Env  []string
	// ExtraFiles become the child's fds 3, 4, ... in order. The caller keeps
	// ownership and may close its copies once StartProcess returns.
	ExtraFiles []*os.File
	// Spawn starts fn on the OS thread that forks the child and must keep
	// that thread locked until fn returns: the kernel sends the child its
	// parent-death signal when the forking thread exits, and a thread in
	// a namespace forks a child in that namespace. Spawn returns once the
	// thread is ready (fn runs on); an error means fn will not run. Nil
	// means a fresh locked thread in nswasi's own namespaces.
	Spawn func(fn func()) error
	// Cgroup, when set, is where the child starts (clone3 with
	// CLONE_INTO_CGROUP), so that it and every descendant are in it from
	// their first instruction. The caller kills and removes it, typically
	// in Cleanup.
	Cgroup *Cgroup
	// Cleanup runs once after the child has exited and been reaped; its
	// error is reported in Result.Err.
	Cleanup func() error
	// Spec supplies the timeout and the output writers.
	Spec Spec
}

// Process is a running sandbox process. It implements Guest.
type Process struct {
	cmd      *exec.Cmd
	addrs    []netip.AddrPort
	started  time.Time
	stdout   *tailBuffer
	stderr   *tailBuffer
	cancel   context.CancelFunc
	done     chan struct{} // closed when the result is final
	result   Result
	stopOnce sync.Once
	timedOut bool
	mu       sync.Mutex
}

// StartProcess starts l and returns once the child runs. The child gets its
// own process group so that a kill reaches everything it started there,
// and SIGKILL as its parent-death signal so that it cannot outlive nswasi;
// what leaves the group (setsid) or is orphaned only l.Cgroup catches.
func StartProcess(ctx context.Context, l Launch) (*Process, error) {
	p := &Process{
		stdout: newTailBuffer(OutputLimit, l.Spec.Stdout),
		stderr: newTailBuffer(OutputLimit, l.Spec.Stderr),
		done:   make(chan struct{}),
	}
	cmd := exec.Command(l.Path, l.Args...)
	cmd.Env = l.Env
	if cmd.Env == nil {
		cmd.Env = []string{} // nil would mean "inherit nswasi's environment"
	}
	cmd.Dir = "/"
	cmd.Stdout = p.stdout
	cmd.Stderr = p.stderr
	cmd.ExtraFiles = l.ExtraFiles
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if l.Cgroup != nil {
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = l.Cgroup.FD()
	}
	if u := l.Spec.User; u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.UID, Gid: u.GID, Groups: []uint32{}}
	}
	// A grandchild that keeps the output pipes open must not hang Wait.
	cmd.WaitDelay = time.Second
	p.cmd = cmd

	spawn := l.Spawn
	if spawn == nil {
		spawn = func(fn func()) error {
			go func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				fn()
			}()
			return nil
		}
	}

	var runCtx context.Context
	if l.Spec.Timeout > 0 {
		runCtx, p.cancel = context.WithTimeout(ctx, l.Spec.Timeout)
	} else {
		runCtx, p.cancel = context.WithCancel(ctx)
	}

	startErr := make(chan error, 1)
	exited := make(chan error, 1)
	if err := closeOnExecAll(); err != nil {
		p.cancel()
		return nil, fmt.Errorf("mark descriptors close-on-exec: %w", err)
	}
	err := spawn(func() {
		p.started = time.Now()
		if err := cmd.Start(); err != nil {
			startErr <- err
			return
		}
		startErr <- nil
		exited <- cmd.Wait()
	})
	if err == nil {
		err = <-startErr
	}
	if err != nil {
		p.cancel()
		if l.Cleanup != nil {
			err = errors.Join(err, l.Cleanup())
		}
		return nil, fmt.Errorf("start %s: %w", l.Path, err)
	}

	go func() {
		var waitErr error
		select {
		case waitErr = <-exited:
		case <-runCtx.Done():
			if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
				p.mu.Lock()
				p.timedOut = true
				p.mu.Unlock()
			}
			p.killGroup()
			waitErr = <-exited
		}
		// Whatever the guest left running in its group goes with it.
		p.killGroup()
		p.cancel()
		p.finish(waitErr, l.Cleanup)
	}()
	return p, nil
}

func (p *Process) killGroup() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (p *Process) finish(waitErr error, cleanup func() error) {
	r := Result{ExitCode: -1, Wall: time.Since(p.started)}
	var ee *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &ee) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		r.Err = waitErr
	}
	if st := p.cmd.ProcessState; st != nil {
		r.ExitCode = st.ExitCode()
		if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Signal = ws.Signal()
		}
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
			r.UserCPU = time.Duration(ru.Utime.Nano())
			r.SysCPU = time.Duration(ru.Stime.Nano())
			r.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	p.mu.Lock()
	r.TimedOut = p.timedOut
	p.mu.Unlock()
	r.Stdout, r.StdoutTruncated = p.stdout.Bytes()
	r.Stderr, r.StderrTruncated = p.stderr.Bytes()
	if cleanup != nil {
		if err := cleanup(); err != nil {
			r.Err = errors.Join(r.Err, fmt.Errorf("cleanup: %w", err))
		}
	}
	p.result = r
	close(p.done)
}

// SetAddrs records where the harness reaches the granted listeners. Runners
// call it before handing the Process out.
func (p *Process) SetAddrs(a []netip.AddrPort) { p.addrs = a }

// Pid is the sandbox process's pid.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Addrs implements Guest.
func (p *Process) Addrs() []netip.AddrPort { return p.addrs }

// Exited is closed once Wait would return without blocking.
func (p *Process) Exited() <-chan struct{} { return p.done }

// Wait implements Guest.
func (p *Process) Wait() Result {
	<-p.done
	return p.result
}

// Stop implements Guest.
func (p *Process) Stop() Result {
	p.stopOnce.Do(p.cancel) // the watcher kills the group before reaping
	return p.Wait()
}
