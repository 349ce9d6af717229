package scenarios

// The guest side of the isolation probes (scenarios/guest/probe*.go). Each
// but probe-marker takes its arguments over a control connection on the
// first granted listener; the isolation package drives them and judges
// the outcome from outside.
func init() {
	Register(
		Scenario{"probe-accept", Probe, "answer the harness on the granted listener and do nothing else: the positive control"},
		Scenario{"probe-connect", Probe, "open a TCP connection to an address and send a token"},
		Scenario{"probe-udp", Probe, "send one UDP datagram holding a token to an address"},
		Scenario{"probe-dns", Probe, "ask the resolver at an explicit address for a name's A record (never the system resolver)"},
		Scenario{"probe-listen", Probe, "open a new listening socket on a port and hand a token to whoever connects"},
		Scenario{"probe-interfaces", Probe, "list network interfaces through net.Interfaces and /sys/class/net"},
		Scenario{"probe-raw", Probe, "send a hand-built IPv4/UDP packet through a raw socket"},
		Scenario{"probe-read", Probe, "read a file by path"},
		Scenario{"probe-openat", Probe, "open a directory, then a path relative to it with openat, and read it"},
		Scenario{"probe-write", Probe, "create a file holding given content"},
		Scenario{"probe-env", Probe, "read a variable from the environment and from every readable /proc/PID/environ"},
		Scenario{"probe-fds", Probe, "scan a range of file descriptors that were not granted and read the files among them"},
		Scenario{"probe-exec", Probe, "start a child process that leaves a marker file"},
		Scenario{"probe-marker", Probe, "(child of probe-exec) write a nonce to a path; takes its arguments on argv"},
		Scenario{"probe-alloc", Probe, "allocate and touch memory, reporting progress on stderr"},
	)
}
