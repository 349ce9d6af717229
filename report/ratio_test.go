package report

import (
	"math"
	"testing"

	"github.com/nswasi/nswasi/internal/results"
)

// Fieller's interval, checked against its definition and against values
// worked out by hand.
func TestFieller(t *testing.T) {
	// No noise: the interval is the point.
	r := fieller([]float64{2, 2, 2}, []float64{4, 4, 4})
	if !r.bounded || r.value != 0.5 || math.Abs(r.lo-0.5) > 1e-12 || math.Abs(r.hi-0.5) > 1e-12 {
		t.Errorf("noiseless: %+v, want 0.5 [0.5, 0.5]", r)
	}
	// Noise only in the numerator: the interval is the numerator's t
	// interval divided by the denominator, symmetric around the ratio.
	num := []float64{9, 10, 11}
	r = fieller(num, []float64{20, 20, 20})
	s := results.Summarize(num)
	if math.Abs(r.lo-s.CILow/20) > 1e-9 || math.Abs(r.hi-s.CIHigh/20) > 1e-9 {
		t.Errorf("numerator noise: [%v, %v], want [%v, %v]", r.lo, r.hi, s.CILow/20, s.CIHigh/20)
	}
	// Noise in the denominator: the interval is asymmetric, longer above
	// (a smaller denominator raises the ratio more than a larger one
	// lowers it), and its ends satisfy the defining equation.
	den := []float64{8, 10, 12}
	r = fieller([]float64{10, 10, 10}, den)
	if !r.bounded || !(r.hi-r.value > r.value-r.lo) {
		t.Errorf("denominator noise: %+v, want longer above 1", r)
	}
	tq := results.TQuantile95(2)
	vb := 4.0 / 3 // variance 4, n 3
	for _, rho := range []float64{r.lo, r.hi} {
		lhs := (10 - rho*10) * (10 - rho*10)
		rhs := tq * tq * rho * rho * vb
		if math.Abs(lhs-rhs) > 1e-9*math.Max(1, rhs) {
			t.Errorf("end %v: (a−ρb)² = %v, t²(va+ρ²vb) = %v", rho, lhs, rhs)
		}
	}
	// A denominator not told apart from zero: no bounded interval.
	if r := fieller([]float64{1, 1.1, 0.9}, []float64{-1, 0.1, 1.2}); r.bounded || !math.IsNaN(r.lo) {
		t.Errorf("denominator near zero: %+v, want unbounded", r)
	}
	// One repetition: a ratio without an interval.
	if r := fieller([]float64{1}, []float64{2, 2}); r.bounded || r.value != 0.5 {
		t.Errorf("one repetition: %+v", r)
	}
}
