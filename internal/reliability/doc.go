// Package reliability holds nswasi's reliability tests, which cut across
// packages: a soak of hundreds of guest starts followed by a search for
// anything left behind, hostile guests under every runner, and the
// security promises (no forwarding, no foreign interface, route or
// firewall change, no traffic beyond loopback and nswasi's own
// namespaces, read-only artifacts and grants). The package has no code of
// its own; docs/reliability.md lists each promise with its test.
package reliability
