package results

import "testing"

func TestCounts(t *testing.T) {
	iso := &Isolation{Cells: []Cell{
		{Probe: "a", Observed: Allowed, Expected: Allowed},
		{Probe: "b", Observed: Allowed, Expected: Denied, Mismatch: true},
		{Probe: "c", Reason: "no namespace"},
		{Probe: "d", Observed: Denied, Expected: Denied},
	}}
	if got, want := iso.Counts(), (CellCounts{Cells: 4, Ran: 3, NotRun: 1, Mismatches: 1}); got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
	if got := (&Isolation{}).Counts(); got != (CellCounts{}) {
		t.Errorf("no cells: %+v", got)
	}
}
