package isolation

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/runnerinfo"
	"github.com/nswasi/nswasi/sandbox"
)

// Probe is one entry of the catalogue.
type Probe struct {
	Info results.ProbeInfo
	// Guest is the guest scenario the probe runs (scenarios/guest/probe*.go).
	Guest string
	// expect holds the expected verdict per runner; rootExpect, when set,
	// replaces it for native guests that run as root.
	expect, rootExpect map[string]expectation

	needsTenant   bool // a canary inside the tenant namespace
	needsVethHost bool // a canary on the host side of a veth
	needsShim     bool // native limits: the limit shim runs as the guest's user

	prepare func(s *suite, spec *sandbox.Spec)
	arm     func(c *cell) (*armed, error)
}

type expectation struct{ Verdict, Why string }

// Expected is a cell's expected verdict and its rationale.
type Expected struct{ Verdict, Why string }

// Expect gives the expected verdict of p under runner; nativeRoot says
// whether native guests run as root.
func (p *Probe) Expect(runner string, nativeRoot bool) Expected {
	if nativeRoot && !isWasi(runner) {
		if e, ok := p.rootExpect[runner]; ok {
			return Expected(e)
		}
	}
	return Expected(p.expect[runner])
}

// armed is a probe ready to run in one cell: the guest's arguments and the
// oracle that will judge the outcome.
type armed struct {
	args []string
	// live runs once the guest has reported, while it still runs.
	live func()
	// judge runs after the guest has exited. An empty verdict means the
	// cell has no verdict and the evidence says why.
	judge    func() (verdict, evidence string)
	releases []func()
}

func (a *armed) release() {
	for _, f := range a.releases {
		f()
	}
}

// Rationales shared by many cells.
const (
	whyNative    = "no sandbox: the native control"
	whyWasiNet   = "WASI preview 1 has no sock_open, connect, bind or sendto: a module uses only sockets the host pre-opened"
	whyWasiFS    = "WASI resolves every path beneath a pre-opened directory and grants nothing outside the preopens"
	whyNetnsFS   = "a network namespace isolates the network stack only; the file system is shared"
	whyFirewall  = "the firewall admits only the granted listener and refuses everything else, both ways"
	whyBothNet   = "both sandboxes: " + whyWasiNet
	whyBothFS    = "both sandboxes: " + whyWasiFS
	whyNsOwnLo   = "the namespace has its own loopback: its 127.0.0.1 is not the host's"
	whyVethOpen  = "the veth links the namespace to the host and nothing filters it"
	whyNoDevices = "network_namespaces(7): a namespace has its own network devices, /proc/net and /sys/class/net"
	// whySysfs is why a netns guest sees no host interface in /sys/class/net
	// either: a bare setns would leave it the host's.
	whySysfs = "network_namespaces(7): a namespace has its own network devices; sysfs shows those of the namespace that mounted it, " +
		"so after a bare setns /sys/class/net would still list the host's. Like ip netns exec, the runner gives the guest a private " +
		"mount namespace with /sys remounted from inside the network namespace"
)

func all(v, why string) map[string]expectation {
	m := map[string]expectation{}
	for _, r := range Runners {
		m[r] = expectation{v, why}
	}
	return m
}

// per gives each registry runner the expectation of the sandboxes it
// combines, as the registry declares them: none (the control), a network
// namespace, one with a firewall, WASI, and WASI in a network namespace.
// A runner that combines them otherwise gets none, and
// TestEveryRunnerHasExpectations says so: its promises need writing down.
func per(native, netns, fw, wasi, both expectation) map[string]expectation {
	m := map[string]expectation{}
	for _, r := range runnerinfo.All {
		if e, ok := bySandboxes(r, []expectation{native, netns, fw, wasi, both}); ok {
			m[r.Name] = e
		}
	}
	return m
}

// perNative is per for the native guests only (native, netns, netns+fw),
// where running as root changes what a sandbox can promise.
func perNative(native, netns, fw expectation) map[string]expectation {
	m := map[string]expectation{}
	for _, r := range runnerinfo.All {
		if e, ok := bySandboxes(r, []expectation{native, netns, fw}); ok && !r.WASI() {
			m[r.Name] = e
		}
	}
	return m
}

