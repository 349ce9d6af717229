package isolation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/sandbox"
)

// EnvCanary is the variable set in nswasi's own environment for the
// duration of a run, holding a fresh secret, and granted to no guest.
const EnvCanary = "NSWASI_ISOLATION_CANARY"

// fixture is what one run of the suite creates outside every sandbox, fresh,
// and removes at the end.
type fixture struct {
	dir string // the temporary tree, world-traversable so an unprivileged guest meets only the sandbox's limits

	// Secrets held by the canary files, one per file so evidence says which leaked.
	grantedSecret, outsideSecret, outsideDirSecret, fdSecret, envSecret string

	guest string // a copy of the native guest, executable by any uid

	tenant    *nsrun.Namespace // another tenant; nil if it could not be made
	tenantErr error
	fdCanary  int // an open descriptor without close-on-exec; -1 if none
	envBefore *string
	// envHolder is a process outside every sandbox started with the
	// canary variable in its environment, so that it shows in its
	// /proc/PID/environ (os.Setenv does not change nswasi's own, which
	// shows only what nswasi was started with).
	envHolder *sandbox.Process
}

// Paths inside the fixture.
func (f *fixture) path(elem ...string) string {
	return filepath.Join(append([]string{f.dir}, elem...)...)
}

func newFixture(nativeGuest string, ns nsrun.Options, wantTenant bool) (f *fixture, err error) {
	f = &fixture{fdCanary: -1,
		grantedSecret: nonce(), outsideSecret: nonce(), outsideDirSecret: nonce(), fdSecret: nonce(), envSecret: nonce()}
	if f.dir, err = os.MkdirTemp("", "nswasi-isolation-"); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			f = nil
		}
	}()
	// Directories the native control may write to are 0777 (mode set
	// after creation, past the umask): only a sandbox should stop a write.
	dirs := []struct {
		name string
		mode os.FileMode
	}{
		{"", 0o755}, {"granted", 0o777}, {"readonly", 0o777}, {"outside", 0o755},
		{"outside-dir", 0o755}, {"create", 0o777}, {"markers", 0o777}, {"bin", 0o755},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(f.path(d.name), d.mode); err != nil {
			return f, err
		}
		if err := os.Chmod(f.path(d.name), d.mode); err != nil {
			return f, err
		}
	}
	files := []struct{ path, content string }{
		{f.path("readonly", "secret.txt"), f.grantedSecret},
		{f.path("outside", "secret.txt"), f.outsideSecret},
		{f.path("outside-dir", "secret.txt"), f.outsideDirSecret},
	}
	for _, w := range files {
		if err := os.WriteFile(w.path, []byte(w.content), 0o644); err != nil {
			return f, err
		}
	}
	// Symlinks inside a granted directory that point out of it, absolute.
	if err := os.Symlink(f.path("outside-dir"), f.path("granted", "link-dir")); err != nil {
		return f, err
	}
	if err := os.Symlink(f.path("outside", "secret.txt"), f.path("granted", "link-file")); err != nil {
		return f, err
	}
	f.guest = f.path("bin", "guest")
	if err := copyFile(nativeGuest, f.guest, 0o755); err != nil {
		return f, fmt.Errorf("copy the native guest: %w", err)
	}

	// The descriptor canary: a file only root can open by path (0600),
	// held open by nswasi without close-on-exec, as a descriptor inherited
	// from nswasi's own parent would be. Only descriptor inheritance can
	// hand its secret to an unprivileged guest.
	fdPath := f.path("fd-canary")
	if err := os.WriteFile(fdPath, []byte(f.fdSecret), 0o600); err != nil {
		return f, err
	}
	if f.fdCanary, err = syscall.Open(fdPath, syscall.O_RDONLY, 0); err != nil {
		f.fdCanary = -1
		return f, fmt.Errorf("open the descriptor canary: %w", err)
	}

	if v, ok := os.LookupEnv(EnvCanary); ok {
		f.envBefore = &v
	}
	os.Setenv(EnvCanary, f.envSecret)
	if sleep, err := exec.LookPath("sleep"); err == nil {
		// StartProcess keeps the forking thread alive, so the holder's
		// parent-death signal fires only when nswasi dies.
		f.envHolder, err = sandbox.StartProcess(context.Background(), sandbox.Launch{
			Path: sleep, Args: []string{"3600"}, Env: []string{EnvCanary + "=" + f.envSecret},
		})
		if err != nil {
			return f, fmt.Errorf("start the environment canary's holder: %w", err)
		}
	}

	if wantTenant {
		f.tenant, f.tenantErr = nsrun.New(ns)
		if f.tenantErr != nil {
			f.tenantErr = fmt.Errorf("tenant namespace: %w", f.tenantErr)
		}
	} else {
		f.tenantErr = errors.New("needs root: the canary lives in a second namespace nswasi creates")
	}
	return f, nil
}

// Close removes everything the fixture made.
func (f *fixture) Close() error {
	var errs []error
	if f.fdCanary >= 0 {
		syscall.Close(f.fdCanary)
		f.fdCanary = -1
	}
	if f.envHolder != nil {
		f.envHolder.Stop()
		f.envHolder = nil
	}
	if f.envSecret != "" {
		if f.envBefore != nil {
			os.Setenv(EnvCanary, *f.envBefore)
		} else {
			os.Unsetenv(EnvCanary)
		}
	}
	if f.tenant != nil {
		errs = append(errs, f.tenant.Close())
		f.tenant = nil
	}
	if f.dir != "" {
		errs = append(errs, os.RemoveAll(f.dir))
	}
	return errors.Join(errs...)
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, mode)
	}
	return err
}

// executableBy says whether uid/gid (without supplementary groups) may
// execute path: every directory on the way must be searchable and the file
// readable and executable by them. It mirrors the kernel's check for the
// plain owner/group/other bits, which is all nswasi's own files use.
func executableBy(path string, uid, gid uint32) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	check := func(p string, need uint32) error {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return err
		}
		shift := uint32(0)
		switch {
		case uid == 0:
			return nil
		case st.Uid == uid:
			shift = 6
		case st.Gid == gid:
			shift = 3
		}
		if (st.Mode>>shift)&need != need {
			return fmt.Errorf("%s (mode %#o) is not accessible to uid %d", p, st.Mode&0o777, uid)
		}
		return nil
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		if err := check(d, 1); err != nil {
			return err
		}
		if d == "/" {
			break
		}
	}
	return check(abs, 5)
}
