package scenarios

// The hostile scenarios misbehave on purpose; the reliability tests check
// that every runner contains each of them, records what happened in the
// guest's Result, and runs the next guest normally afterwards.
func init() {
	Register(
		Scenario{"spin", Hostile, "burn CPU in a loop that never ends and never calls the host"},
		Scenario{"membomb", Hostile, "allocate and touch memory 8 MiB at a time until something stops it"},
		Scenario{"flood", Hostile, "write BYTES (default 64 MiB) to stdout and to stderr as fast as possible"},
		Scenario{"forkbomb", Hostile, "start copies of itself that sleep, until process creation fails (native only)"},
		Scenario{"crash", Hostile, "die abnormally: panic | fault (native: killed by SIGSEGV; WASI: an out-of-bounds trap)"},
		Scenario{"exit", Hostile, "exit at once with status CODE"},
		Scenario{"closelisten", Hostile, "close the granted listener, then sleep without exiting"},
		Scenario{"noaccept", Hostile, "hold the granted listener but never accept; sleep without exiting"},
		Scenario{"scribble", Hostile, "try to create a file in every granted directory and to overwrite each named PATH; report each outcome"},
		Scenario{"sleep", Hostile, "sleep without exiting (the forkbomb's children)"},
	)
}
