package conformance

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/wasirun"
)

// Output is what one run of a test produced, as the judge needs it.
type Output struct {
	ExitCode int
	// Signal names the signal that killed the host process, or is empty.
	Signal string
	// TimedOut is set when the guest was killed because its time was up;
	// Timeout is that time.
	TimedOut bool
	Timeout  time.Duration
	// HostErr is a failure to run the guest at all.
	HostErr        error
	Stdout, Stderr []byte
	// OutputTruncated is set when the runner kept only the end of the output.
	OutputTruncated bool

	wall time.Duration
}

// Verdict is the judgement of one run.
type Verdict struct {
	Outcome string // results.Pass, Fail, Timeout or HostError
	Reasons []string
	Trapped bool
}

// The host process reports these on stderr with its ExitTrap and
// ExitDeadline statuses (wasirun/serve.go); the line, not the status
// alone, tells them from a guest that exits with the same number.
const (
	trapLine     = "nswasi: guest trapped:"
	deadlineLine = "nswasi: guest interrupted: timeout"
)

// Judge compares a run with its test's expectations, as the reference
// runner does: the exit code always, stdout and stderr exactly when the
// test sets them.
func Judge(c TestConfig, o Output) Verdict {
	switch {
	case o.HostErr != nil:
		return Verdict{Outcome: results.HostError, Reasons: []string{"host error: " + oneLine(o.HostErr.Error())}}
	case o.TimedOut || (o.ExitCode == wasirun.ExitDeadline && bytes.Contains(o.Stderr, []byte(deadlineLine))):
		return Verdict{Outcome: results.Timeout, Reasons: []string{fmt.Sprintf("timeout: still running after %s, killed", o.Timeout)}}
	case o.Signal != "":
		return Verdict{Outcome: results.HostError, Reasons: []string{"host process killed by " + o.Signal}}
	}
	v := Verdict{Outcome: results.Pass}
	v.Trapped = o.ExitCode == wasirun.ExitTrap && bytes.Contains(o.Stderr, []byte(trapLine))
	if o.ExitCode != c.ExitCode {
		got := "exit code " + strconv.Itoa(o.ExitCode)
		if v.Trapped {
			got = "trapped (" + trapMessage(o.Stderr) + ")"
		}
		v.Reasons = append(v.Reasons, fmt.Sprintf("%s, want exit code %d", got, c.ExitCode))
	}
	if c.Stdout != nil && string(o.Stdout) != *c.Stdout {
		v.Reasons = append(v.Reasons, "stdout "+Diff(o.Stdout, *c.Stdout, o.OutputTruncated))
	}
	if c.Stderr != nil && string(o.Stderr) != *c.Stderr {
		v.Reasons = append(v.Reasons, "stderr "+Diff(o.Stderr, *c.Stderr, o.OutputTruncated))
	}
	if len(v.Reasons) > 0 {
		v.Outcome = results.Fail
		if e := Evidence(o.Stderr); e != "" {
			v.Reasons = append(v.Reasons, "guest stderr: "+e)
		}
	}
	return v
}

// Diff summarises how got differs from want in one line: the lengths
// and the first differing byte with a little context.
func Diff(got []byte, want string, truncated bool) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	at := func(s string) string {
		if i >= len(s) {
			return "end of output"
		}
		return strconv.Quote(clip(s[i:], 24))
	}
	s := fmt.Sprintf("differs: got %d bytes, want %d; first difference at byte %d: got %s, want %s",
		len(got), len(want), i, at(string(got)), at(want))
	if truncated {
		s += " (the output was longer than the runner keeps; it kept the end)"
	}
	return s
}

// Evidence picks the line or two of a guest's stderr that say why it
// failed: a Rust panic's location and message, a C assertion, or else the
// first lines.
func Evidence(stderr []byte) string {
	var lines []string
	for _, l := range strings.Split(string(stderr), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, trapLine) && !strings.HasPrefix(l, "note: run with") {
			lines = append(lines, l)
		}
	}
	for i, l := range lines {
		if strings.Contains(l, "panicked at") && i+1 < len(lines) {
			return clip(l+" "+lines[i+1], 300)
		}
		if strings.Contains(l, "Assertion") || strings.Contains(l, "assertion") {
			return clip(l, 300)
		}
	}
	if len(lines) > 2 {
		lines = lines[:2]
	}
	return clip(strings.Join(lines, " | "), 300)
}

// trapMessage is the trap's own words from the host's trap line.
func trapMessage(stderr []byte) string {
	for _, l := range strings.Split(string(stderr), "\n") {
		if m, ok := strings.CutPrefix(l, trapLine); ok {
			return clip(strings.TrimSpace(m), 120)
		}
	}
	return "trap"
}

// clip shortens s to at most n bytes, at a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func oneLine(s string) string {
	return clip(strings.Join(strings.Fields(s), " "), 500)
}
