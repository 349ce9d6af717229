package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nswasi/nswasi/internal/testenv"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
)

var (
	guest  scenarios.Guest
	nswasi string // the built command, as a user runs it
)

func TestMain(m *testing.M) {
	g, dir, err := testenv.BuildGuest()
	if err == nil {
		nswasi = filepath.Join(dir, "nswasi")
		var out []byte
		out, err = exec.Command("go", "build", "-o", nswasi, ".").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("build nswasi: %v\n%s", err, out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	guest = g
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var listenerLine = regexp.MustCompile(`nswasi: listener (\d+) reachable at (\S+)`)

// startExec starts `nswasi exec` and waits for its listener lines.
type execRun struct {
	cmd    *exec.Cmd
	addrs  []string
	stderr *bytes.Buffer
	done   chan error
}

func startExec(t *testing.T, runner string, nListen int, extra ...string) *execRun {
	t.Helper()
	artifact := guest.Native
	if strings.HasPrefix(runner, "wasi") {
		artifact = guest.Wasm
	}
	args := []string{"exec", "--runner", runner, "--timeout", "2m"}
	for range nListen {
		args = append(args, "--listen", ":0")
	}
	args = append(args, extra...)
	args = append(args, "--", artifact, "echo")
	cmd := exec.Command(nswasi, args...)
	pr, pw := io.Pipe()
	r := &execRun{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stderr = io.MultiWriter(pw, r.stderr)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { r.done <- cmd.Wait(); pw.Close(); close(exited) }()
	t.Cleanup(func() {
		// A test that failed half-way must not leave nswasi running.
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
	sc := bufio.NewScanner(pr)
	deadline := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for len(r.addrs) < nListen && sc.Scan() {
		if m := listenerLine.FindStringSubmatch(sc.Text()); m != nil {
			r.addrs = append(r.addrs, m[2])
		}
	}
	go io.Copy(io.Discard, pr)
	if len(r.addrs) < nListen {
		<-r.done
		t.Fatalf("nswasi exec printed %d listener lines, want %d; stderr:\n%s", len(r.addrs), nListen, r.stderr)
	}
	return r
}

// refused runs cmd and checks that nswasi refused it as bad input: exit
// status 2 and one line on stderr containing want.
func refused(t *testing.T, cmd *exec.Cmd, want string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("%s: exit %v, want status 2; stdout %q stderr %q", strings.Join(cmd.Args[1:], " "), err, stdout.String(), stderr.String())
		return
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], want) {
		t.Errorf("%s: stderr %q, want one line containing %q", strings.Join(cmd.Args[1:], " "), stderr.String(), want)
	}
}

func (r *execRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case err := <-r.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(time.Minute):
		r.cmd.Process.Kill()
		t.Fatalf("nswasi exec did not exit; stderr:\n%s", r.stderr)
		return -1
	}
}

func echoes(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	msg := []byte(fmt.Sprintf("hello from outside at %d\n", time.Now().UnixNano()))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo from %s: %v", addr, err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo from %s: got %q, want %q", addr, got, msg)
	}
}

// The "done when": for every runner, `nswasi exec --listen :0`
// echoes at the printed address, and SIGINT leaves no kernel object.
func TestExecEchoThenSIGINT(t *testing.T) {
	for _, runner := range []string{"native", "netns", "netns+fw", "wasi", "wasi+netns"} {
		t.Run(runner, func(t *testing.T) {
			if strings.Contains(runner, "netns") {
				testenv.RequireRoot(t)
			}
			state := privateState(t)
			r := startExec(t, runner, 2)
			own := capture(t, runner, r.cmd.Process.Pid, state)
			echoes(t, r.addrs[0])
			// The echo guest serves only its first listener, but the second
			// is granted and bound: the kernel completes the handshake.
			if r.addrs[1] == r.addrs[0] {
				t.Fatalf("two listeners, one address %s", r.addrs[0])
			}
			c, err := net.DialTimeout("tcp", r.addrs[1], 10*time.Second)
			if err != nil {
				t.Fatalf("second listener: %v", err)
			}
			c.Close()
			r.cmd.Process.Signal(os.Interrupt)
			if code := r.wait(t); code != 130 {
				t.Errorf("exit status after SIGINT: %d, want 130; stderr:\n%s", code, r.stderr)
			}
			own.gone(t)
		})
	}
}

// Artifact and directory paths are relative to where the user runs nswasi,
// under every runner: `bin/nswasi exec ... -- bin/guest` from the
// repository root once failed with "fork/exec bin/guest: no such file".
func TestExecRelativePaths(t *testing.T) {
	cwd := filepath.Dir(filepath.Dir(guest.Native))
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "hello.txt"), []byte("relative hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	relData, err := filepath.Rel(cwd, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, runner := range runners.Names() {
		t.Run(runner, func(t *testing.T) {
			if strings.Contains(runner, "netns") {
				testenv.RequireRoot(t)
			}
			artifact := guest.Native
			// The native runners have no file-system sandbox: their guest
			// sees the host path, which nswasi made absolute.
			file := filepath.Join(data, "hello.txt")
			if info, _ := runners.Lookup(runner); info.WASI() {
				artifact, file = guest.Wasm, "/data/hello.txt"
			}
			rel := filepath.Join(filepath.Base(filepath.Dir(artifact)), filepath.Base(artifact))
			cmd := exec.Command(nswasi, "exec", "--runner", runner, "--timeout", "1m",
				"--dir", relData+":/data:ro", "--", rel, "cat", file)
			cmd.Dir = cwd
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("nswasi exec -- %s (from %s): %v\nstderr: %s", rel, cwd, err, stderr.String())
			}
			if stdout.String() != "relative hello\n" {
				t.Errorf("guest printed %q, want the granted file's content", stdout.String())
			}
		})
	}
	if os.Geteuid() == 0 {
		testenv.NoObjects(t)
	}
}

