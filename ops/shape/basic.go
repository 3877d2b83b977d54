package shape

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Ops that only look at or relabel the shape: Identity, Shape, Size,
// Reshape, Flatten, Squeeze, Unsqueeze, and inference-mode Dropout. The
// relabelling ops return views that share the input's data (tensors are
// immutable, so no copy is needed).

func init() {
	ops.RegisterVersions("", "Identity", []int{1, 13, 14, 16, 19, 21, 23}, buildIdentity)
	ops.RegisterVersions("", "Shape", []int{1, 13, 15, 19, 21, 23}, buildShape)
	ops.RegisterVersions("", "Size", []int{1, 13, 19, 21, 23}, buildSize)
	ops.RegisterVersions("", "Reshape", []int{1, 5, 13, 14, 19, 21, 23}, buildReshape)
	ops.RegisterVersions("", "Flatten", []int{1, 9, 11, 13, 21, 23}, buildFlatten)
	ops.RegisterVersions("", "Squeeze", []int{1, 11, 13, 21, 23}, buildSqueeze)
	ops.RegisterVersions("", "Unsqueeze", []int{1, 11, 13, 21, 23}, buildUnsqueeze)
	ops.RegisterVersions("", "Dropout", []int{1, 6, 7, 10, 12, 13, 22}, buildDropout)
}

func buildIdentity(n *ops.Node) (ops.Kernel, error) {
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		if len(in) == 0 || in[0] == nil {
			return nil, fmt.Errorf("missing required input 0 (input)")
		}
		return rc.Results(in[0]), nil
	}), nil
}

func buildShape(n *ops.Node) (ops.Kernel, error) {
	start, err := n.AttrInt("start", 0)
	if err != nil {
		return nil, err
	}
	end, err := n.AttrInt("end", 0)
	if err != nil {
		return nil, err
	}
	hasEnd := n.HasAttr("end")
	if n.Opset < 15 {
		start, hasEnd = 0, false
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		r := int64(x.Rank())
		s, e := start, r
		if hasEnd {
			e = end
		}
		if s < 0 {
			s += r
		}
		if e < 0 {
			e += r
		}
		s, e = clampInt64(s, 0, r), clampInt64(e, 0, r)
		if e < s {
			e = s
		}
		out := make([]int64, 0, e-s)
		for _, d := range x.Shape()[s:e] {
			out = append(out, int64(d))
		}
		return []*tensor.Tensor{tensor.New([]int{len(out)}, out)}, nil
	}), nil
}

func buildSize(n *ops.Node) (ops.Kernel, error) {
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(tensor.Scalar(int64(x.Len()))), nil
	}), nil
}

// reshapeTarget resolves a Reshape shape spec (with 0 and -1) against the
// input shape. The result is built in buf when it is large enough (a
// caller's stack array: Reshape then allocates nothing).
func reshapeTarget(buf []int, in []int, spec []int64, allowZero bool) ([]int, error) {
	out := buf[:0]
	if cap(out) < len(spec) {
		out = make([]int, len(spec))
	}
	out = out[:len(spec)]
	clear(out)
	infer := -1
	known := int64(1)
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v: 0 at position %d copies an input dimension, but the input %v has rank %d", spec, i, in, len(in))
			}
			out[i] = in[i]
		case d < 0:
			return nil, fmt.Errorf("shape %v has invalid dimension %d", spec, d)
		case d > tensor.MaxElements:
			return nil, fmt.Errorf("shape %v has a dimension too large", spec)
		default:
			out[i] = int(d)
		}
		if d := int64(out[i]); d != 0 && known > tensor.MaxElements/d {
			return nil, fmt.Errorf("shape %v has more than %d elements", spec, int64(tensor.MaxElements))
		}
		known *= int64(out[i])
	}
	total := prod64(in)
	if infer >= 0 {
		if known == 0 {
			return nil, fmt.Errorf("cannot infer the -1 dimension of shape %v: the other dimensions have a zero product", spec)
		}
		if total%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, spec)
		}
		out[infer] = int(total / known)
		known *= int64(out[infer])
	}
	if known != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, spec, known)
	}
	return out, nil
}

