package wasirun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/sandbox"
	"github.com/nswasi/nswasi/wasip1"
	"github.com/tetratelabs/wazero"
)

// instantiateNswasi links the compiled guest against nswasi's own preview 1
// host (package wasip1) instead of wazero's. Unlike wazero, which binds
// granted listeners itself during instantiation, nswasi binds them here
// and hands them to the host as preopens, so their addresses are known
// without looking at the fd table.
func instantiateNswasi(ctx context.Context, r wazero.Runtime, compiled wazero.CompiledModule, cfg hostConfig) (*instance, error) {
	var listeners []*os.File
	var addrs []string
	closeAll := func() {
		for _, f := range listeners {
			f.Close()
		}
	}
	for _, l := range cfg.Listen {
		f, ap, err := sandbox.ListenTCP(l.Host, l.Port)
		if err != nil {
			closeAll()
			return nil, usage.BadInput("listen: %v", err)
		}
		listeners = append(listeners, f)
		addrs = append(addrs, ap.String())
	}
	// Preopens are numbered after stdio, directories first, then
	// listeners: the same order wazero uses, so guests see the same fds.
	dirs := make([]wasip1.Dir, len(cfg.Dirs))
	guestDirs := make([]string, len(cfg.Dirs))
	for i, d := range cfg.Dirs {
		guest := d.GuestPath
		if guest == "" {
			guest = d.HostPath
		}
		guestDirs[i] = guest
		dirs[i] = wasip1.Dir{HostPath: d.HostPath, GuestPath: guest, ReadOnly: d.ReadOnly}
	}
	fds := make([]int, len(listeners))
	for i := range listeners {
		fds[i] = 3 + len(dirs) + i
	}
	host, err := wasip1.Instantiate(ctx, r, wasip1.Config{
		Args:      append([]string{filepath.Base(cfg.Module)}, cfg.Args...),
		Env:       guestEnv(cfg, fds, guestDirs),
		Stdin:     os.Stdin,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Dirs:      dirs,
		Listeners: listeners,
	})
	closeAll() // the host keeps its own duplicates
	if err != nil {
		return nil, err
	}
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		host.Close()
		return nil, fmt.Errorf("instantiate %s: %w", cfg.Module, err)
	}
	return &instance{start: mod.ExportedFunction("_start"), addrs: addrs, close: func() { host.Close() }}, nil
}