func bySandboxes(r runnerinfo.Runner, e []expectation) (expectation, bool) {
	var i int
	switch {
	case !r.WASI() && !r.Netns && !r.Firewall:
		i = 0
	case !r.WASI() && r.Netns && !r.Firewall:
		i = 1
	case !r.WASI() && r.Netns && r.Firewall:
		i = 2
	case r.WASI() && !r.Netns && !r.Firewall:
		i = 3
	case r.WASI() && r.Netns && !r.Firewall:
		i = 4
	default:
		return expectation{}, false
	}
	if i >= len(e) {
		return expectation{}, false
	}
	return e[i], true
}

func allow(why string) expectation { return expectation{results.Allowed, why} }
func deny(why string) expectation  { return expectation{results.Denied, why} }

// reachNet is the expectation of reaching the host side of the veth.
var reachNet = per(allow(whyNative), allow(whyVethOpen), deny(whyFirewall), deny(whyWasiNet), deny(whyBothNet))

// fsOutside is the expectation of reaching a file outside every grant.
func fsOutside(wasiWhy string) map[string]expectation {
	return per(allow(whyNative+"; the file is world-readable"), allow(whyNetnsFS), allow(whyNetnsFS), deny(wasiWhy), deny("both sandboxes: "+wasiWhy))
}

