package linalg

import (
	"math"
	"testing"
)

// TestSmallPackedStaleScratch checks that the small-M path never reads the
// rows of its recycled A scratch that the current product does not fill: a
// full-height product with NaN inputs leaves NaNs there, and a 1-row
// product after it must still be exact.
func TestSmallPackedStaleScratch(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		const k, n = 3, 5
		// B (k×n): B[p][j] = p + j.
		b := make([]float32, k*n)
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				b[p*n+j] = float32(p + j)
			}
		}
		pb := NewPackedB(false, k, n, b, n)
		mr := pb.ks.mr
		nan := make([]float32, mr*k)
		for i := range nan {
			nan[i] = float32(math.NaN())
		}
		SgemmPacked(1, false, mr, 1, nan, k, pb, 0, make([]float32, mr*n), n)
		// A = [1 2 3]: C[j] = 1·j + 2·(1+j) + 3·(2+j) = 8 + 6j, plus bias j.
		c := make([]float32, n)
		bias := []float32{0, 1, 2, 3, 4}
		SgemmPacked(1, false, 1, 1, []float32{1, 2, 3}, k, pb, 0, c, n, Epilogue{Bias: bias})
		for j, v := range c {
			if want := float32(8 + 7*j); v != want {
				t.Fatalf("C[%d] = %v, want %v (all %v)", j, v, want, c)
			}
		}
	})
}

// TestSmallPackedBetaAlpha pins alpha, beta and transA on the small path
// with hand-computed values.
func TestSmallPackedBetaAlpha(t *testing.T) {
	forLevels(t, func(t *testing.T) {
		// op(B) = [[1 0 2], [0 1 1]] (k=2, n=3) stored transposed (n×k).
		bt := []float32{1, 0, 0, 1, 2, 1}
		pb := NewPackedB(true, 2, 3, bt, 2)
		// op(A) = [[1 2], [3 4]] stored transposed: [[1 3], [2 4]].
		at := []float32{1, 3, 2, 4}
		c := []float32{1, 1, 1, 2, 2, 2}
		// C = 2·A·B − 0.5·C: A·B = [[1 2 4], [3 4 10]].
		SgemmPacked(1, true, 2, 2, at, 2, pb, -0.5, c, 3)
		want := []float32{1.5, 3.5, 7.5, 5, 7, 19}
		for i := range want {
			if c[i] != want[i] {
				t.Fatalf("C = %v, want %v", c, want)
			}
		}
	})
}
