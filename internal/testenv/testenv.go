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
