package shape

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/linalg"
)

func init() {
	ops.RegisterVersions("", "Concat", []int{1, 4, 11, 13}, buildConcat)
	ops.RegisterVersions("", "Split", []int{1, 2, 11, 13, 18}, buildSplit)
}

func buildConcat(n *ops.Node) (ops.Kernel, error) {
	if n.Opset >= 4 && !n.HasAttr("axis") {
		return nil, fmt.Errorf("attribute \"axis\" is required at opset %d", n.Opset)
	}
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		var buf [8]*tensor.Tensor
		xs := buf[:0]
		for _, t := range in {
			if t != nil {
				xs = append(xs, t)
			}
		}
		if len(xs) == 0 {
			return nil, fmt.Errorf("Concat needs at least one input")
		}
		first := xs[0]
		r := first.Rank()
		if r == 0 {
			return nil, fmt.Errorf("cannot concatenate scalars: inputs must have rank >= 1")
		}
		a, err := ops.NormAxis(int(axis), r)
		if err != nil {
			return nil, err
		}
		var shpBuf [8]int
		shp := append(shpBuf[:0], first.Shape()...)
		shp[a] = 0
		for i, t := range xs {
			if t.DType() != first.DType() {
				return nil, fmt.Errorf("input %d has type %v, input 0 has %v: all inputs must have the same type", i, t.DType(), first.DType())
			}
			if t.Rank() != r {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: all inputs must have the same rank", i, t.Shape(), first.Shape())
			}
			for d, v := range t.Shape() {
				if d != a && v != first.Shape()[d] {
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v: dimensions other than axis %d must match", i, t.Shape(), first.Shape(), a)
				}
			}
			shp[a] += t.Shape()[a]
		}
		if len(xs) == 1 {
			return rc.TensorResults(first), nil
		}
		var out *tensor.Tensor
		if first.DType() == tensor.Float32 {
			// Every element is copied from an input: recycled memory
			// needs no clearing.
			out, err = rc.NewFloat32(shp, false)
		} else {
			out, err = alloc(rc, first.DType(), shp)
		}
		if err != nil {
			return nil, err
		}
		dst := raw(out)
		if dst == nil {
			return nil, fmt.Errorf("unsupported element type %v", first.DType())
		}
		outer := ops.Product(shp[:a])
		inner := ops.Product(shp[a+1:])
		rowOut := shp[a] * inner
		// Copy (outer row, input) pieces in parallel when they are large:
		// a CNN's channel concat moves megabytes (squeezenet's fire
		// modules), which one core copies at half the rate two do.
		items := outer * len(xs)
		grain := max(1, concatGrain*items/max(1, outer*rowOut))
		if threads := rc.ThreadCount(); threads <= 1 || items <= grain {
			// Called directly: the closure below escapes, and so would
			// everything it captures.
			concatItems(dst, xs, a, inner, rowOut, 0, items)
		} else {
			shared := append([]*tensor.Tensor(nil), xs...)
			linalg.ParallelN(threads, items, grain, func(lo, hi int) {
				concatItems(dst, shared, a, inner, rowOut, lo, hi)
			})
		}
		return rc.TensorResults(out), nil
	}), nil
}

// concatGrain is the fewest elements a Concat hands to one goroutine.
const concatGrain = 1 << 16

func buildSplit(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	var attrSplit []int64
	if n.Opset < 13 {
		if attrSplit, err = n.AttrInts("split", nil); err != nil {
			return nil, err
		}
	}
	numOut := int64(0)
	if n.Opset >= 18 && n.HasAttr("num_outputs") {
		if numOut, err = n.AttrInt("num_outputs", 0); err != nil {
			return nil, err
		}
		if numOut < 1 {
			return nil, fmt.Errorf("attribute \"num_outputs\" is %d, want >= 1", numOut)
		}
		if int(numOut) != len(n.Outputs) {
			return nil, fmt.Errorf("attribute \"num_outputs\" is %d but the node has %d outputs", numOut, len(n.Outputs))
		}
	}
	nout := len(n.Outputs)
	if nout == 0 {
		return nil, fmt.Errorf("Split needs at least one output")
	}
	splitInput := n.Opset >= 13 || n.Opset < 2
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("cannot split a scalar")
		}
		a, err := ops.NormAxis(int(axis), x.Rank())
		if err != nil {
			return nil, err
		}
		dim := x.Shape()[a]
		split := attrSplit
		if splitInput {
			if s := ops.Input(in, 1); s != nil {
				if split, err = ints1D(s, "split"); err != nil {
					return nil, err
				}
			}
		}
		sizes := make([]int, nout)
		if len(split) > 0 {
			if len(split) != nout {
				return nil, fmt.Errorf("split has %d entries but the node has %d outputs", len(split), nout)
			}
			sum := int64(0)
			for i, s := range split {
				if s < 0 {
					return nil, fmt.Errorf("split[%d] is %d, want >= 0", i, s)
				}
				sum += s
				if sum > int64(dim) {
					break
				}
				sizes[i] = int(s)
			}
			if sum != int64(dim) {
				return nil, fmt.Errorf("split %v does not add up to dimension %d (size %d) of shape %v", split, a, dim, x.Shape())
			}
		} else if n.Opset >= 18 {
			// Equal parts of ceil(dim/n), the last one smaller when dim is
			// not divisible.
			chunk := (dim + nout - 1) / nout
			last := dim - chunk*(nout-1)
			if last < 0 {
				return nil, fmt.Errorf("cannot split dimension %d of size %d into %d parts of size %d", a, dim, nout, chunk)
			}
			for i := range sizes {
				sizes[i] = chunk
			}
			sizes[nout-1] = last
		} else {
			if dim%nout != 0 {
				return nil, fmt.Errorf("cannot split dimension %d of size %d into %d equal parts", a, dim, nout)
			}
			for i := range sizes {
				sizes[i] = dim / nout
			}
		}
		src := raw(x)
		if src == nil {
			return nil, fmt.Errorf("unsupported element type %v", x.DType())
		}
		outer := ops.Product(x.Shape()[:a])
		inner := ops.Product(x.Shape()[a+1:])
		rowIn := dim * inner
		outs := make([]*tensor.Tensor, nout)
		off := 0
		for i, s := range sizes {
			shp := append([]int{}, x.Shape()...)
			shp[a] = s
			t, err := alloc(rc, x.DType(), shp)
			if err != nil {
				return nil, err
			}
			dst := raw(t)
			chunk := s * inner
			if chunk > 0 {
				for o := 0; o < outer; o++ {
					copyRun(dst, src, o*chunk, o*rowIn+off, chunk)
				}
			}
			off += chunk
			outs[i] = t
		}
		return outs, nil
	}), nil
}

// concatItems copies items [lo, hi) of a concatenation along axis a: item
// it is input it%len(xs)'s piece of outer row it/len(xs).
func concatItems(dst any, xs []*tensor.Tensor, a, inner, rowOut, lo, hi int) {
	for it := lo; it < hi; it++ {
		o, i := it/len(xs), it%len(xs)
		off := 0
		for _, t := range xs[:i] {
			off += t.Shape()[a] * inner
		}
		if chunk := xs[i].Shape()[a] * inner; chunk > 0 {
			copyRun(dst, raw(xs[i]), o*rowOut+off, o*chunk, chunk)
		}
	}
}
