package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/nswasi/nswasi/internal/usage"
)

// Command is one nswasi command, in the shape of cmd/go's base.Command:
// its name, usage line, help, flags and argument count are declared once,
// and the command line is parsed, refused and explained from that
// declaration alone.
type Command struct {
	// UsageLine is the command's name followed by its synopsis, as printed
	// after "usage: nswasi ". The first word is the name.
	UsageLine string
	// Short is the one line shown in the command list.
	Short string
	// Long is the help text after the usage line; empty means Short.
	Long string
	// Example is one command line a user can copy.
	Example string
	// Args is how many positional arguments the command takes.
	Args Args
	// Interleaved lets flags come after positional arguments too
	// ("report A B --out X"), where flag.Parse alone stops at the first.
	Interleaved bool
	// Flag holds the command's flags; each command's file defines them in
	// an init function.
	Flag flag.FlagSet
	// Run runs the command with the positional arguments, after the flags
	// were parsed and the argument count was checked.
	Run func(ctx context.Context, cmd *Command, args []string) error
}

// Name is the first word of the usage line.
func (c *Command) Name() string {
	name, _, _ := strings.Cut(c.UsageLine, " ")
	return name
}

// Args is a count of positional arguments. Its zero value declares
// nothing, so that a command that forgot to say is caught by Check; make
// one with NoArgs, Exactly or AtLeast.
type Args struct {
	min, max int // max < 0: no upper bound
	what     string
	declared bool
}

// NoArgs is the count of a command that takes flags only.
var NoArgs = Args{declared: true}

// Exactly is a count of exactly n arguments; what names them in the plural
// ("result directories").
func Exactly(n int, what string) Args { return Args{min: n, max: n, what: what, declared: true} }

// AtLeast is a count of n or more arguments; what names one of them in the
// singular ("testsuite folder").
func AtLeast(n int, what string) Args { return Args{min: n, max: -1, what: what, declared: true} }

// check refuses a count of arguments that does not fit, in one line.
func (a Args) check(name string, args []string) error {
	see := fmt.Sprintf("(see nswasi %s --help)", name)
	switch {
	case a.min == a.max && a.min > 0 && len(args) != a.min:
		return usage.BadInput("%s takes exactly %d %s, got %d %s", name, a.min, a.what, len(args), see)
	case len(args) < a.min:
		return usage.BadInput("no %s given %s", a.what, see)
	case a.max >= 0 && len(args) > a.max:
		return usage.BadInput("unexpected argument %q %s", args[a.max], see)
	}
	return nil
}

// Check reports what the declaration of c lacks. The CLI's tests call it
// for every command, so that no command ships without its usage, help,
// example, argument count or body.
func (c *Command) Check() error {
	var missing []string
	if c.Name() == "" || strings.TrimSpace(c.UsageLine) != c.UsageLine {
		missing = append(missing, "usage line")
	}
	if c.Short == "" {
		missing = append(missing, "short help")
	}
	if c.Example == "" {
		missing = append(missing, "example")
	}
	if !c.Args.declared {
		missing = append(missing, "argument count")
	}
	if c.Run == nil {
		missing = append(missing, "Run")
	}
	if len(missing) > 0 {
		return fmt.Errorf("command %q declares no %s", c.Name(), strings.Join(missing, ", "))
	}
	// The usage line is written by hand, so it is held to the flag set:
	// a flag it names must exist.
	for _, m := range flagMention.FindAllStringSubmatch(c.UsageLine, -1) {
		if c.Flag.Lookup(m[1]) == nil {
			return fmt.Errorf("command %q: its usage line names --%s, which it does not define", c.Name(), m[1])
		}
	}
	return nil
}

// flagMention is a flag named in a usage line.
var flagMention = regexp.MustCompile(`--([a-z][a-z0-9-]*)`)

// Usage writes the command's help: usage line, description, flags and
// example, each once.
func (c *Command) Usage(w io.Writer) {
	fmt.Fprintf(w, "usage: nswasi %s\n\n", c.UsageLine)
	long := c.Long
	if long == "" {
		long = c.Short
	}
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(long))
	hasFlags := false
	c.Flag.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintf(w, "\nflags:\n")
		c.Flag.SetOutput(w)
		c.Flag.PrintDefaults()
		c.Flag.SetOutput(io.Discard)
	}
	fmt.Fprintf(w, "\nexample:\n  %s\n", c.Example)
}

// Parse parses the flags in args and checks the count of what remains,
// which it returns. On -h or --help it writes the usage to stdout and
// returns flag.ErrHelp; every other mistake is one usage.InputError line.
func (c *Command) Parse(args []string) ([]string, error) {
	c.Flag.Init(c.Name(), flag.ContinueOnError)
	// FlagSet would print the usage on every mistake, and again after
	// its own on --help; the mistake is one line, the help is printed
	// here once.
	c.Flag.SetOutput(io.Discard)
	c.Flag.Usage = func() {}
	var pos []string
	for {
		err := c.Flag.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.Usage(os.Stdout)
			return nil, err
		}
		if err != nil {
			return nil, usage.BadInput("%v (see nswasi %s --help)", err, c.Name())
		}
		args = c.Flag.Args()
		if !c.Interleaved || len(args) == 0 {
			pos = append(pos, args...)
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return pos, c.Args.check(c.Name(), pos)
}

// PrintUsage writes the list of commands, each Short in one column
// however long the longest name.
func PrintUsage(w io.Writer, cmds []*Command) {
	fmt.Fprintln(w, "usage: nswasi COMMAND [FLAGS] [ARGS]")
	fmt.Fprintln(w)
	width := 0
	for _, c := range cmds {
		width = max(width, len(c.Name()))
	}
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name(), c.Short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'nswasi COMMAND --help' for a command's flags and an example.")
}

// Repeated is a flag that may be given many times, each value kept.
type Repeated []string

func (r *Repeated) String() string     { return strings.Join(*r, " ") }
func (r *Repeated) Set(s string) error { *r = append(*r, s); return nil }
