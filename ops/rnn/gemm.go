package rnn

import (
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

// The recurrent weights are stored as [outputs, inputs] row-major, so every
// product here is A·Bᵀ with B one of those matrices.

// gemmNT computes C = A·Bᵀ (A m×k with row stride lda, B n×k with row stride
// ldb, C m×n with row stride ldc), overwriting C, with ops/linalg's blocked
// GEMM. It is used for the input projection of all time steps at once.
func gemmNT[T ops.Float](m, n, k int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		linalg.Sgemm(false, true, m, n, k, 1, a, lda, any(b).([]float32), ldb, 0, any(c).([]float32), ldc)
	case []float64:
		linalg.Dgemm(false, true, m, n, k, 1, a, lda, any(b).([]float64), ldb, 0, any(c).([]float64), ldc)
	}
}

// smallBatch is the batch size up to which the per-step recurrent product
// uses dotNT: for a few rows of A, packing R for the blocked GEMM (and its
// row tiles) costs more than plain dot products over R's contiguous rows.
const smallBatch = 8

// weights is a block of rows of a recurrent weight matrix (n rows of k
// values) used for one product per time step.
type weights[T ops.Float] struct {
	n, k   int
	raw    []T
	packed *linalg.PackedB // float32 and a batch above smallBatch
}

func newWeights[T ops.Float](raw []T, n, k, batch int) *weights[T] {
	w := &weights[T]{n: n, k: k, raw: raw}
	if f, ok := any(raw).([]float32); ok && batch > smallBatch {
		w.packed = linalg.NewPackedB(true, k, n, f, k)
	}
	return w
}

// mul computes C = A·Bᵀ for m rows of A (row stride lda) into C (row stride
// ldc), overwriting C.
func (w *weights[T]) mul(m int, a []T, lda int, c []T, ldc int) {
	switch {
	case w.packed != nil:
		linalg.SgemmPacked(0, false, m, 1, any(a).([]float32), lda, w.packed, 0, any(c).([]float32), ldc)
	case m <= smallBatch:
		dotNT(m, w.n, w.k, a, lda, w.raw, w.k, c, ldc)
	default:
		gemmNT(m, w.n, w.k, a, lda, w.raw, w.k, c, ldc)
	}
}

// dotNT computes C = A·Bᵀ as dot products of rows, two rows of A by four
// rows of B at a time so each load feeds several accumulators.
func dotNT[T ops.Float](m, n, kk int, a []T, lda int, b []T, ldb int, c []T, ldc int) {
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := a[i*lda : i*lda+kk]
		a1 := a[(i+1)*lda : (i+1)*lda+kk]
		a1 = a1[:len(a0)]
		c0 := c[i*ldc : i*ldc+n]
		c1 := c[(i+1)*ldc : (i+1)*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+kk]
			b1 := b[(j+1)*ldb : (j+1)*ldb+kk]
			b2 := b[(j+2)*ldb : (j+2)*ldb+kk]
			b3 := b[(j+3)*ldb : (j+3)*ldb+kk]
			b0, b1, b2, b3 = b0[:len(a0)], b1[:len(a0)], b2[:len(a0)], b3[:len(a0)]
			var s00, s01, s02, s03, s10, s11, s12, s13 T
			for k, x := range a0 {
				y := a1[k]
				v0, v1, v2, v3 := b0[k], b1[k], b2[k], b3[k]
				s00 += x * v0
				s01 += x * v1
				s02 += x * v2
				s03 += x * v3
				s10 += y * v0
				s11 += y * v1
				s12 += y * v2
				s13 += y * v3
			}
			c0[j], c0[j+1], c0[j+2], c0[j+3] = s00, s01, s02, s03
			c1[j], c1[j+1], c1[j+2], c1[j+3] = s10, s11, s12, s13
		}
		for ; j < n; j++ {
			br := b[j*ldb : j*ldb+kk]
			br = br[:len(a0)]
			var s0, s1 T
			for k, x := range a0 {
				s0 += x * br[k]
				s1 += a1[k] * br[k]
			}
			c0[j], c1[j] = s0, s1
		}
	}
	if i < m { // one row left
		a0 := a[i*lda : i*lda+kk]
		c0 := c[i*ldc : i*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+kk]
			b1 := b[(j+1)*ldb : (j+1)*ldb+kk]
			b2 := b[(j+2)*ldb : (j+2)*ldb+kk]
			b3 := b[(j+3)*ldb : (j+3)*ldb+kk]
			b0, b1, b2, b3 = b0[:len(a0)], b1[:len(a0)], b2[:len(a0)], b3[:len(a0)]
			var s0, s1, s2, s3 T
			for k, x := range a0 {
				s0 += x * b0[k]
				s1 += x * b1[k]
				s2 += x * b2[k]
				s3 += x * b3[k]
			}
			c0[j], c0[j+1], c0[j+2], c0[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			br := b[j*ldb : j*ldb+kk]
			br = br[:len(a0)]
			var s T
			for k, x := range a0 {
				s += x * br[k]
			}
			c0[j] = s
		}
	}
}
