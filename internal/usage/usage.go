// Package usage holds the error that marks a mistake in what the user asked
// for. Every layer of nswasi can refuse input (a flag, an artifact, a
// result directory), and the CLI turns each such refusal into one line and
// exit status 2; so the type sits below every package that can return it.
package usage

import (
	"errors"
	"fmt"
)

// InputError marks a failure caused by what the user asked for (a missing
// artifact, a malformed grant, a port in use) rather than by nswasi or the
// machine. The CLI reports it in one line and exits with status 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// BadInput returns an InputError with a formatted message.
func BadInput(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsBadInput reports whether err is, or wraps, an InputError.
func IsBadInput(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}
