package results

import "slices"

// ThroughputScenarios are the scenarios whose figure is a rate of work
// (bytes, transactions, connections, requests per second): the cases
// MedianCV summarizes. idle (CPU per second), start and memory measure
// other things, with noise of another kind.
var ThroughputScenarios = []string{"stream", "rr", "conn", "http"}

// MedianCV is the median coefficient of variation over the successful,
// untraced throughput runs with at least two repetitions, and how many
// runs that is. It is one number to compare the noise of two runs of one
// experiment by; the intervals of each run stay the figures to quote.
// bench.txt and the report both say it, so they must agree on what it
// covers.
func MedianCV(runs []Run) (cv float64, n int) {
	var cvs []float64
	for _, r := range runs {
		if r.Traced || r.Error != "" || len(r.Reps) < 2 || !slices.Contains(ThroughputScenarios, r.Scenario) {
			continue
		}
		if s := Summarize(r.Reps); s.Mean != 0 {
			cvs = append(cvs, s.CV)
		}
	}
	if len(cvs) == 0 {
		return 0, 0
	}
	return Median(cvs), len(cvs)
}
