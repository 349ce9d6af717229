// Package wasip1 is nswasi's own implementation of the WASI preview 1 host
// module, wasi_snapshot_preview1, for guests run by wazero's engine.
//
// It exists beside wazero's implementation so that the two can be measured
// side by side on the same engine, and it keeps three promises that
// wazero's does not:
//
//   - poll_oneoff reports real readiness: fd_read and fd_write
//     subscriptions on sockets, pipes and terminals are answered by poll(2),
//     the call returns as soon as one subscription is ready and waits for
//     an event when it has no clock;
//   - fd_close on a socket closes the connection at once;
//   - a path never resolves outside its preopened directory: not through
//     "..", an absolute path or a symbolic link (openat2 with
//     RESOLVE_BENEATH, or a component-by-component walk where openat2 is
//     missing).
//
// Every blocking call waits in poll(2) together with a wake-up descriptor,
// so the host can always stop a guest that blocks forever: when the
// context given to Instantiate is done, or on Host.Interrupt, every
// blocking call returns and the guest exits.
//
// The host has its own descriptor table and uses nothing of wazero but its
// public API. See RATIONALE.md for the design and for each choice the
// specification leaves open.
package wasip1