var catalogue = []*Probe{
	{
		Info:   info("accept-granted", "network", "accept a connection on the granted listener and answer a fresh nonce", "positive control: a granted capability works"),
		Guest:  "probe-accept",
		expect: all(results.Allowed, "the listener is granted"),
		arm: func(c *cell) (*armed, error) {
			return &armed{judge: func() (string, string) {
				if c.report != nil {
					return results.Allowed, fmt.Sprintf("nswasi connected to %s and the guest answered nonce %s", c.addr, c.nonce)
				}
				return results.Denied, fmt.Sprintf("no answer on %s: %v", c.addr, c.ctlErr)
			}}, nil
		},
	},
	{
		Info:   info("connect-loopback", "network", "open a TCP connection to a canary on the host's 127.0.0.1", "outbound connections; whose loopback"),
		Guest:  "probe-connect",
		expect: per(allow(whyNative), deny(whyNsOwnLo), deny(whyNsOwnLo), deny(whyWasiNet), deny(whyBothNet)),
		arm: func(c *cell) (*armed, error) {
			return armTCPCanary(c, netip.MustParseAddr("127.0.0.1"), false)
		},
	},
	{
		Info:          info("connect-veth-host", "network", "open a TCP connection to a canary on the root-namespace side of the guest's veth", "outbound connections to the host through the namespace's link"),
		Guest:         "probe-connect",
		expect:        reachNet,
		needsVethHost: true,
		arm: func(c *cell) (*armed, error) {
			h, err := c.hostAddr()
			if err != nil {
				return nil, err
			}
			return armTCPCanary(c, h, false)
		},
	},
	{
		Info:        info("connect-tenant", "network", "open a TCP connection to a canary inside a second, unrelated nswasi namespace", "lateral movement to another tenant"),
		Guest:       "probe-connect",
		expect:      per(allow(whyNative+"; the host routes to every namespace's veth"), deny("the namespace's only route is its own /30 and nswasi never forwards"), deny(whyFirewall), deny(whyWasiNet), deny(whyBothNet)),
		needsTenant: true,
		arm: func(c *cell) (*armed, error) {
			return armTCPCanary(c, c.s.fx.tenant.PeerAddr.Addr(), true)
		},
	},
	{
		Info:          info("udp-send", "network", "send a UDP datagram to a canary on the host side of the veth", "connectionless egress"),
		Guest:         "probe-udp",
		expect:        reachNet,
		needsVethHost: true,
		arm:           func(c *cell) (*armed, error) { return armUDPCanary(c, "probe-udp") },
	},
	{
		Info:          info("dns-canary", "network", "resolve a fresh name at a canary resolver nswasi runs on the host side of the veth (never a real resolver)", "name resolution as an egress channel"),
		Guest:         "probe-dns",
		expect:        reachNet,
		needsVethHost: true,
		arm:           armDNS,
	},
	{
		Info:   info("listen-new", "network", "open a new listening socket on a new port and be reached there from outside", "inbound exposure beyond the granted listener"),
		Guest:  "probe-listen",
		expect: per(allow(whyNative), allow("a namespace may listen, and the host reaches it over the veth"), deny("the firewall admits only the granted listener's port"), deny(whyWasiNet), deny(whyBothNet)),
		arm:    armListen,
	},
	{
		Info:        info("list-interfaces", "network", "list the host's network interfaces (net.Interfaces and /sys/class/net)", "visibility of the host's network configuration"),
		Guest:       "probe-interfaces",
		expect:      per(allow(whyNative), deny(whySysfs), deny(whySysfs), deny("WASI preview 1 has no interface API and no file outside the preopens"), deny("both sandboxes: WASI preview 1 has no interface API")),
		needsTenant: true,
		arm:         armInterfaces,
	},
	{
		Info:   info("proc-net-tcp", "network", "read the socket table /proc/net/tcp and find a canary listener of the host's in it", "visibility of the host's sockets"),
		Guest:  "probe-read",
		expect: per(allow(whyNative), deny(whyNoDevices), deny(whyNoDevices), deny(whyWasiFS), deny(whyBothFS)),
		arm:    armProcNetTCP,
	},
	{
		Info:  info("raw-socket", "network", "open a raw IP socket and send a hand-built UDP packet through it to a canary on the host side of the veth", "raw packet access (spoofing, scanning)"),
		Guest: "probe-raw",
		expect: per(deny("uid 65534 lacks CAP_NET_RAW: the kernel's permission check, not a sandbox"),
			deny("uid 65534 lacks CAP_NET_RAW (a network namespace adds no capability)"),
			deny(whyFirewall), deny(whyWasiNet), deny(whyBothNet)),
		rootExpect: perNative(allow(whyNative+"; root holds CAP_NET_RAW"),
			allow("root keeps CAP_NET_RAW inside the namespace and the veth is unfiltered"),
			deny(whyFirewall)),
		needsVethHost: true,
		arm:           func(c *cell) (*armed, error) { return armUDPCanary(c, "probe-raw") },
	},
	{
		Info:   info("read-granted", "filesystem", "read a file in a granted directory", "positive control: a granted directory is readable"),
		Guest:  "probe-read",
		expect: all(results.Allowed, "the directory is granted"),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{c.s.readonlyPath(c.runner) + "/secret.txt"}, c.s.fx.grantedSecret, "the granted file")
		},
	},
	{
		Info:  info("write-readonly", "filesystem", "create a file in a directory granted read-only", "read-only grants"),
		Guest: "probe-write",
		expect: per(allow(whyNative+"; the directory is writable by the guest's user (the native runners have no file-system sandbox)"),
			allow(whyNetnsFS), allow(whyNetnsFS),
			deny("the directory is pre-opened read-only: the capability carries no right to create or write files"),
			deny("both sandboxes: the directory is pre-opened read-only")),
		arm: func(c *cell) (*armed, error) {
			name := "written-" + c.nonce
			return armCreate(c, c.s.readonlyPath(c.runner)+"/"+name, c.s.fx.path("readonly", name))
		},
	},
	{
		Info:   info("read-outside", "filesystem", "read a canary file outside every grant by its absolute path", "ambient file-system authority"),
		Guest:  "probe-read",
		expect: fsOutside(whyWasiFS),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{c.s.fx.path("outside", "secret.txt")}, c.s.fx.outsideSecret, "the canary file outside every grant")
		},
	},
	{
		Info:   info("dotdot-traversal", "filesystem", "open ../outside/secret.txt relative to a granted directory's descriptor (openat)", "path traversal out of a grant"),
		Guest:  "probe-openat",
		expect: fsOutside("WASI resolves paths beneath the directory handle: .. must not climb out of a preopen"),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{c.s.grantedPath(c.runner), "../outside/secret.txt"}, c.s.fx.outsideSecret, "the canary file outside every grant")
		},
	},
	{
		Info:   info("symlink-dir", "filesystem", "follow a symlink inside a granted directory that points to a directory outside it", "symlink escape (directory)"),
		Guest:  "probe-openat",
		expect: fsOutside("WASI resolves symlinks beneath the directory handle too: one pointing out of the preopen must not be followed out"),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{c.s.grantedPath(c.runner), "link-dir/secret.txt"}, c.s.fx.outsideDirSecret, "the canary file in the directory the symlink points to")
		},
	},
	{
		Info:   info("symlink-file", "filesystem", "read through a symlink inside a granted directory that points to a file outside it", "symlink escape (file)"),
		Guest:  "probe-openat",
		expect: fsOutside("WASI resolves symlinks beneath the directory handle too: one pointing out of the preopen must not be followed out"),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{c.s.grantedPath(c.runner), "link-file"}, c.s.fx.outsideSecret, "the canary file the symlink points to")
		},
	},
	{
		Info:  info("create-outside", "filesystem", "create a file outside every grant by its absolute path", "ambient write authority"),
		Guest: "probe-write",
		expect: per(allow(whyNative+"; the directory is world-writable"), allow(whyNetnsFS), allow(whyNetnsFS),
			deny(whyWasiFS), deny(whyBothFS)),
		arm: func(c *cell) (*armed, error) {
			p := c.s.fx.path("create", "new-"+c.nonce)
			return armCreate(c, p, p)
		},
	},
	{
		Info:  info("env-canary", "process", "read a variable set in nswasi's own environment, and in that of a process nswasi runs outside every sandbox, but not granted (getenv, and every /proc/PID/environ)", "ambient environment"),
		Guest: "probe-env",
		expect: per(deny("every runner passes only the Spec's environment (execve with an explicit envp), and uid 65534 may not read root's processes' /proc/PID/environ"),
			deny("as native, and a network namespace shares /proc"), deny("as native, and a network namespace shares /proc"),
			deny("a module sees only the environment the host passes (environ_get)"), deny("both sandboxes: a module sees only the environment the host passes")),
		rootExpect: perNative(allow(whyNative+"; root may read every process's /proc/PID/environ"),
			allow("a network namespace shares /proc, and root may read every process's /proc/PID/environ"),
			allow("a network namespace shares /proc, and root may read every process's /proc/PID/environ")),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{EnvCanary}, c.s.fx.envSecret, "the canary variable")
		},
	},
	{
		Info:  info("fds-ungranted", "process", "scan descriptors 3..64 that were not granted and read what they hold (nswasi holds a canary file open without close-on-exec, as a descriptor inherited from its parent would be)", "ambient descriptors"),
		Guest: "probe-fds",
		expect: per(deny("the runners promise no descriptors beyond stdio and the grants (sandbox.Spec)"),
			deny("as native: no descriptors beyond stdio and the grants"), deny("as native: no descriptors beyond stdio and the grants"),
			deny("a module's descriptor table holds only stdio and the host's preopens"), deny("both sandboxes: only stdio and preopens")),
		arm: func(c *cell) (*armed, error) {
			return armSecret(c, []string{"3", "64"}, c.s.fx.fdSecret, "the descriptor canary")
		},
	},
	{
		Info:  info("exec-process", "process", "start a child process that leaves a marker file", "process creation"),
		Guest: "probe-exec",
		expect: per(allow(whyNative), allow("a network namespace does not restrict processes"), allow("a network namespace does not restrict processes"),
			deny("WASI preview 1 has no way to start a process"), deny("both sandboxes: WASI preview 1 has no way to start a process")),
		arm: armExec,
	},
	{
		Info:  info("alloc-limit", "process", fmt.Sprintf("allocate and touch %d MiB under a %d MiB memory limit", allocAttempt>>20, allocLimit>>20), "resource limits"),
		Guest: "probe-alloc",
		expect: per(deny("RLIMIT_DATA (Spec.Limits.MemoryBytes) caps the guest's heap"), deny("RLIMIT_DATA caps the guest's heap"), deny("RLIMIT_DATA caps the guest's heap"),
			deny("linear memory cannot grow past the host's maximum: memory.grow fails"), deny("both sandboxes: linear memory cannot grow past the host's maximum")),
		needsShim: true,
		prepare: func(s *suite, spec *sandbox.Spec) {
			if !s.cfg.Leaks.NoMemoryLimit {
				spec.Limits.MemoryBytes = allocLimit
			}
		},
		arm: armAlloc,
	},
}

