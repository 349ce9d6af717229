package scenarios

// The benchmark workloads (nswasi bench). Each takes two granted
// listeners — data first, then one control connection — and the flags
// -mode blocking|nonblocking|poll|netpoll, -size, -conns, -duration,
// -poll-timeout and -verify; see package bench.
func init() {
	Register(
		Scenario{"stream-in", Workload, "bulk transfer driver → guest: the guest reads each connection to EOF (throughput)"},
		Scenario{"stream-out", Workload, "bulk transfer guest → driver: the guest writes for -duration, then sends FIN (throughput)"},
		Scenario{"rr", Workload, "request/response: echo -size byte requests on -conns connections (transactions/s, latency)"},
		Scenario{"conn", Workload, "connection churn: accept, one -size byte exchange, close (connections/s; exercises sock_accept)"},
		Scenario{"idle", Workload, "wait on an open connection with nothing to read (CPU burned while idle)"},
		Scenario{"http", Workload, "net/http server answering a fixed -size byte body (requests/s, latency)"},
	)
}
