package results

import (
	"math"
	"testing"
)

func TestTQuantile95KnownValues(t *testing.T) {
	// Two-sided 95% critical values from standard t tables.
	for df, want := range map[int]float64{1: 12.706, 2: 4.303, 4: 2.776, 9: 2.262, 30: 2.042} {
		if got := TQuantile95(df); math.Abs(got-want) > 0.0005 {
			t.Errorf("t(0.975, %d) = %.4f, want %.3f", df, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	// mean 3, sample sd sqrt(2.5), n 5: half-width 2.776*1.5811/2.2361 = 1.9632
	s := Summarize([]float64{5, 1, 3, 2, 4})
	if s.N != 5 || s.Median != 3 || s.Mean != 3 {
		t.Fatalf("summary %+v", s)
	}
	if math.Abs(s.CILow-(3-1.9632)) > 1e-3 || math.Abs(s.CIHigh-(3+1.9632)) > 1e-3 {
		t.Errorf("CI [%.4f, %.4f], want 3±1.9632", s.CILow, s.CIHigh)
	}
	if want := math.Sqrt(2.5) / 3; math.Abs(s.CV-want) > 1e-9 {
		t.Errorf("CV %.4f, want sd/mean = %.4f", s.CV, want)
	}
	if s := Summarize([]float64{4, 1, 2, 3}); s.Median != 2.5 {
		t.Errorf("even median %v, want 2.5", s.Median)
	}
	if s := Summarize([]float64{7}); s.CILow != 7 || s.CIHigh != 7 {
		t.Errorf("one rep: %+v", s)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Errorf("no reps: %+v", s)
	}
}

func TestMedian(t *testing.T) {
	in := []float64{5, 1, 4, 2}
	for _, c := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{7}, 7}, {[]float64{3, 1, 2}, 2}, {in, 3}} {
		if got := Median(c.v); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
	if in[0] != 5 || in[3] != 2 {
		t.Errorf("Median reordered its argument: %v", in)
	}
}
