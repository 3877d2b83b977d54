package nn

import (
	"math"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// ref3 is max of three by comparisons: NaN if any is NaN.
func ref3(a, b, c float32) float32 {
	if a != a || b != b || c != c {
		return float32(math.NaN())
	}
	m := a
	if b > m {
		m = b
	}
	if c > m {
		m = c
	}
	return m
}

func TestMaxKernelsAgainstReference(t *testing.T) {
	old := cpu.Active
	defer func() { cpu.Active = old }()
	nan := float32(math.NaN())
	for _, l := range cpu.Levels() {
		cpu.Active = l
		for n := 1; n <= 70; n++ {
			x := make([]float32, 2*n+1)
			for i := range x {
				x[i] = float32((i*37)%23) - 11
			}
			// NaNs at a few positions, including block edges.
			for _, p := range []int{0, 15, 16, 31, 32, 33, 2 * n} {
				if p < len(x) && (p+n)%3 == 0 {
					x[p] = nan
				}
			}
			out := make([]float32, n)
			if !maxRowS2K3F32(out, x) {
				for j := range out {
					out[j] = max(x[2*j], x[2*j+1], x[2*j+2])
				}
			}
			for j, v := range out {
				want := ref3(x[2*j], x[2*j+1], x[2*j+2])
				if v != want && !(v != v && want != want) {
					t.Fatalf("level %v n=%d: stride-2 out[%d] = %v, want %v", l, n, j, v, want)
				}
			}
			a, b, c := x[:n], x[n:2*n], x[n+1:2*n+1]
			if !max3F32(out, a, b, c) {
				for j := range out {
					out[j] = max(a[j], b[j], c[j])
				}
			}
			for j, v := range out {
				want := ref3(a[j], b[j], c[j])
				if v != want && !(v != v && want != want) {
					t.Fatalf("level %v n=%d: max3 out[%d] = %v, want %v", l, n, j, v, want)
				}
			}
		}
	}
}