const (
	allocLimit   = 64 << 20
	allocAttempt = 768 << 20
)

func info(name, category, desc, concept string) results.ProbeInfo {
	return results.ProbeInfo{Name: name, Category: category, Description: desc, Concept: concept}
}

// ProbeNames lists the catalogue in order.
func ProbeNames() []string {
	n := make([]string, len(catalogue))
	for i, p := range catalogue {
		n[i] = p.Info.Name
	}
	return n
}

// Lookup finds a probe of the catalogue by name.
func Lookup(name string) (*Probe, bool) {
	p := lookup(name)
	return p, p != nil
}

func lookup(name string) *Probe {
	for _, p := range catalogue {
		if p.Info.Name == name {
			return p
		}
	}
	return nil
}

// noReport is the judgement when the oracle needs the guest's report and
// there is none: the cell has no verdict.
func noReport(c *cell) (string, string) {
	return "", "the guest did not report, so the oracle has nothing to check: " + oneLine(c.ctlErr)
}

func armTCPCanary(c *cell, at netip.Addr, inTenant bool) (*armed, error) {
	ns := c.s.fx.tenant
	if !inTenant {
		ns = nil
	}
	can, err := listenCanaryTCP(at, ns)
	if err != nil {
		return nil, err
	}
	token := "nswasi-probe-" + c.nonce
	return &armed{
		args:     []string{can.Addr.String(), token},
		releases: []func(){func() { can.Close() }},
		judge: func() (string, string) {
			got := can.Close()
			return arrivalsVerdict(fmt.Sprintf("TCP canary %s", can.Addr), got, token)
		},
	}, nil
}

