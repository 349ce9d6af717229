package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/nswasi/nswasi/internal/usage"
)

func run(context.Context, *Command, []string) error { return nil }

// Check names every part a declaration lacks, the argument count above
// all: its zero value must not pass for "no arguments".
func TestCheck(t *testing.T) {
	full := Command{UsageLine: "x DIR", Short: "does x", Example: "nswasi x", Args: NoArgs, Run: run}
	if err := full.Check(); err != nil {
		t.Errorf("complete declaration: %v", err)
	}
	for _, c := range []struct {
		change func(*Command)
		want   string
	}{
		{func(c *Command) { c.UsageLine = "x [--y] [--gone]"; c.Flag.Bool("y", false, "") }, "names --gone"},
		{func(c *Command) { c.UsageLine = "" }, "usage line"},
		{func(c *Command) { c.UsageLine = " x" }, "usage line"},
		{func(c *Command) { c.Short = "" }, "short help"},
		{func(c *Command) { c.Example = "" }, "example"},
		{func(c *Command) { c.Args = Args{} }, "argument count"},
		{func(c *Command) { c.Run = nil }, "Run"},
	} {
		c2 := full
		c.change(&c2)
		if err := c2.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("declaration without %s: Check says %v", c.want, err)
		}
	}
}

func newCmd(args Args, interleaved bool) (*Command, *string) {
	c := &Command{UsageLine: "x [--out DIR] DIR...", Short: "does x", Example: "nswasi x a", Args: args, Interleaved: interleaved, Run: run}
	out := c.Flag.String("out", "", "where")
	return c, out
}

func TestParse(t *testing.T) {
	c, out := newCmd(AtLeast(1, "folder"), true)
	pos, err := c.Parse([]string{"a", "--out", "o", "b", "--", "--c"})
	if err != nil || strings.Join(pos, " ") != "a b --c" || *out != "o" {
		t.Errorf("interleaved: %q, out %q, %v", pos, *out, err)
	}
	c, out = newCmd(AtLeast(1, "artifact"), false)
	pos, err = c.Parse([]string{"--out", "o", "--", "guest", "--flag-of-guest"})
	if err != nil || strings.Join(pos, " ") != "guest --flag-of-guest" || *out != "o" {
		t.Errorf("not interleaved: %q, out %q, %v", pos, *out, err)
	}
	for _, r := range []struct {
		args Args
		in   []string
		want string
	}{
		{NoArgs, []string{"a"}, `unexpected argument "a" (see nswasi x --help)`},
		{AtLeast(1, "folder"), nil, "no folder given (see nswasi x --help)"},
		{Exactly(2, "result directories"), []string{"a"}, "x takes exactly 2 result directories, got 1"},
		{Exactly(2, "result directories"), []string{"a", "b", "c"}, "x takes exactly 2 result directories, got 3"},
		{NoArgs, []string{"--nope"}, "flag provided but not defined: -nope (see nswasi x --help)"},
	} {
		c, _ := newCmd(r.args, true)
		_, err := c.Parse(r.in)
		if !usage.IsBadInput(err) || !strings.Contains(err.Error(), r.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q): %v, want one InputError line containing %q", r.in, err, r.want)
		}
	}
	c, _ = newCmd(NoArgs, false)
	if _, err := c.Parse([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

// The help is generated from the declaration, each part once.
func TestUsage(t *testing.T) {
	c, _ := newCmd(NoArgs, false)
	c.Long = "X does x to every DIR."
	var b bytes.Buffer
	c.Usage(&b)
	for _, want := range []string{"usage: nswasi x [--out DIR] DIR...\n", "X does x to every DIR.", "flags:\n  -out string\n", "example:\n  nswasi x a\n"} {
		if n := strings.Count(b.String(), want); n != 1 {
			t.Errorf("usage has %q %d times, want once:\n%s", want, n, b.String())
		}
	}
	b.Reset()
	PrintUsage(&b, []*Command{c, {UsageLine: "longer-name", Short: "s"}})
	lines := strings.Split(b.String(), "\n")
	if strings.Index(lines[2], "does x") != strings.Index(lines[3], "s") || !strings.HasPrefix(lines[2], "  x ") {
		t.Errorf("summaries not in one column:\n%s", b.String())
	}
}
