package bench

import "github.com/nswasi/nswasi/scenarios"

// guestForInternal is the guest build TestMain (in package bench_test)
// hands to the internal tests.
var guestForInternal scenarios.Guest

// SetTestGuest lets the external TestMain share its guest build.
func SetTestGuest(g scenarios.Guest) { guestForInternal = g }

// Grace is how long the driver waits past a repetition's end for answers.
const Grace = grace