func arrivalsVerdict(what string, got []arrival, token string) (string, string) {
	var hits, others []string
	for _, a := range got {
		if strings.Contains(a.Data, token) {
			hits = append(hits, a.String())
		} else {
			others = append(others, a.String())
		}
	}
	ev := what
	if len(others) > 0 {
		ev += fmt.Sprintf(" (also %d arrival(s) without the token: %s)", len(others), strings.Join(others, ", "))
	}
	if len(hits) > 0 {
		return results.Allowed, ev + " received the token " + strings.Join(hits, ", ")
	}
	return results.Denied, ev + " received nothing from the guest"
}

func armUDPCanary(c *cell, scenario string) (*armed, error) {
	h, err := c.hostAddr()
	if err != nil {
		return nil, err
	}
	can, err := listenCanaryUDP(h, false)
	if err != nil {
		return nil, err
	}
	token := "nswasi-probe-" + c.nonce
	return &armed{
		args:     []string{can.Addr.String(), token},
		releases: []func(){func() { can.Close() }},
		judge: func() (string, string) {
			got := can.Close()
			v, ev := arrivalsVerdict("UDP canary "+can.Addr.String(), got, token)
			if scenario == "probe-raw" && v == results.Allowed {
				ev += " (source port 40000: the hand-built header)"
			}
			return v, ev
		},
	}, nil
}

