package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The hostile scenarios misbehave on purpose so that the reliability tests
// can check that each sandbox contains them. Each prints one line to stderr
// saying what it is about to do, so that a Result shows the guest got that
// far.

func init() {
	register("spin", spin)
	register("membomb", membomb)
	register("flood", flood)
	register("forkbomb", forkbomb) // hostile_linux.go, hostile_wasip1.go
	register("crash", crash)
	register("exit", exitCode)
	register("closelisten", closeListen)
	register("noaccept", noAccept)
	register("scribble", scribble)
	register("sleep", func(grants, []string) error { return sleepForever() })
}

// spinCount is global so that the compiler cannot drop the loop.
var spinCount uint64

func spin(_ grants, _ []string) error {
	fmt.Fprintln(os.Stderr, "guest spin: looping forever")
	for {
		if spinCount++; spinCount == 0 {
			fmt.Fprintln(os.Stderr, "guest spin: counter wrapped") // never in practice: keeps the loop observable
		}
	}
}

// sink keeps every chunk reachable so that the collector cannot free it.
var sink [][]byte

func membomb(_ grants, _ []string) error {
	const chunk = 8 << 20
	fmt.Fprintln(os.Stderr, "guest membomb: allocating")
	for i := 1; ; i++ {
		b := make([]byte, chunk)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1 // touch every page so that it is really resident
		}
		sink = append(sink, b)
		if i%16 == 0 {
			fmt.Fprintf(os.Stderr, "guest membomb: %d MiB\n", i*chunk>>20)
		}
	}
}

func flood(_ grants, args []string) error {
	total := int64(64 << 20)
	if len(args) > 0 {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("flood: BYTES %q: want a non-negative number", args[0])
		}
		total = n
	}
	line := []byte(strings.Repeat("flood ", 10) + "\n")
	buf := make([]byte, 0, 64<<10)
	for len(buf)+len(line) <= cap(buf) {
		buf = append(buf, line...)
	}
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		for left := total; left > 0; {
			p := buf
			if int64(len(p)) > left {
				p = p[:left]
			}
			n, err := f.Write(p)
			if err != nil {
				return err
			}
			left -= int64(n)
		}
	}
	return nil
}

func crash(_ grants, args []string) error {
	how := "panic"
	if len(args) > 0 {
		how = args[0]
	}
	fmt.Fprintf(os.Stderr, "guest crash: %s\n", how)
	switch how {
	case "panic":
		panic("guest crash: deliberate panic")
	case "fault":
		fault() // hostile_linux.go, hostile_wasip1.go
		return fmt.Errorf("crash: fault did not crash")
	}
	return fmt.Errorf("crash: unknown way %q: want panic or fault", how)
}

func exitCode(_ grants, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: exit CODE")
	}
	code, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Errorf("exit: CODE %q: %v", args[0], err)
	}
	os.Exit(code)
	return nil
}

func closeListen(g grants, _ []string) error {
	fd, err := g.listener()
	if err != nil {
		return err
	}
	err = closeListener(fd)
	fmt.Fprintf(os.Stderr, "guest closelisten: closed fd %d: %v\n", fd, err)
	return sleepForever()
}

func noAccept(g grants, _ []string) error {
	if _, err := g.listener(); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "guest noaccept: holding the listener, never accepting")
	return sleepForever()
}

// scribble reports, one line each on stdout, whether it could create a file
// in each granted directory and open each named path for writing:
// "created DIR/F", "refused DIR/F: ERR", "opened PATH", "refused PATH: ERR".
// It changes nothing it could open: the test's oracle is the hashes.
func scribble(g grants, args []string) error {
	for _, d := range g.dirs {
		p := filepath.Join(d, fmt.Sprintf("scribble-%d", time.Now().UnixNano()))
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Printf("refused %s: %v\n", p, err)
			continue
		}
		f.Close()
		fmt.Printf("created %s\n", p)
	}
	for _, p := range args {
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			fmt.Printf("refused %s: %v\n", p, err)
			continue
		}
		f.Close()
		fmt.Printf("opened %s\n", p)
	}
	return nil
}

// sleepForever never returns. select{} would not do: with every goroutine
// blocked the Go runtime declares a deadlock, and under wasip1 there is no
// other goroutine to wake.
func sleepForever() error {
	for {
		time.Sleep(time.Hour)
	}
}
