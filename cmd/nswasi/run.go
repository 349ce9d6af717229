package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
)

func init() {
	register(command{"run", "run the main job: the echo guest under every runner, checked from outside", cmdRun})
}

func cmdRun(ctx context.Context, args []string) error {
	fs := newFlagSet("run", "[--runners LIST] [--guest-dir DIR] [--bytes N]",
		"sudo bin/nswasi run --runners native,wasi")
	var common commonFlags
	common.register(fs)
	list := fs.String("runners", "", "comma-separated runners (default: all)")
	guestDir := fs.String("guest-dir", "", "directory holding guest and guest.wasm (default: beside nswasi)")
	size := fs.Int("bytes", 1<<20, "bytes to echo through each runner")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return sandbox.BadInput("unexpected argument %q (see nswasi run --help)", fs.Arg(0))
	}
	if *size <= 0 {
		return sandbox.BadInput("--bytes %d: must be positive", *size)
	}
	names, err := runners.ParseList(*list)
	if err != nil {
		return err
	}
	cfg, err := common.config()
	if err != nil {
		return err
	}
	native, wasm, err := guestPaths(*guestDir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := needRoot(n); err != nil {
			return err
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUNNER\tREACHED AT\tECHOED\tSTART\tROUND TRIP\tCPU USER\tCPU SYS\tPEAK RSS\tRESULT")
	failed := 0
	for _, n := range names {
		r, err := runners.New(n, cfg)
		if err != nil {
			return err
		}
		c := runners.CheckEcho(ctx, r, runners.Artifact(n, native, wasm), *size)
		verdict := "ok"
		if c.Err != nil {
			verdict = "FAILED: " + oneLine(c.Err)
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%d B\t%s\t%s\t%s\t%s\t%.1f MiB\t%s\n", n, c.Addr, c.Bytes,
			c.Start.Round(time.Millisecond), c.RTT.Round(10*time.Microsecond),
			c.Result.UserCPU.Round(time.Millisecond), c.Result.SysCPU.Round(time.Millisecond),
			float64(c.Result.MaxRSS)/(1<<20), verdict)
		if ctx.Err() != nil {
			break
		}
	}
	tw.Flush()
	if code, ok := signalExit(); ok {
		return exitError{code}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d runners failed the echo check", failed, len(names))
	}
	return nil
}

// guestPaths finds the two guest builds, by default beside this executable.
func guestPaths(dir string) (native, wasm string, err error) {
	if dir == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", "", err
		}
		dir = filepath.Dir(exe)
	}
	native, wasm = filepath.Join(dir, "guest"), filepath.Join(dir, "guest.wasm")
	for _, p := range []string{native, wasm} {
		if _, err := os.Stat(p); err != nil {
			return "", "", sandbox.BadInput("guest %s not found: run 'make build' (or pass --guest-dir)", p)
		}
	}
	return native, wasm, nil
}
