package usage

import (
	"errors"
	"fmt"
	"testing"
)

func TestIsBadInputThroughWrapping(t *testing.T) {
	err := fmt.Errorf("bench: %w", BadInput("--sizes: %q is not a size", "x"))
	if !IsBadInput(err) {
		t.Errorf("IsBadInput(%v) = false for a wrapped InputError", err)
	}
	if IsBadInput(errors.New("disk full")) || IsBadInput(nil) {
		t.Error("IsBadInput is true for an error that is not an InputError")
	}
	if got, want := err.Error(), `bench: --sizes: "x" is not a size`; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
