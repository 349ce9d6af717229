package report

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// MannWhitney is the result of a two-sided Mann-Whitney U test.
type MannWhitney struct {
	// U counts the pairs (x, y) with x > y, ties counting one half.
	U float64
	// P is the two-sided p-value.
	P float64
	// Exact is set when P comes from the exact distribution of U (no ties,
	// small samples); otherwise it is the normal approximation with tie
	// and continuity corrections.
	Exact bool
	// MinP is the smallest two-sided p-value these sample sizes can
	// produce: with 3 and 3 repetitions it is 0.1, so no change can be
	// significant at 0.05, however large.
	MinP float64
}

// exactLimit bounds the combined sample size for which the exact null
// distribution is computed (its table has N·N²/4 entries).
const exactLimit = 60

// MannWhitneyU tests whether x and y come from the same distribution
// against the alternative that one tends to be larger, without assuming
// normality: repetitions of a benchmark are few and often skewed.
// It needs at least one value in each sample.
func MannWhitneyU(x, y []float64) MannWhitney {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return MannWhitney{P: 1, MinP: 1}
	}
	type obs struct {
		v     float64
		fromX bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v, true})
	}
	for _, v := range y {
		all = append(all, obs{v, false})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v < all[j].v })
	n := n1 + n2
	var r1, tieSum float64
	ties := false
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		mid := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].fromX {
				r1 += mid
			}
		}
		if t := float64(j - i); t > 1 {
			ties = true
			tieSum += t*t*t - t
		}
		i = j
	}
	u := r1 - float64(n1*(n1+1))/2
	res := MannWhitney{U: u, MinP: math.Min(1, 2/binomial(n, n1))}
	if !ties && n <= exactLimit {
		dist := uDistribution(n1, n2)
		var below, above float64 // P(U ≤ u), P(U ≥ u)
		for k, c := range dist {
			if float64(k) <= u {
				below += c
			}
			if float64(k) >= u {
				above += c
			}
		}
		res.P, res.Exact = math.Min(1, 2*math.Min(below, above)), true
		return res
	}
	res.P = normalP(u, n1, n2, tieSum)
	return res
}

// normalP is the two-sided p-value of U from the normal approximation, with
// the tie correction of the variance and a continuity correction of 0.5.
func normalP(u float64, n1, n2 int, tieSum float64) float64 {
	n := n1 + n2
	mu := float64(n1*n2) / 2
	sigma2 := float64(n1*n2) / 12 * (float64(n+1) - tieSum/float64(n*(n-1)))
	if sigma2 <= 0 {
		return 1 // every value tied: no evidence of any difference
	}
	z := math.Max(0, math.Abs(u-mu)-0.5) / math.Sqrt(sigma2)
	return math.Min(1, 2*distuv.UnitNormal.Survival(z))
}

// uDistribution is the null distribution of U for sample sizes m and n:
// element k is P(U = k). It counts the ways m of the ranks 1…m+n sum to
// each total (U = rank sum − m(m+1)/2), divided by C(m+n, m).
func uDistribution(m, n int) []float64 {
	total := m + n
	maxSum := total * (total + 1) / 2
	// ways[k][s]: subsets of the ranks seen so far with k elements summing to s.
	ways := make([][]float64, m+1)
	for k := range ways {
		ways[k] = make([]float64, maxSum+1)
	}
	ways[0][0] = 1
	for r := 1; r <= total; r++ {
		for k := min(r, m); k >= 1; k-- {
			for s := maxSum; s >= r; s-- {
				ways[k][s] += ways[k-1][s-r]
			}
		}
	}
	c := binomial(total, m)
	base := m * (m + 1) / 2
	out := make([]float64, m*n+1)
	for u := range out {
		out[u] = ways[m][u+base] / c
	}
	return out
}

func binomial(n, k int) float64 {
	return math.Round(math.Exp(lgamma(n+1) - lgamma(k+1) - lgamma(n-k+1)))
}

func lgamma(x int) float64 {
	v, _ := math.Lgamma(float64(x))
	return v
}
