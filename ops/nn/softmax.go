package nn

import (
	"fmt"
	"math"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/vector"
)

// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to
// 2-D at axis (default 1) and the op runs over each row of the flattened
// [prod(d[:axis]), prod(d[axis:])] matrix; from 13 it runs along axis
// (default -1) alone.

func init() {
	for _, op := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
		ops.RegisterVersions("", op, []int{1, 11, 13}, buildSoftmax(op))
	}
}

type softmaxKind int

const (
	smSoftmax softmaxKind = iota
	smLogSoftmax
	smHardmax
)

type softmaxOp struct {
	op      string
	kind    softmaxKind
	axis    int
	coerce2 bool
}

func buildSoftmax(op string) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		s := &softmaxOp{op: op}
		switch op {
		case "LogSoftmax":
			s.kind = smLogSoftmax
		case "Hardmax":
			s.kind = smHardmax
		}
		def := int64(-1)
		if n.Opset < 13 {
			def = 1
			s.coerce2 = true
		}
		a, err := n.AttrInt("axis", def)
		if err != nil {
			return nil, err
		}
		s.axis = int(a)
		return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
			if y, ok, err := s.fast32(rc, in); ok || err != nil {
				if err != nil {
					return nil, err
				}
				return rc.TensorResults(y), nil
			}
			return s.run(in)
		}), nil
	}
}

func (s *softmaxOp) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if err := checkFloat(s.op, "input", x); err != nil {
		return nil, err
	}
	shape := x.Shape()
	axis, err := ops.NormAxis(s.axis, len(shape))
	if err != nil {
		return nil, fmt.Errorf("%s: attribute axis: %v", s.op, err)
	}
	var outer, n, inner int
	if len(shape) == 0 {
		outer, n, inner = 1, 1, 1
	} else if s.coerce2 {
		outer, n, inner = ops.Product(shape[:axis]), ops.Product(shape[axis:]), 1
	} else {
		outer, n, inner = ops.Product(shape[:axis]), shape[axis], ops.Product(shape[axis+1:])
	}
	return one(runFloat(x, shape,
		func(x, y []float32) error { softmaxKernel(s.kind, x, y, outer, n, inner); return nil },
		func(x, y []float64) error { softmaxKernel(s.kind, x, y, outer, n, inner); return nil }))
}

// fast32 runs float32 Softmax/LogSoftmax over contiguous rows (the reduced
// axis is the last one, or the op coerces to 2-D) with the SIMD row kernels
// of ops/vector, into an output from rc's allocator, rows split over rc's
// threads. ok is false for the other cases.
func (s *softmaxOp) fast32(rc *ops.RunContext, in []*tensor.Tensor) (*tensor.Tensor, bool, error) {
	x := ops.Input(in, 0)
	if x == nil || x.DType() != tensor.Float32 || s.kind == smHardmax || x.Rank() == 0 {
		return nil, false, nil
	}
	shape := x.Shape()
	axis, err := ops.NormAxis(s.axis, len(shape))
	if err != nil {
		return nil, false, nil
	}
	n := ops.Product(shape[axis:])
	if !s.coerce2 {
		if axis != len(shape)-1 {
			return nil, false, nil
		}
		n = shape[axis]
	}
	y, err := rc.NewFloat32(shape, false)
	if err != nil {
		return nil, true, fmt.Errorf("%s: output: %w", s.op, err)
	}
	if n == 0 {
		return y, true, nil
	}
	xd, yd := tensor.Data[float32](x), tensor.Data[float32](y)
	rows := len(xd) / n
	row := vector.Softmax
	if s.kind == smLogSoftmax {
		row = vector.LogSoftmax
	}
	threads := rc.ThreadCount()
	if len(xd) < 1<<15 {
		threads = 1
	}
	linalg.ParallelN(threads, rows, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row(yd[r*n:(r+1)*n], xd[r*n:(r+1)*n])
		}
	})
	return y, true, nil
}

func softmaxKernel[T ops.Float](kind softmaxKind, x, y []T, outer, n, inner int) {
	if n == 0 || outer == 0 || inner == 0 {
		return
	}
	if inner == 1 {
		parallelFor(outer, outer*n*8, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				softmaxRow(kind, x[r*n:(r+1)*n], y[r*n:(r+1)*n])
			}
		})
		return
	}
	// Strided: reduce over rows of length inner, all columns at once.
	parallelFor(outer, outer*n*inner*8, func(lo, hi int) {
		m := make([]T, inner)
		sum := make([]float64, inner)
		arg := make([]int, inner)
		for o := lo; o < hi; o++ {
			xb := x[o*n*inner : (o+1)*n*inner]
			yb := y[o*n*inner : (o+1)*n*inner]
			copy(m, xb[:inner])
			for j := range arg {
				arg[j] = 0
			}
			for k := 1; k < n; k++ {
				row := xb[k*inner : (k+1)*inner]
				for j, v := range row {
					if v > m[j] {
						m[j], arg[j] = v, k
					}
				}
			}
			if kind == smHardmax {
				for j, k := range arg {
					yb[k*inner+j] = 1
				}
				continue
			}
			for j := range sum {
				sum[j] = 0
			}
			for k := 0; k < n; k++ {
				row := xb[k*inner : (k+1)*inner]
				out := yb[k*inner : (k+1)*inner]
				for j, v := range row {
					e := math.Exp(float64(v - m[j]))
					sum[j] += e
					if kind == smSoftmax {
						out[j] = T(e)
					}
				}
			}
			for k := 0; k < n; k++ {
				row := xb[k*inner : (k+1)*inner]
				out := yb[k*inner : (k+1)*inner]
				for j := range out {
					if kind == smSoftmax {
						out[j] = T(float64(out[j]) / sum[j])
					} else {
						out[j] = T(float64(row[j]-m[j]) - math.Log(sum[j]))
					}
				}
			}
		}
	})
}

// softmaxRow handles one contiguous row: max, exp-and-sum, scale.
func softmaxRow[T ops.Float](kind softmaxKind, x, y []T) {
	m := x[0]
	if kind == smHardmax {
		arg := 0
		for i, v := range x[1:] {
			if v > m {
				m, arg = v, i+1
			}
		}
		y[arg] = 1
		return
	}
	for _, v := range x[1:] {
		m = max(m, v)
	}
	switch kind {
	case smSoftmax:
		var sum float64
		for i, v := range x {
			e := math.Exp(float64(v - m))
			y[i] = T(e)
			sum += e
		}
		inv := T(1 / sum)
		for i := range y {
			y[i] *= inv
		}
	case smLogSoftmax:
		var sum float64
		for _, v := range x {
			sum += math.Exp(float64(v - m))
		}
		ls := math.Log(sum)
		for i, v := range x {
			y[i] = T(float64(v-m) - ls)
		}
	}
}
