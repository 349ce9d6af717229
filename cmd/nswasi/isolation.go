package main

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/isolation"
	"github.com/nswasi/nswasi/scenarios"
)

var cmdIsolation = &cli.Command{
	UsageLine: "isolation [--out DIR] [--runners LIST] [--probes LIST] [--as-root] [--wasi-host LIST] [--guest-dir DIR]",
	Short:     "run the isolation probes under every runner and judge them from outside",
	Example:   "sudo bin/nswasi isolation --out out/ --runners native,netns+fw,wasi",
	Args:      cli.NoArgs,
}

var isolationFlags struct {
	common                     commonFlags
	out, runnerList, probeList string
	asRoot                     bool
}

func init() {
	cmdIsolation.Run = runIsolation
	fs, f := &cmdIsolation.Flag, &isolationFlags
	f.common.registerSuite(fs)
	fs.StringVar(&f.out, "out", "", "directory for isolation.json and isolation.md (default: print only)")
	fs.StringVar(&f.runnerList, "runners", "", "comma-separated runners (default: all: native, netns, netns+fw, wasi, wasi+netns)")
	fs.StringVar(&f.probeList, "probes", "", "comma-separated probes (default: all; see docs/isolation.md)")
	fs.BoolVar(&f.asRoot, "as-root", false, "run native guests as root instead of uid 65534")
}

func runIsolation(ctx context.Context, _ *cli.Command, _ []string) error {
	f := &isolationFlags
	runnerNames, err := isolation.ParseRunners(f.runnerList)
	if err != nil {
		return err
	}
	probes, err := isolation.ParseProbes(f.probeList)
	if err != nil {
		return err
	}
	for _, n := range runnerNames {
		if err := needRoot(n); err != nil {
			return err
		}
	}
	if os.Geteuid() != 0 && !f.asRoot && slices.Contains(runnerNames, "native") {
		return usage.BadInput("isolation runs native guests as uid %d, and switching to it needs root (or choose --runners wasi)", isolation.Unprivileged.UID)
	}
	cfg, err := f.common.config()
	if err != nil {
		return err
	}
	hosts, err := f.common.wasiHosts()
	if err != nil {
		return err
	}
	native, wasm, err := f.common.guestPaths()
	if err != nil {
		return err
	}
	if f.out != "" {
		if st, err := os.Stat(f.out); err == nil && !st.IsDir() {
			return usage.BadInput("--out %s: not a directory", f.out)
		}
	}
	iso, err := isolation.Run(ctx, isolation.Config{
		Guest:     scenarios.Guest{Native: native, Wasm: wasm},
		Runners:   runnerNames,
		Probes:    probes,
		AsRoot:    f.asRoot,
		Runner:    cfg,
		WASIHosts: hosts,
		Out:       f.out,
		Progress:  os.Stderr,
	})
	if iso != nil {
		fmt.Print(isolation.Table(iso))
		if f.out != "" {
			fmt.Printf("wrote %s/isolation.json and %s/isolation.md\n", f.out, f.out)
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