// SIGKILL leaves the namespace behind (nothing can prevent that); the
// sandbox process dies with nswasi, the objects recorded while it ran are
// still there, and `nswasi clean` removes them and their records.
func TestSIGKILLThenClean(t *testing.T) {
	testenv.RequireRoot(t)
	for _, runner := range []string{"netns", "netns+fw", "wasi+netns"} {
		t.Run(runner, func(t *testing.T) {
			state := privateState(t)
			r := startExec(t, runner, 1)
			own := capture(t, runner, r.cmd.Process.Pid, state)
			r.cmd.Process.Kill()
			r.wait(t)
			if p := present(t, own.objs); !slices.Equal(p, own.objs) {
				t.Errorf("after SIGKILL, before clean: recorded %v, only %v exist", own.objs, p)
			}
			out, err := exec.Command(nswasi, "clean").CombinedOutput()
			if err != nil {
				t.Fatalf("nswasi clean: %v\n%s", err, out)
			}
			for _, o := range own.objs {
				if !strings.Contains(string(out), "removed "+o) {
					t.Errorf("clean did not report removing %s:\n%s", o, out)
				}
			}
			own.gone(t)
		})
	}
}

// clean leaves alone an object with the prefix that no record names. A
// veth pair stands for the foreign object: every kernel nswasi runs on has
// veth (dummy links are missing on the CI machine).
func TestCleanLeavesUnrecorded(t *testing.T) {
	testenv.RequireRoot(t)
	privateState(t)
	name := fmt.Sprintf("nswasi-f%d", os.Getpid()%100000)
	if out, err := exec.Command("ip", "link", "add", name, "type", "veth", "peer", "name", name+"p").CombinedOutput(); err != nil {
		t.Fatalf("create a veth to stand for a foreign object: %v %s", err, out)
	}
	defer exec.Command("ip", "link", "del", name).Run()
	out, err := exec.Command(nswasi, "clean").CombinedOutput()
	if err != nil {
		t.Fatalf("nswasi clean: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "left link "+name) {
		t.Errorf("clean output does not report leaving %s:\n%s", name, out)
	}
	if err := exec.Command("ip", "link", "show", name).Run(); err != nil {
		t.Errorf("clean removed %s, which nswasi did not create", name)
	}
}

// Bad input: one line on stderr, exit status 2, nothing left behind.
func TestExecBadInput(t *testing.T) {
	state := privateState(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.wasm")
	os.WriteFile(empty, nil, 0o644)
	truncated := filepath.Join(dir, "truncated.wasm")
	full, _ := os.ReadFile(guest.Wasm)
	os.WriteFile(truncated, full[:len(full)/2], 0o644)
	foreign := filepath.Join(dir, "foreign.wasm")
	// A module importing env.f, which WASI does not provide, with a _start.
	os.WriteFile(foreign, []byte("\x00asm\x01\x00\x00\x00"+
		"\x01\x04\x01\x60\x00\x00"+ // type: () -> ()
		"\x02\x09\x01\x03env\x01f\x00\x00"+ // import env.f
		"\x03\x02\x01\x00"+ // func 1: type 0
		"\x07\x0a\x01\x06_start\x00\x01"+ // export _start
		"\x0a\x04\x01\x02\x00\x0b"), 0o644) // body: end
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no runner", []string{"exec", "--", guest.Wasm}, "--runner is required"},
		{"unknown runner", []string{"exec", "--runner", "docker", "--", guest.Wasm}, "unknown runner"},
		{"no artifact", []string{"exec", "--runner", "wasi"}, "no artifact"},
		{"missing wasm", []string{"exec", "--runner", "wasi", "--", "/nonexistent.wasm"}, "no such file"},
		{"empty wasm", []string{"exec", "--runner", "wasi", "--", empty}, "empty file"},
		{"truncated wasm", []string{"exec", "--runner", "wasi", "--", truncated}, "not a valid WebAssembly module"},
		{"foreign import", []string{"exec", "--runner", "wasi", "--", foreign}, "imports env.f"},
		{"native to wasi", []string{"exec", "--runner", "wasi", "--", guest.Native}, "not a WebAssembly module"},
		{"wasm to native", []string{"exec", "--runner", "native", "--", guest.Wasm}, "is a WebAssembly module"},
		{"wasm to netns", []string{"exec", "--runner", "netns", "--", guest.Wasm}, "is a WebAssembly module"},
		{"bad listen", []string{"exec", "--runner", "wasi", "--listen", "localhost:80", "--", guest.Wasm}, "HOST must be an IP address"},
		{"bad port", []string{"exec", "--runner", "wasi", "--listen", ":99999", "--", guest.Wasm}, "PORT must be"},
		{"bad dir", []string{"exec", "--runner", "wasi", "--dir", "/tmp", "--", guest.Wasm}, "HOSTPATH:GUESTPATH"},
		{"missing dir", []string{"exec", "--runner", "wasi", "--dir", "/nonexistent:/d", "--", guest.Wasm}, "no such file"},
		{"bad env", []string{"exec", "--runner", "wasi", "--env", "NOEQUALS", "--", guest.Wasm}, "KEY=VALUE"},
		{"unknown flag", []string{"exec", "--frobnicate", "--runner", "wasi", "--", guest.Wasm}, "flag provided but not defined"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			refused(t, exec.Command(nswasi, c.args...), c.want)
		})
	}
	// Every refusal comes before anything is recorded (the wasi+netns case
	// that comes after is TestBadModuleUnderWasiNetnsLeavesNothing).
	if left, _ := filepath.Glob(filepath.Join(state, "records", "*")); len(left) > 0 {
		t.Errorf("records left: %v", left)
	}
}

