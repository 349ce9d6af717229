package report

import (
	"math"
	"testing"
)

func TestMannWhitneyKnownValues(t *testing.T) {
	for _, c := range []struct {
		name   string
		x, y   []float64
		u, p   float64
		exact  bool
		approx float64 // tolerance on p
	}{
		// Complete separation, 5 vs 5: U = 0, exact p = 2/C(10,5) = 2/252.
		{"separated", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0, 2.0 / 252, true, 1e-12},
		// R, ?wilcox.test: x = depressed-patient scores, y = controls;
		// wilcox.test(x, y, alternative = "greater") gives W = 35,
		// p = 0.1272, so the two-sided p is 0.2544.
		{"R wilcox.test example", []float64{0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46},
			[]float64{1.15, 0.88, 0.90, 0.74, 1.21}, 35, 0.2544, true, 1e-4},
		// SciPy, mannwhitneyu docs: males vs females, U1 = 17, exact p = 1/9.
		{"SciPy docs example", []float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12}, 17, 0.1111111, true, 1e-6},
		// Ties force the normal approximation. Midranks 1, 3, 3 | 3, 5.5, 5.5:
		// U = 1, mean 4.5, tie-corrected variance 9/12·(7 − 30/30) = 4.5,
		// z = (3.5 − 0.5)/√4.5 = 1.41421, p = 2·(1 − Φ(1.41421)) = 0.157299.
		{"ties", []float64{1, 2, 2}, []float64{2, 3, 3}, 1, 0.157299, false, 1e-5},
		// All equal: no evidence of a difference.
		{"all tied", []float64{4, 4, 4}, []float64{4, 4, 4}, 4.5, 1, false, 0},
	} {
		got := MannWhitneyU(c.x, c.y)
		if got.U != c.u || got.Exact != c.exact || math.Abs(got.P-c.p) > c.approx {
			t.Errorf("%s: U=%v p=%.6f exact=%v, want U=%v p=%.6f exact=%v", c.name, got.U, got.P, got.Exact, c.u, c.p, c.exact)
		}
	}
	// The SciPy docs also give the normal approximation for the same data
	// (method="asymptotic", continuity correction): p = 0.11134688653314041.
	// No ties there, so MannWhitneyU takes the exact path; check the
	// approximation itself through normalP.
	if p := normalP(17, 5, 4, 0); math.Abs(p-0.11134688653314041) > 1e-9 {
		t.Errorf("normal approximation p = %.12f, want 0.111346886533", p)
	}
}

func TestMannWhitneySymmetryAndMinP(t *testing.T) {
	x, y := []float64{3.1, 2.9, 3.3}, []float64{1.0, 1.1, 0.9}
	a, b := MannWhitneyU(x, y), MannWhitneyU(y, x)
	if a.P != b.P || a.U+b.U != 9 {
		t.Errorf("not symmetric: %+v vs %+v", a, b)
	}
	// 3 vs 3: the most extreme outcome has p = 2/20, so nothing can be
	// significant at 0.05 — compare must say so rather than "no change".
	if math.Abs(a.MinP-0.1) > 1e-12 || math.Abs(a.P-0.1) > 1e-12 {
		t.Errorf("3 vs 3 fully separated: p=%v minP=%v, want 0.1 and 0.1", a.P, a.MinP)
	}
	// The exact distribution sums to one.
	var sum float64
	for _, p := range uDistribution(7, 5) {
		sum += p
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("U distribution sums to %v", sum)
	}
}