func buildReshape(n *ops.Node) (ops.Kernel, error) {
	allowZero, err := n.AttrInt("allowzero", 0)
	if err != nil {
		return nil, err
	}
	if n.Opset < 14 {
		allowZero = 0
	}
	var attrShape []int64
	if n.Opset < 5 {
		if attrShape, err = n.AttrInts("shape", nil); err != nil {
			return nil, err
		}
		if attrShape == nil {
			return nil, fmt.Errorf("attribute \"shape\" is required at opset %d", n.Opset)
		}
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		spec := attrShape
		if n.Opset >= 5 {
			s, err := need(in, 1, "shape")
			if err != nil {
				return nil, err
			}
			if d := tensor.Data[int64](s); d != nil && s.Rank() == 1 {
				spec = d // read in place: int64 is what exporters give
			} else if spec, err = ints1D(s, "shape"); err != nil {
				return nil, err
			}
		}
		var buf [8]int
		shp, err := reshapeTarget(buf[:], x.Shape(), spec, allowZero != 0)
		if err != nil {
			return nil, err
		}
		y, err := rc.View(x, shp)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

func buildFlatten(n *ops.Node) (ops.Kernel, error) {
	axis, err := n.AttrInt("axis", 1)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "input")
		if err != nil {
			return nil, err
		}
		r := int64(x.Rank())
		a := axis
		if a < 0 {
			a += r
		}
		if a < 0 || a > r {
			return nil, fmt.Errorf("axis %d out of range [%d, %d] for input of shape %v", axis, -r, r, x.Shape())
		}
		outer := ops.Product(x.Shape()[:a])
		inner := ops.Product(x.Shape()[a:])
		y, err := rc.View(x, []int{outer, inner})
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

// axesSource reads axes from an attribute (before opset 13) or from input 1.
type axesSource struct {
	attr    []int64
	hasAttr bool
	input   bool
}

func newAxesSource(n *ops.Node, inputSince int) (axesSource, error) {
	if n.Opset >= inputSince {
		return axesSource{input: true}, nil
	}
	a, err := n.AttrInts("axes", nil)
	if err != nil {
		return axesSource{}, err
	}
	return axesSource{attr: a, hasAttr: n.HasAttr("axes")}, nil
}

// get returns the axes and whether any were given.
func (s axesSource) get(in []*tensor.Tensor) ([]int64, bool, error) {
	if !s.input {
		return s.attr, s.hasAttr, nil
	}
	t := ops.Input(in, 1)
	if t == nil {
		return nil, false, nil
	}
	v, err := ints1D(t, "axes")
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func buildSqueeze(n *ops.Node) (ops.Kernel, error) {
	src, err := newAxesSource(n, 13)
	if err != nil {
		return nil, err
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := src.get(in)
		if err != nil {
			return nil, err
		}
		shp := x.Shape()
		// Small arrays on the stack keep a steady-state run allocation-free
		// (the view copies the shape).
		var normBuf, outBuf [8]int
		var dropBuf [8]bool
		var drop []bool
		if len(shp) > len(dropBuf) {
			drop = make([]bool, len(shp))
		} else {
			drop = dropBuf[:len(shp)]
		}
		if given {
			norm, err := ops.NormAxesInto(normBuf[:0], axes, len(shp))
			if err != nil {
				return nil, err
			}
			for _, a := range norm {
				if len(shp) == 0 {
					return nil, fmt.Errorf("cannot squeeze axis %d of a scalar", a)
				}
				if shp[a] != 1 {
					return nil, fmt.Errorf("cannot squeeze axis %d of shape %v: its size is %d, not 1", a, shp, shp[a])
				}
				drop[a] = true
			}
		} else {
			for i, d := range shp {
				drop[i] = d == 1
			}
		}
		out := outBuf[:0]
		for i, d := range shp {
			if !drop[i] {
				out = append(out, d)
			}
		}
		y, err := rc.View(x, out)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

func buildUnsqueeze(n *ops.Node) (ops.Kernel, error) {
	src, err := newAxesSource(n, 13)
	if err != nil {
		return nil, err
	}
	if !src.input && !src.hasAttr {
		return nil, fmt.Errorf("attribute \"axes\" is required at opset %d", n.Opset)
	}
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		axes, given, err := src.get(in)
		if err != nil {
			return nil, err
		}
		if !given {
			return nil, fmt.Errorf("missing required input 1 (axes)")
		}
		shp := x.Shape()
		r := len(shp) + len(axes)
		// Small arrays on the stack keep a steady-state run allocation-free
		// (the view copies the shape).
		var normBuf, outBuf [8]int
		var insBuf [8]bool
		norm, err := ops.NormAxesInto(normBuf[:0], axes, r)
		if err != nil {
			return nil, fmt.Errorf("unsqueeze %v into rank %d: %w", shp, r, err)
		}
		ins := insBuf[:0]
		if r > len(insBuf) {
			ins = make([]bool, r)
		} else {
			ins = insBuf[:r]
		}
		for _, a := range norm {
			ins[a] = true
		}
		out := outBuf[:0]
		if r > len(outBuf) {
			out = make([]int, r)
		} else {
			out = outBuf[:r]
		}
		k := 0
		for i := range out {
			if ins[i] {
				out[i] = 1
			} else {
				out[i] = shp[k]
				k++
			}
		}
		y, err := rc.View(x, out)
		if err != nil {
			return nil, err
		}
		return rc.TensorResults(y), nil
	}), nil
}

func buildDropout(n *ops.Node) (ops.Kernel, error) {
	// Before opset 12 the ratio is an attribute and Dropout in an inference
	// graph is the identity (is_test, or no training flag at all).
	wantMask := n.HasOutput(1)
	return ops.TensorsRC(func(rc *ops.RunContext, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x, err := need(in, 0, "data")
		if err != nil {
			return nil, err
		}
		if n.Opset >= 12 {
			if t := ops.Input(in, 2); t != nil {
				if t.DType() != tensor.Bool || t.Len() != 1 {
					return nil, fmt.Errorf("training_mode: want a bool scalar, got %v%v", t.DType(), t.Shape())
				}
				training := tensor.Data[bool](t)[0]
				ratio := 0.5
				if r := ops.Input(in, 1); r != nil {
					if ratio, err = scalarFloat(r, "ratio"); err != nil {
						return nil, err
					}
				}
				if training && ratio != 0 {
					return nil, fmt.Errorf("Dropout in training mode (training_mode=true, ratio=%g) is not supported: this engine runs inference only; set training_mode to false", ratio)
				}
			}
		}
		outs := make([]*tensor.Tensor, max(1, len(n.Outputs)))
		outs[0] = x
		if wantMask {
			var mask *tensor.Tensor
			if n.Opset >= 10 {
				mask, err = alloc(rc, tensor.Bool, x.Shape())
				if err != nil {
					return nil, err
				}
				fillT(tensor.Data[bool](mask), true)
			} else {
				// Before opset 10 the mask has the input's (float) type.
				ones := make([]float64, x.Len())
				fillT(ones, 1)
				if mask, err = tensor.FromFloat64s(x.DType(), x.Shape(), ones); err != nil {
					return nil, err
				}
			}
			outs[1] = mask
		}
		return outs, nil
	}), nil
}
