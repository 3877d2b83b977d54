package matmul

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "Det", []int{11, 22}, func(n *ops.Node) (ops.Kernel, error) {
		return ops.Tensors(runDet), nil
	})
}

func runDet(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("Det: input X is required")
	}
	if !x.DType().IsFloat() {
		return nil, fmt.Errorf("Det: unsupported element type %v (want a float type)", x.DType())
	}
	s := x.Shape()
	if len(s) < 2 || s[len(s)-1] != s[len(s)-2] {
		return nil, fmt.Errorf("Det: input must have shape [*, M, M], got %v", s)
	}
	m := s[len(s)-1]
	outShape := s[:len(s)-2]
	batches := ops.Product(outShape)
	vals := x.Float64s()
	res := make([]float64, batches)
	work := make([]float64, m*m)
	for b := range res {
		copy(work, vals[b*m*m:(b+1)*m*m])
		res[b] = luDet(work, m)
	}
	t, err := tensor.FromFloat64s(x.DType(), outShape, res)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// luDet returns the determinant of the m×m row-major matrix a (destroyed)
// by Gaussian elimination with partial pivoting.
func luDet(a []float64, m int) float64 {
	det := 1.0
	for c := 0; c < m; c++ {
		p := c
		for r := c + 1; r < m; r++ {
			if math.Abs(a[r*m+c]) > math.Abs(a[p*m+c]) {
				p = r
			}
		}
		if a[p*m+c] == 0 {
			return 0
		}
		if p != c {
			for j := 0; j < m; j++ {
				a[c*m+j], a[p*m+j] = a[p*m+j], a[c*m+j]
			}
			det = -det
		}
		piv := a[c*m+c]
		det *= piv
		for r := c + 1; r < m; r++ {
			f := a[r*m+c] / piv
			if f == 0 {
				continue
			}
			for j := c + 1; j < m; j++ {
				a[r*m+j] -= f * a[c*m+j]
			}
		}
	}
	return det
}