func armDNS(c *cell) (*armed, error) {
	h, err := c.hostAddr()
	if err != nil {
		return nil, err
	}
	can, err := listenCanaryUDP(h, true)
	if err != nil {
		return nil, err
	}
	// .invalid is reserved (RFC 6761): no real resolver could answer it.
	name := c.nonce + ".canary.nswasi.invalid."
	return &armed{
		args:     []string{can.Addr.String(), name},
		releases: []func(){func() { can.Close() }},
		judge: func() (string, string) {
			got := can.Close()
			v, ev := arrivalsVerdict("canary resolver "+can.Addr.String(), got, name)
			if c.report != nil && c.report.Data == can.answer.String() {
				ev += "; its fresh answer " + can.answer.String() + " came back to the guest"
			}
			return v, ev
		},
	}, nil
}

func armListen(c *cell) (*armed, error) {
	port, err := sandbox.FreePort()
	if err != nil {
		return nil, err
	}
	if addrs := c.guest.Addrs(); len(addrs) > 1 {
		port = int(addrs[1].Port()) // planted leak: the second grant is the new port
	}
	token := "nswasi-listen-" + c.nonce
	var reached, tried []string
	return &armed{
		args: []string{strconv.Itoa(port), token},
		live: func() {
			if c.report == nil {
				return
			}
			// From the root namespace, and from the host at the guest's own
			// address when it has a namespace.
			targets := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			if a := c.addr.Addr(); !a.IsLoopback() {
				targets = append(targets, a)
			}
			for _, t := range targets {
				ap := netip.AddrPortFrom(t, uint16(port))
				got, err := dialToken(ap)
				switch {
				case err != nil:
					tried = append(tried, fmt.Sprintf("%s: %v", ap, err))
				case strings.TrimSpace(got) == token:
					reached = append(reached, ap.String())
				default:
					tried = append(tried, fmt.Sprintf("%s answered %q, not the token", ap, got))
				}
			}
		},
		judge: func() (string, string) {
			if c.report == nil {
				return noReport(c)
			}
			ev := ""
			if len(tried) > 0 {
				ev = "; not reached at " + strings.Join(tried, ", ")
			}
			if len(reached) > 0 {
				return results.Allowed, "nswasi reached the guest's new listener and read its token at " + strings.Join(reached, ", ") + ev
			}
			return results.Denied, "nswasi could not reach a new listener of the guest" + ev
		},
	}, nil
}

func dialToken(ap netip.AddrPort) (string, error) {
	conn, err := net.DialTimeout("tcp", ap.String(), time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("connected, but no token: %v", err)
	}
	return line, nil
}

func armInterfaces(c *cell) (*armed, error) {
	link := c.s.fx.tenant.HostLink
	return &armed{judge: func() (string, string) {
		if c.report == nil {
			return noReport(c)
		}
		for _, l := range strings.Split(c.report.Data, "\n") {
			if l == link {
				return results.Allowed, fmt.Sprintf("the guest named %s, a host interface with a random name nswasi created for this run, through %s",
					link, strings.Join(namedBy(c.report.Notes, link), " and "))
			}
		}
		return results.Denied, fmt.Sprintf("the guest did not name %s, a host interface with a random name nswasi created for this run, "+
			"through net.Interfaces or /sys/class/net", link)
	}}, nil
}

// namedBy lists the sources (net.Interfaces, /sys/class/net) whose note in
// the probe's report names the interface.
func namedBy(notes []string, name string) []string {
	var out []string
	for _, n := range notes {
		src, list, ok := strings.Cut(n, ": ")
		if ok && slices.Contains(strings.Fields(list), name) {
			out = append(out, src)
		}
	}
	if len(out) == 0 {
		out = []string{"the probe's report"}
	}
	return out
}

func armProcNetTCP(c *cell) (*armed, error) {
	can, err := listenCanaryTCP(netip.MustParseAddr("127.0.0.1"), nil)
	if err != nil {
		return nil, err
	}
	// /proc/net/tcp writes local addresses as little-endian hex IP and
	// big-endian hex port: 0100007F:1F90 is 127.0.0.1:8080.
	entry := fmt.Sprintf("0100007F:%04X", can.Addr.Port())
	return &armed{
		args:     []string{"/proc/net/tcp"},
		releases: []func(){func() { can.Close() }},
		judge: func() (string, string) {
			if c.report == nil {
				return noReport(c)
			}
			if strings.Contains(c.report.Data, entry) {
				return results.Allowed, fmt.Sprintf("the table the guest read lists the host's canary listener %s as %s", can.Addr, entry)
			}
			return results.Denied, fmt.Sprintf("the guest's read (%d bytes) does not list the host's canary listener %s (%s)", len(c.report.Data), can.Addr, entry)
		},
	}, nil
}

