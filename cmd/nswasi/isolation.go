package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/nswasi/nswasi/internal/runnerinfo"
	"github.com/nswasi/nswasi/isolation"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/sandbox/runners"
	"github.com/nswasi/nswasi/scenarios"
)

func init() {
	register(command{"isolation", "run the isolation probes under every runner and judge them from outside", cmdIsolation})
}

func cmdIsolation(ctx context.Context, args []string) error {
	fs := newFlagSet("isolation", "[--out DIR] [--runners LIST] [--probes LIST] [--as-root] [--guest-dir DIR]",
		"sudo bin/nswasi isolation --out out/ --runners native,netns+fw,wasi")
	common := commonFlags{hostList: true}
	common.register(fs)
	out := fs.String("out", "", "directory for isolation.json and isolation.md (default: print only)")
	runnerList := fs.String("runners", "", "comma-separated runners (default: all: native, netns, netns+fw, wasi, wasi+netns)")
	probeList := fs.String("probes", "", "comma-separated probes (default: all; see docs/isolation.md)")
	asRoot := fs.Bool("as-root", false, "run native guests as root instead of uid 65534")
	guestDir := fs.String("guest-dir", "", "directory holding guest and guest.wasm (default: beside nswasi)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return sandbox.BadInput("unexpected argument %q (see nswasi isolation --help)", fs.Arg(0))
	}
	runnerNames, err := isolation.ParseRunners(*runnerList)
	if err != nil {
		return err
	}
	probes, err := isolation.ParseProbes(*probeList)
	if err != nil {
		return err
	}
	for _, n := range runnerNames {
		if err := needRoot(n); err != nil {
			return err
		}
	}
	if os.Geteuid() != 0 && !*asRoot && slices.ContainsFunc(runnerNames, func(n string) bool { return runners.KindOf(n) == runnerinfo.Native }) {
		return sandbox.BadInput("isolation runs native guests as uid %d, and switching to it needs root (or choose --runners wasi)", isolation.Unprivileged.UID)
	}
	cfg, err := common.config()
	if err != nil {
		return err
	}
	hosts, err := common.wasiHosts()
	if err != nil {
		return err
	}
	native, wasm, err := guestPaths(*guestDir)
	if err != nil {
		return err
	}
	if *out != "" {
		if st, err := os.Stat(*out); err == nil && !st.IsDir() {
			return sandbox.BadInput("--out %s: not a directory", *out)
		}
	}
	iso, err := isolation.Run(ctx, isolation.Config{
		Guest:     scenarios.Guest{Native: native, Wasm: wasm},
		Runners:   runnerNames,
		Probes:    probes,
		AsRoot:    *asRoot,
		Runner:    cfg,
		WASIHosts: hosts,
		Out:       *out,
		Progress:  os.Stderr,
	})
	if iso != nil {
		fmt.Print(isolation.Table(iso))
		if *out != "" {
			fmt.Printf("wrote %s/isolation.json and %s/isolation.md\n", *out, *out)
		}
	}
	if err != nil {
		if code, ok := signalExit(); ok {
			return exitError{code}
		}
		return err
	}
	return nil
}