// A port already in use is bad input for every runner.
func TestExecPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, runner := range []string{"native", "wasi"} {
		artifact := guest.Native
		if runner == "wasi" {
			artifact = guest.Wasm
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, nswasi, "exec", "--runner", runner, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--", artifact, "echo")
		out, err := cmd.CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "address already in use") {
			t.Errorf("%s: %v, output %q; want exit 2 naming the address in use", runner, err, out)
		}
	}
}

// doctor answers, and on this kind of machine names netem as missing
// rather than failing silently.
func TestDoctor(t *testing.T) {
	testenv.RequireRoot(t)
	out, err := exec.Command(nswasi, "doctor").CombinedOutput()
	if err != nil {
		t.Fatalf("nswasi doctor: %v\n%s", err, out)
	}
	for _, want := range []string{"ok       network namespaces and veth", "qdisc tbf", "qdisc netem", "iperf3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "MISSING  qdisc netem") && !strings.Contains(string(out), "delay, jitter and loss") {
		t.Errorf("netem missing without saying what is skipped:\n%s", out)
	}
	testenv.NoObjects(t)
}

// list and every command's --help answer with status 0.
func TestListAndHelp(t *testing.T) {
	out, err := exec.Command(nswasi, "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "wasi+netns") || !strings.Contains(string(out), "echo") {
		t.Fatalf("nswasi list: %v\n%s", err, out)
	}
	for _, c := range commands {
		out, err := exec.Command(nswasi, c.Name(), "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "example:") {
			t.Errorf("nswasi %s --help: %v\n%s", c.Name(), err, out)
		}
		// FlagSet.Parse prints the usage itself on --help: printing it
		// again doubled every command's help.
		if n := strings.Count(string(out), "usage: nswasi "+c.Name()); n != 1 {
			t.Errorf("nswasi %s --help prints its usage %d times, want once:\n%s", c.Name(), n, out)
		}
		// nswasi help COMMAND says the same.
		if help, err := exec.Command(nswasi, "help", c.Name()).CombinedOutput(); err != nil || string(help) != string(out) {
			t.Errorf("nswasi help %s: %v, differs from --help:\n%s", c.Name(), err, help)
		}
	}
}

