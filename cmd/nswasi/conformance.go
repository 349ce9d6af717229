package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nswasi/nswasi/conformance"
	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
	"github.com/nswasi/nswasi/wasirun"
)

var cmdConformance = &cli.Command{
	UsageLine: "conformance [--wasi-host LIST] [--out DIR] [--engine E] [--timeout DUR] [--jobs N] [--expectations FILE] DIR...",
	Short:     "run WASI testsuite folders under each WASI host and judge every test",
	Example:   "nswasi conformance --out out/ ../shared/wasi-testsuite",
	Args:      cli.AtLeast(1, "testsuite folder"),
}

var conformanceFlags struct {
	hostList, out, engine, expect string
	timeout                       time.Duration
	jobs                          int
}

func init() {
	cmdConformance.Run = runConformance
	fs, f := &cmdConformance.Flag, &conformanceFlags
	fs.StringVar(&f.hostList, "wasi-host", wasirun.HostWazero+","+wasirun.HostNswasi, "comma-separated WASI hosts: "+strings.Join(wasirun.WASIHosts, ", "))
	fs.StringVar(&f.out, "out", "", "directory for conformance.json and conformance.md (default: print only)")
	fs.StringVar(&f.engine, "engine", "compiler", "wazero engine: "+strings.Join(wasirun.Engines, " | "))
	fs.DurationVar(&f.timeout, "timeout", conformance.DefaultTimeout, "kill a test after this long, module compilation included")
	fs.IntVar(&f.jobs, "jobs", 2, "tests run at once")
	fs.StringVar(&f.expect, "expectations", "", "the wazero host's known failures, in the testsuite runner's TOML skip format (default: "+conformance.ExpectationsFile+" in or beside a DIR, if there; 'none' to compare with nothing)")
}

func runConformance(ctx context.Context, _ *cli.Command, args []string) error {
	f := &conformanceFlags
	if f.jobs < 1 {
		return usage.BadInput("--jobs %d: want at least 1", f.jobs)
	}
	if f.timeout <= 0 {
		return usage.BadInput("--timeout %s: want a positive duration", f.timeout)
	}
	hosts, err := parseWASIHosts(f.hostList)
	if err != nil {
		return err
	}
	if f.out != "" {
		if st, err := os.Stat(f.out); err == nil && !st.IsDir() {
			return usage.BadInput("--out %s: not a directory", f.out)
		}
	}
	dirs, err := conformance.Discover(args)
	if err != nil {
		return err
	}
	var suites []*conformance.Suite
	for _, d := range dirs {
		s, err := conformance.LoadSuite(d)
		if err != nil {
			return err
		}
		suites = append(suites, s)
	}
	var exp *conformance.Expectations
	switch f.expect {
	case "none":
	case "":
		if p := conformance.FindExpectations(args); p != "" {
			if exp, err = conformance.LoadExpectations(p); err != nil {
				return err
			}
		}
	default:
		if exp, err = conformance.LoadExpectations(f.expect); err != nil {
			return err
		}
	}
	if exp != nil && !slices.Contains(hosts, wasirun.HostWazero) {
		exp = nil // the list is about the wazero host only
	}
	res, err := conformance.Run(ctx, conformance.Config{
		Suites:           suites,
		Hosts:            hosts,
		Runner:           wasirun.Host{Engine: f.engine, CacheDir: wasirun.DefaultCacheDir()},
		Timeout:          f.timeout,
		Jobs:             f.jobs,
		Expectations:     exp,
		ExpectationsHost: wasirun.HostWazero,
		Out:              f.out,
		Progress:         os.Stderr,
	})
	if res != nil && f.out == "" {
		fmt.Print("\n" + conformance.Markdown(res))
	} else if res != nil {
		fmt.Print("\n" + conformance.Summary(res))
		if e := res.Expectations; e != nil {
			verdict := "agree"
			if !e.Agree {
				verdict = "DISAGREE (unexpected failures: " + strings.Join(e.Unexpected, ", ") + "; see the table for listed tests that passed)"
			}
			fmt.Printf("\n%s failures against %s: %s\n", e.Host, e.Source, verdict)
		}
		fmt.Printf("wrote %s/%s and %s/%s\n", f.out, results.ConformanceFile, f.out, conformance.MarkdownFile)
	}
	if err != nil {
		if code, ok := signalExit(); ok {
			return exitError{code}
		}
		return err
	}
	return nil
}
