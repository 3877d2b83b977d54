package matmul

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// asF32 returns t's values as float32: the backing slice itself for
// float32 tensors (read-only!), a widened copy for float16/bfloat16.
func asF32(t *tensor.Tensor) ([]float32, error) {
	if t.DType() == tensor.Float32 {
		return tensor.Data[float32](t), nil
	}
	c, err := tensor.Convert(t, tensor.Float32)
	if err != nil {
		return nil, err
	}
	return tensor.Data[float32](c), nil
}

// fromF32 wraps float32 results as a tensor of dtype dt (rounding to
// float16/bfloat16 when dt is one of those).
func fromF32(dt tensor.DType, shape []int, data []float32) (*tensor.Tensor, error) {
	t, err := tensor.FromSlice(shape, data)
	if err != nil {
		return nil, err
	}
	if dt == tensor.Float32 {
		return t, nil
	}
	return tensor.Convert(t, dt)
}

// viaF32 reports whether dt is computed by widening to float32.
func viaF32(dt tensor.DType) bool {
	return dt == tensor.Float32 || dt == tensor.Float16 || dt == tensor.BFloat16
}

// checkType returns an error unless dt is among allowed.
func checkType(what string, dt tensor.DType, allowed ...tensor.DType) error {
	for _, a := range allowed {
		if dt == a {
			return nil
		}
	}
	return fmt.Errorf("%s: unsupported element type %v (want one of %v)", what, dt, allowed)
}

// sameType checks that every non-nil tensor has the dtype of the first.
func sameType(op string, ts ...*tensor.Tensor) error {
	var dt tensor.DType
	for i, t := range ts {
		if t == nil {
			continue
		}
		if dt == tensor.Undefined {
			dt = t.DType()
		} else if t.DType() != dt {
			return fmt.Errorf("%s: input %d has type %v, want %v like the first input", op, i, t.DType(), dt)
		}
	}
	return nil
}

// intGemm is C = alpha·op(A)·op(B) + beta·C for the integer types, with a
// plain loop (integer GEMMs are rare in models).
func intGemm[T ops.Integer](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		for j := range row {
			row[j] *= beta
		}
		for p := 0; p < k; p++ {
			var av T
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range row {
					row[j] += av * b[j*ldb+p]
				}
			} else {
				br := b[p*ldb : p*ldb+n]
				for j, bv := range br {
					row[j] += av * bv
				}
			}
		}
	}
}
