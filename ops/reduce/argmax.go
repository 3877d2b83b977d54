package reduce

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func init() {
	versions := []int{1, 11, 12, 13}
	ops.RegisterVersions("", "ArgMax", versions, buildArg("ArgMax", true))
	ops.RegisterVersions("", "ArgMin", versions, buildArg("ArgMin", false))
}

type argReducer struct {
	name     string
	max      bool
	axis     int
	keepdims bool
	last     bool // select_last_index
}

func buildArg(name string, isMax bool) ops.Builder {
	return func(n *ops.Node) (ops.Kernel, error) {
		axis, err := n.AttrInt("axis", 0)
		if err != nil {
			return nil, err
		}
		keep, err := n.AttrInt("keepdims", 1)
		if err != nil {
			return nil, err
		}
		if keep != 0 && keep != 1 {
			return nil, fmt.Errorf("%s: keepdims must be 0 or 1, got %d", name, keep)
		}
		last := int64(0)
		if n.Opset >= 12 {
			if last, err = n.AttrInt("select_last_index", 0); err != nil {
				return nil, err
			}
		}
		a := &argReducer{name: name, max: isMax, axis: int(axis), keepdims: keep == 1, last: last != 0}
		return ops.Tensors(a.run), nil
	}
}

func (a *argReducer) run(in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := ops.Input(in, 0)
	if x == nil {
		return nil, fmt.Errorf("%s: input data is missing", a.name)
	}
	shape := x.Shape()
	rank := len(shape)
	if rank == 0 {
		return nil, fmt.Errorf("%s: input must have rank >= 1, got a scalar", a.name)
	}
	axis, err := ops.NormAxis(a.axis, rank)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", a.name, err)
	}
	outer, n, inner := ops.Product(shape[:axis]), shape[axis], ops.Product(shape[axis+1:])
	var outShape []int
	outShape = append(outShape, shape[:axis]...)
	if a.keepdims {
		outShape = append(outShape, 1)
	}
	outShape = append(outShape, shape[axis+1:]...)
	outLen, err := tensor.NumElements(outShape)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", a.name, err)
	}
	if n == 0 && outLen > 0 {
		return nil, fmt.Errorf("%s: axis %d has size 0: no element to select", a.name, a.axis)
	}
	out := make([]int64, outLen)
	switch d := x.Data().(type) {
	case []float32:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []float64:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []tensor.F16, []tensor.BF16:
		argCore(widenHalf(x), out, outer, n, inner, a.max, a.last)
	case []int8:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []int16:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []int32:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []int64:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []uint8:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []uint16:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []uint32:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []uint64:
		argCore(d, out, outer, n, inner, a.max, a.last)
	case []bool:
		u := make([]uint8, len(d))
		for i, v := range d {
			if v {
				u[i] = 1
			}
		}
		argCore(u, out, outer, n, inner, a.max, a.last)
	default:
		return nil, fmt.Errorf("%s: unsupported input type %v (want a numeric tensor)", a.name, x.DType())
	}
	return []*tensor.Tensor{tensor.New(outShape, out)}, nil
}

// argCore finds, for each (outer, inner) position, the index along the
// middle axis of the extreme value. NaN counts as the extreme (the first
// one found wins), as in numpy.
func argCore[T ops.Number](x []T, out []int64, outer, n, inner int, isMax, last bool) {
	if n == 0 {
		return
	}
	best := make([]T, inner)
	for o := 0; o < outer; o++ {
		base := o * n * inner
		res := out[o*inner : (o+1)*inner]
		copy(best, x[base:base+inner])
		for i := range res {
			res[i] = 0
		}
		for j := 1; j < n; j++ {
			row := x[base+j*inner : base+(j+1)*inner]
			for i, v := range row {
				b := best[i]
				if b != b { // already NaN
					continue
				}
				var take bool
				switch {
				case v != v:
					take = true
				case isMax:
					take = v > b || (last && v == b)
				default:
					take = v < b || (last && v == b)
				}
				if take {
					best[i] = v
					res[i] = int64(j)
				}
			}
		}
	}
}
