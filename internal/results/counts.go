package results

// CellCounts counts the cells of an isolation file by outcome.
type CellCounts struct {
	Cells      int // every cell recorded
	Ran        int // cells with a verdict
	NotRun     int // cells that could not run (no verdict; Reason says why)
	Mismatches int // cells whose verdict is not the one expected
}

// Counts counts iso's cells, once for the isolation table, the report's
// figure and its findings alike.
func (iso *Isolation) Counts() CellCounts {
	n := CellCounts{Cells: len(iso.Cells)}
	for _, c := range iso.Cells {
		if c.Observed == "" {
			n.NotRun++
		} else {
			n.Ran++
		}
		if c.Mismatch {
			n.Mismatches++
		}
	}
	return n
}
