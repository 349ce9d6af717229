package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasirun"
)

var cmdExec = &cli.Command{
	UsageLine: "exec --runner R [--listen [HOST]:PORT]... [--dir HOSTPATH:GUESTPATH[:ro]]... [--env K=V]... [--timeout DUR] -- ARTIFACT [ARGS...]",
	Short:     "run one artifact under one runner with the given grants",
	Example:   "nswasi exec --runner wasi --listen :0 --dir /srv/data:/data:ro -- bin/guest.wasm echo",
	Args:      cli.AtLeast(1, "artifact"),
}

var execFlags struct {
	common              commonFlags
	runner              string
	listens, dirs, envs cli.Repeated
	timeout             time.Duration
}

func init() {
	cmdExec.Run = runExec
	fs, f := &cmdExec.Flag, &execFlags
	f.common.register(fs)
	fs.StringVar(&f.runner, "runner", "", "runner: "+strings.Join(runners.Names(), " | "))
	fs.Var(&f.listens, "listen", "grant a TCP listener at [HOST]:PORT in the guest's network (repeatable; port 0 = any)")
	fs.Var(&f.dirs, "dir", "grant a directory HOSTPATH:GUESTPATH[:ro] (repeatable)")
	fs.Var(&f.envs, "env", "set K=V in the guest's otherwise empty environment (repeatable)")
	fs.DurationVar(&f.timeout, "timeout", 0, "kill the guest after this long (0 = never)")
}

func runExec(ctx context.Context, _ *cli.Command, args []string) error {
	f := &execFlags
	if f.runner == "" {
		return usage.BadInput("--runner is required: %s", strings.Join(runners.Names(), ", "))
	}
	spec := sandbox.Spec{
		Artifact: args[0],
		Args:     args[1:],
		Env:      []string{},
		Timeout:  f.timeout,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	}
	for _, s := range f.listens {
		l, err := cli.ParseListen(s)
		if err != nil {
			return err
		}
		spec.Listen = append(spec.Listen, l)
	}
	for _, s := range f.dirs {
		d, err := cli.ParseDir(s)
		if err != nil {
			return err
		}
		spec.Dirs = append(spec.Dirs, d)
	}
	for _, s := range f.envs {
		kv, err := cli.ParseEnv(s)
		if err != nil {
			return err
		}
		spec.Env = append(spec.Env, kv)
	}
	// Paths are the user's, relative to where nswasi was started; every
	// runner starts its sandbox process elsewhere.
	spec, err := spec.Abs()
	if err != nil {
		return err
	}
	cfg, err := f.common.config()
	if err != nil {
		return err
	}
	r, err := runners.New(f.runner, cfg)
	if err != nil {
		return err
	}
	if err := needRoot(f.runner); err != nil {
		return err
	}

	g, err := r.Start(ctx, spec)
	if err != nil {
		if code, ok := signalExit(); ok {
			return exitError{code}
		}
		return err
	}
	if h, ok := r.(wasirun.Host); ok {
		fmt.Fprintf(os.Stderr, "nswasi: WASI host %s on wazero %s (%s engine)\n", cfg.Wasi.WASIHost, results.WazeroVersion(), h.Engine)
	}
	for i, a := range g.Addrs() {
		fmt.Fprintf(os.Stderr, "nswasi: listener %d reachable at %s\n", i, a)
	}
	res := g.Wait()
	if code, ok := signalExit(); ok {
		return exitError{code}
	}
	switch {
	case res.Err != nil:
		return res.Err
	case res.TimedOut:
		fmt.Fprintf(os.Stderr, "nswasi: guest killed: timeout %s passed\n", f.timeout.Round(time.Millisecond))
		return exitError{124}
	case res.Signal != 0:
		fmt.Fprintf(os.Stderr, "nswasi: guest killed by %s\n", res.Signal)
		return exitError{128 + int(res.Signal)}
	}
	return exitError{res.ExitCode}
}