// The top-level usage lists every command with its summary starting in
// one column, whatever the longest command name.
func TestUsageColumn(t *testing.T) {
	out, err := exec.Command(nswasi, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("nswasi --help: %v\n%s", err, out)
	}
	col := -1
	listed := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(line, "  ") {
			continue
		}
		c := lookup(f[0])
		if c == nil {
			continue
		}
		listed++
		at := strings.Index(line, c.Short)
		if at < 0 || at <= len("  "+c.Name()) {
			t.Errorf("summary of %s not separated from its name: %q", c.Name(), line)
			continue
		}
		if col >= 0 && at != col {
			t.Errorf("summary of %s starts in column %d, others in %d:\n%s", c.Name(), at, col, out)
		}
		col = at
	}
	if listed != len(commands) {
		t.Errorf("usage lists %d of %d commands:\n%s", listed, len(commands), out)
	}
}

// Every command declares its usage line, help, example, argument count and
// body once; main parses and refuses by that declaration alone.
func TestCommandsDeclared(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if err := c.Check(); err != nil {
			t.Error(err)
		}
		if seen[c.Name()] {
			t.Errorf("command %s declared twice", c.Name())
		}
		seen[c.Name()] = true
	}
}

// Each argument count refuses in one line with exit status 2.
func TestArgumentCounts(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"list", "extra"}, `unexpected argument "extra"`},
		{[]string{"bench", "--quick", "extra"}, `unexpected argument "extra"`},
		{[]string{"report"}, "no result directory given"},
		{[]string{"compare", dir}, "compare takes exactly 2 result directories, got 1"},
		{[]string{"compare", dir, dir, dir}, "compare takes exactly 2 result directories, got 3"},
		{[]string{"exec", "--runner", "wasi"}, "no artifact given"},
	} {
		refused(t, exec.Command(nswasi, c.args...), c.want)
	}
}