func armSecret(c *cell, args []string, secret, what string) (*armed, error) {
	return &armed{args: args, judge: func() (string, string) {
		if c.report == nil {
			return noReport(c)
		}
		if strings.Contains(c.report.Data, secret) {
			return results.Allowed, "the fresh secret of " + what + " came back verbatim"
		}
		return results.Denied, "the secret of " + what + " did not come back"
	}}, nil
}

// armCreate judges by the file hostPath on the host: it must exist and hold
// the cell's nonce. The guest asks for guestPath.
func armCreate(c *cell, guestPath, hostPath string) (*armed, error) {
	return &armed{
		args:     []string{guestPath, c.nonce},
		releases: []func(){func() { os.Remove(hostPath) }},
		judge: func() (string, string) {
			b, err := os.ReadFile(hostPath)
			switch {
			case err == nil && string(b) == c.nonce:
				return results.Allowed, hostPath + " exists on the host and holds the cell's nonce"
			case err == nil:
				return results.Allowed, fmt.Sprintf("%s exists on the host (holding %q, not the nonce)", hostPath, clip(string(b), 40))
			}
			return results.Denied, hostPath + " does not exist on the host"
		},
	}, nil
}

func armExec(c *cell) (*armed, error) {
	marker := c.s.fx.path("markers", c.nonce)
	return &armed{
		args:     []string{marker, c.nonce},
		releases: []func(){func() { os.Remove(marker) }},
		judge: func() (string, string) {
			b, err := os.ReadFile(marker)
			if err == nil && string(b) == c.nonce {
				return results.Allowed, "the child's marker " + marker + " exists and holds the nonce"
			}
			return results.Denied, "no marker at " + marker + ": no child ran"
		},
	}, nil
}

func armAlloc(c *cell) (*armed, error) {
	limit := int64(allocLimit)
	if c.s.cfg.Leaks.NoMemoryLimit {
		limit = 0
	}
	// Seven eighths of the attempt: a guest that got its whole allocation
	// is above it, and a guest held to the limit stays far below even with
	// the host's own overhead, which for wazero is several times the
	// guest's linear memory (seen: 230-291 MiB RSS under a 64 MiB limit,
	// as the memory is copied on every grow).
	threshold := int64(allocAttempt) / 8 * 7
	return &armed{
		args: []string{strconv.Itoa(allocAttempt)},
		judge: func() (string, string) {
			r := c.result
			rss := r.MaxRSS
			ev := fmt.Sprintf("the kernel's peak RSS of the sandbox process: %d MiB (limit %d MiB, attempt %d MiB, threshold %d MiB)",
				rss>>20, limit>>20, allocAttempt>>20, threshold>>20)
			if g := allocProgress(r.Stderr); g != "" {
				ev += "; guest's stderr: " + g
			}
			if rss == 0 {
				return "", "no resource usage from the kernel for the sandbox process"
			}
			if rss >= threshold {
				return results.Allowed, ev
			}
			return results.Denied, ev
		},
	}, nil
}

// allocProgress picks the guest's last progress line and the runtime's
// fatal error, if any, out of its stderr.
func allocProgress(stderr []byte) string {
	var last, fatal string
	for _, l := range strings.Split(string(stderr), "\n") {
		switch {
		case strings.HasPrefix(l, "probe-alloc:"):
			last = l
		case strings.HasPrefix(l, "fatal error:"), strings.HasPrefix(l, "runtime: out of memory"):
			if fatal == "" {
				fatal = l
			}
		}
	}
	return strings.TrimSpace(strings.Join([]string{last, fatal}, "; "))
}
