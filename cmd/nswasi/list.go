package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/nswasi/nswasi/internal/cli"
	"github.com/nswasi/nswasi/isolation"
	"github.com/nswasi/nswasi/runners"
	"github.com/nswasi/nswasi/scenarios"
)

var cmdList = &cli.Command{
	UsageLine: "list",
	Short:     "list scenarios, probes, runners and I/O modes",
	Example:   "nswasi list",
	Args:      cli.NoArgs,
	Run:       runList,
}

// modeSummaries says in one line what each of the guest's I/O modes does.
var modeSummaries = map[string]string{
	"blocking":    "a blocking fd: plain read, write and accept",
	"nonblocking": "O_NONBLOCK, retrying on EAGAIN",
	"poll":        "O_NONBLOCK plus a readiness wait before each call: poll(2) natively, poll_oneoff on WASI",
	"netpoll":     "Go's net.Conn over the runtime netpoller: epoll natively, poll_oneoff inside Go's wasip1 runtime",
}

func runList(_ context.Context, _ *cli.Command, _ []string) error {
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	section := func(title string) { fmt.Fprintln(tw, title) } // no tab: each section aligns on its own
	section("SCENARIOS (guest programs; bin/guest NAME)")
	for _, s := range scenarios.All {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, s.Kind, s.Summary)
	}
	section("PROBES (nswasi isolation --probes)")
	for _, name := range isolation.ProbeNames() {
		p, _ := isolation.Lookup(name)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, p.Info.Category, p.Info.Description)
	}
	section("RUNNERS")
	for _, r := range runners.All {
		fmt.Fprintf(tw, "  %s\t\t%s\n", r.Name, r.Summary)
	}
	section("I/O MODES (nswasi bench --modes)")
	for _, m := range []string{"blocking", "nonblocking", "poll", "netpoll"} {
		fmt.Fprintf(tw, "  %s\t\t%s\n", m, modeSummaries[m])
	}
	return tw.Flush()
}
