package report

import (
	"math"

	"gonum.org/v1/gonum/stat"

	"github.com/nswasi/nswasi/internal/results"
)

// ratio is the ratio of two runs' means with its 95% confidence interval.
type ratio struct {
	value, lo, hi float64
	// bounded is false when the interval is not a finite range: the
	// denominator's mean is not told apart from zero at 95%, or a side has
	// fewer than two repetitions. lo and hi are then NaN.
	bounded bool
}

// fieller is the ratio mean(num)/mean(den) of two independent samples and
// its 95% confidence interval by Fieller's theorem: the set of ρ for which
// mean(num) − ρ·mean(den) is not told apart from zero by a t test,
//
//	(a − ρb)² ≤ t²·(va + ρ²·vb),  a, b the means, va, vb their squared standard errors,
//
// a quadratic in ρ whose roots bound the interval when b² > t²·vb. t is
// Student's with min(n)−1 degrees of freedom: the smaller of the two
// samples bounds what is known of the noise (Welch's degrees of freedom
// lie between it and n₁+n₂−2), so the interval errs on the wide side.
func fieller(num, den []float64) ratio {
	if len(num) == 0 || len(den) == 0 {
		return ratio{value: math.NaN(), lo: math.NaN(), hi: math.NaN()}
	}
	a, b := stat.Mean(num, nil), stat.Mean(den, nil)
	r := ratio{value: a / b, lo: math.NaN(), hi: math.NaN()}
	n := min(len(num), len(den))
	if n < 2 || b == 0 {
		return r
	}
	va := stat.Variance(num, nil) / float64(len(num))
	vb := stat.Variance(den, nil) / float64(len(den))
	t := results.TQuantile95(n - 1)
	t2 := t * t
	qa := b*b - t2*vb
	if qa <= 0 {
		return r // the denominator may be zero: the interval is unbounded
	}
	disc := a*a*b*b - qa*(a*a-t2*va)
	if disc < 0 {
		disc = 0 // rounding: va and vb both zero
	}
	s := math.Sqrt(disc)
	r.lo, r.hi = (a*b-s)/qa, (a*b+s)/qa
	r.bounded = true
	return r
}
