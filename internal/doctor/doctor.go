// Package doctor checks what nswasi needs from the machine and says plainly
// what will be skipped, and why, when something is missing.
package doctor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/nftables"
	"github.com/nswasi/nswasi/nsrun"
)

// Check is the outcome of one check.
type Check struct {
	Name string
	OK   bool
	// Essential checks failing mean nswasi's namespace runners cannot work.
	Essential bool
	// Detail says what was seen; Consequence what is skipped when !OK.
	Detail, Consequence string
}

// Run performs every check. It creates (and removes) one throwaway
// namespace when it has the privileges to.
func Run(ctx context.Context, opts nsrun.Options) []Check {
	var cs []Check
	priv := privileged()
	cs = append(cs, Check{Name: "root or CAP_SYS_ADMIN+CAP_NET_ADMIN", OK: priv, Essential: true,
		Detail:      fmt.Sprintf("uid %d", os.Geteuid()),
		Consequence: "the netns, netns+fw and wasi+netns runners cannot run: run nswasi as root"})

	nsCheck := Check{Name: "network namespaces and veth", Essential: true,
		Consequence: "the netns, netns+fw and wasi+netns runners cannot run"}
	nftCheck := Check{Name: "nftables (netlink)", Consequence: "the netns+fw runner cannot run"}
	if priv {
		ns, err := nsrun.New(opts)
		if err != nil {
			nsCheck.Detail = err.Error()
			nftCheck.Detail = "not checked: no namespace"
		} else {
			nsCheck.OK = true
			nsCheck.Detail = fmt.Sprintf("created %s with %s (%s) ↔ %s (%s), removed it", ns.Name, ns.HostLink, ns.HostAddr, ns.PeerLink, ns.PeerAddr)
			err := ns.Do(func() error {
				c, err := nftables.New()
				if err != nil {
					return err
				}
				defer c.CloseLasting()
				_, err = c.ListTables()
				return err
			})
			nftCheck.OK = err == nil
			nftCheck.Detail = "listed tables inside a namespace"
			if err != nil {
				nftCheck.Detail = err.Error()
			}
			if err := ns.Close(); err != nil {
				nsCheck.OK = false
				nsCheck.Detail += "; removing it failed: " + err.Error()
			}
		}
	} else {
		nsCheck.Detail = "not checked without privileges"
		nftCheck.Detail = "not checked without privileges"
	}
	cs = append(cs, nsCheck, nftCheck)

	what := map[string]string{
		"tbf":   "link rate limits (link.rate) cannot be applied",
		"htb":   "nothing in nswasi needs it yet",
		"netem": "delay, jitter and loss (link.delay, link.jitter, link.loss) will be skipped",
	}
	if priv && nsCheck.OK {
		qs, err := nsrun.ProbeQdiscs(opts)
		for _, q := range []string{"tbf", "htb", "netem"} {
			c := Check{Name: "qdisc " + q, Consequence: what[q]}
			switch {
			case err != nil:
				c.Detail = err.Error()
			case qs[q] == nil:
				c.OK, c.Detail = true, "attached to a veth and removed"
			default:
				c.Detail = qs[q].Error()
			}
			cs = append(cs, c)
		}
	}

	goCheck := Check{Name: "go", Essential: true, Consequence: "make build cannot build nswasi or the guests"}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		goCheck.OK = true
		goCheck.Detail = strings.TrimSpace(string(out)) + "; nswasi built with " + runtime.Version()
	} else {
		goCheck.Detail = "no go command on PATH; nswasi built with " + runtime.Version()
	}
	cs = append(cs, goCheck)

	for _, t := range []struct{ bin, consequence string }{
		{"iperf3", "the benchmark's fidelity check against iperf3 is skipped (apt-get install iperf3)"},
		{"wrk", "nothing in nswasi needs it; it is an optional HTTP load generator for the http workload (apt-get install wrk)"},
	} {
		c := Check{Name: t.bin, Consequence: t.consequence}
		if p, err := exec.LookPath(t.bin); err == nil {
			c.OK = true
			c.Detail = p
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if out, err := exec.CommandContext(cctx, p, "--version").CombinedOutput(); err == nil || len(out) > 0 {
				c.Detail += ": " + firstLine(string(out))
			}
			cancel()
		} else {
			c.Detail = "not installed"
		}
		cs = append(cs, c)
	}
	return cs
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// privileged reports whether this process can create namespaces and veths:
// root, or both CAP_SYS_ADMIN (21) and CAP_NET_ADMIN (12) effective.
func privileged() bool {
	if os.Geteuid() == 0 {
		return true
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<21) != 0 && caps&(1<<12) != 0
		}
	}
	return false
}
