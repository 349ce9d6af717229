// Package testenv holds what nswasi's integration tests share: building the
// guest once per test binary, and the root check with its skip message.
package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/nswasi/nswasi/nsrun"
	"github.com/nswasi/nswasi/scenarios"
	"github.com/nswasi/nswasi/wasirun"
)

// BuildGuest builds both guests into a fresh directory; call it from
// TestMain and remove the directory afterwards.
func BuildGuest() (scenarios.Guest, string, error) {
	dir, err := os.MkdirTemp("", "nswasi-test-guest-")
	if err != nil {
		return scenarios.Guest{}, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	g, err := scenarios.Build(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return scenarios.Guest{}, "", err
	}
	return g, dir, nil
}

// RequireRoot skips t, saying why, unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): creates network namespaces and veth pairs; run the tests as root, as CI does")
	}
}

// NoObjects fails t if kernel objects with the nswasi prefix exist.
func NoObjects(t testing.TB) {
	t.Helper()
	if err := CheckNoObjects(); err != nil {
		t.Error(err)
	}
}

// CheckNoObjects reports kernel objects with the nswasi prefix, if any.
func CheckNoObjects() error {
	objs, err := nsrun.Objects()
	if err != nil {
		return err
	}
	if len(objs) > 0 {
		return fmt.Errorf("left behind: %v", objs)
	}
	return nil
}

// Main is the TestMain of a package whose tests start guests: it serves
// the wazero host and the limit shim when this binary is re-executed as
// one, builds both guests, calls setup with them, runs the tests, removes
// the guests, and (as root) fails the run if any kernel object with the
// nswasi prefix is left. It returns the exit code for os.Exit.
func Main(m *testing.M, setup func(g scenarios.Guest) error) int {
	wasirun.ServeIfHost()
	g, dir, err := BuildGuest()
	if err == nil && setup != nil {
		err = setup(g)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		return 1
	}
	code := m.Run()
	os.RemoveAll(dir)
	if os.Geteuid() == 0 {
		if err := CheckNoObjects(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: after all tests:", err)
			code = 1
		}
	}
	return code
}
