package reduce

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	ops.RegisterVersions("", "CumSum", []int{11, 14}, buildCumSum)
}

type cumSum struct {
	exclusive, reverse bool
}

func buildCumSum(n *ops.Node) (ops.Kernel, error) {
	ex, err := n.AttrInt("exclusive", 0)
	if err != nil {
		return nil, err
	}
	rev, err := n.AttrInt("reverse", 0)
	if err != nil {
		return nil, err
	}
	c := &cumSum{exclusive: ex != 0, reverse: rev != 0}
	return ops.Tensors(c.run), nil
}

func (c *cumSum) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("CumSum: input x is missing")
	}
	a, err := scalarInt("CumSum", "axis", ops.Input(in, 1))
	if err != nil {
		return nil, err
	}
	shape := x.Shape()
	rank := len(shape)
	if rank == 0 {
		return nil, fmt.Errorf("CumSum: input must have rank >= 1, got a scalar")
	}
	if a < int64(-rank) || a >= int64(rank) {
		return nil, fmt.Errorf("CumSum: axis %d out of range for rank %d", a, rank)
	}
	axis, _ := ops.NormAxis(int(a), rank)
	outer, n, inner := ops.Product(shape[:axis]), shape[axis], ops.Product(shape[axis+1:])
	var out any
	switch d := x.Data().(type) {
	case []float32:
		out = castSlice[float32](cumCore[float32, float64](d, outer, n, inner, c.exclusive, c.reverse))
	case []float64:
		out = cumCore[float64, float64](d, outer, n, inner, c.exclusive, c.reverse)
	case []tensor.F16, []tensor.BF16:
		r := cumCore[float32, float64](widenHalf(x), outer, n, inner, c.exclusive, c.reverse)
		t, err := tensor.FromFloat64s(x.DType(), shape, r)
		if err != nil {
			return nil, err
		}
		return []*tensor.Tensor{t}, nil
	case []int8:
		out = cumCore[int8, int8](d, outer, n, inner, c.exclusive, c.reverse)
	case []int16:
		out = cumCore[int16, int16](d, outer, n, inner, c.exclusive, c.reverse)
	case []int32:
		out = cumCore[int32, int32](d, outer, n, inner, c.exclusive, c.reverse)
	case []int64:
		out = cumCore[int64, int64](d, outer, n, inner, c.exclusive, c.reverse)
	case []uint8:
		out = cumCore[uint8, uint8](d, outer, n, inner, c.exclusive, c.reverse)
	case []uint16:
		out = cumCore[uint16, uint16](d, outer, n, inner, c.exclusive, c.reverse)
	case []uint32:
		out = cumCore[uint32, uint32](d, outer, n, inner, c.exclusive, c.reverse)
	case []uint64:
		out = cumCore[uint64, uint64](d, outer, n, inner, c.exclusive, c.reverse)
	default:
		return nil, fmt.Errorf("CumSum: unsupported input type %v (want a numeric tensor)", x.DType())
	}
	t, err := tensor.FromAny(shape, out)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

// cumCore computes running sums along the middle axis of [outer, n, inner]
// in the accumulator type C (float64 for floats, the type itself for
// integers, which wrap on overflow).
func cumCore[T, C ops.Number](x []T, outer, n, inner int, exclusive, reverse bool) []C {
	out := make([]C, len(x))
	acc := make([]C, inner)
	for o := 0; o < outer; o++ {
		for i := range acc {
			acc[i] = 0
		}
		for s := 0; s < n; s++ {
			j := s
			if reverse {
				j = n - 1 - s
			}
			off := (o*n + j) * inner
			row, dst := x[off:off+inner], out[off:off+inner]
			if exclusive {
				for i, v := range row {
					dst[i] = acc[i]
					acc[i] += C(v)
				}
			} else {
				for i, v := range row {
					acc[i] += C(v)
					dst[i] = acc[i]
				}
			}
		}
	}
	return out
}
