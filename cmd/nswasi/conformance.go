package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/nswasi/nswasi/conformance"
	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"

	"github.com/nswasi/nswasi/wasirun"
)

func init() {
	register(command{"conformance", "run WASI testsuite folders under each WASI host and judge every test", cmdConformance})
}

func cmdConformance(ctx context.Context, args []string) error {
	fs := newFlagSet("conformance", "[--wasi-host LIST] [--out DIR] [--engine E] [--timeout DUR] [--jobs N] [--expectations FILE] DIR...",
		"nswasi conformance --out out/ ../shared/wasi-testsuite")
	hostList := fs.String("wasi-host", wasirun.HostWazero+","+wasirun.HostNswasi, "comma-separated WASI hosts: "+strings.Join(wasirun.WASIHosts, ", "))
	out := fs.String("out", "", "directory for conformance.json and conformance.md (default: print only)")
	engine := fs.String("engine", "compiler", "wazero engine: "+strings.Join(wasirun.Engines, " | "))
	timeout := fs.Duration("timeout", conformance.DefaultTimeout, "kill a test after this long, module compilation included")
	jobs := fs.Int("jobs", 2, "tests run at once")
	expect := fs.String("expectations", "", "the wazero host's known failures, in the testsuite runner's TOML skip format (default: "+conformance.ExpectationsFile+" in or beside a DIR, if there; 'none' to compare with nothing)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usage.BadInput("no testsuite folder given (see nswasi conformance --help)")
	}
	if *jobs < 1 {
		return usage.BadInput("--jobs %d: want at least 1", *jobs)
	}
	if *timeout <= 0 {
		return usage.BadInput("--timeout %s: want a positive duration", *timeout)
	}
	hosts, err := parseWASIHosts(*hostList)
	if err != nil {
		return err
	}
	if *out != "" {
		if st, err := os.Stat(*out); err == nil && !st.IsDir() {
			return usage.BadInput("--out %s: not a directory", *out)
		}
	}
	dirs, err := conformance.Discover(fs.Args())
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
	switch *expect {
	case "none":
	case "":
		if p := conformance.FindExpectations(fs.Args()); p != "" {
			if exp, err = conformance.LoadExpectations(p); err != nil {
				return err
			}
		}
	default:
		if exp, err = conformance.LoadExpectations(*expect); err != nil {
			return err
		}
	}
	if exp != nil && !slices.Contains(hosts, wasirun.HostWazero) {
		exp = nil // the list is about the wazero host only
	}
	res, err := conformance.Run(ctx, conformance.Config{
		Suites:           suites,
		Hosts:            hosts,
		Runner:           wasirun.Host{Engine: *engine, CacheDir: wasirun.DefaultCacheDir()},
		Timeout:          *timeout,
		Jobs:             *jobs,
		Expectations:     exp,
		ExpectationsHost: wasirun.HostWazero,
		Out:              *out,
		Progress:         os.Stderr,
	})
	if res != nil && *out == "" {
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
		fmt.Printf("wrote %s/%s and %s/%s\n", *out, results.ConformanceFile, *out, conformance.MarkdownFile)
	}
	if err != nil {
		if code, ok := signalExit(); ok {
			return exitError{code}
		}
		return err
	}
	return nil
}
