package control

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// Sequences are treated as immutable values: every operator that changes one
// builds a new Sequence with a new slice; the tensors themselves are shared.

func seqKernel(f func(in []tensor.Value) (tensor.Value, error)) ops.Kernel {
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		v, err := f(in)
		if err != nil {
			return nil, err
		}
		return []tensor.Value{v}, nil
	})
}

func input(in []tensor.Value, i int) tensor.Value {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// checkElem verifies t may go into a sequence of element type et.
func checkElem(et tensor.DType, t *tensor.Tensor, what string) error {
	if et != tensor.Undefined && t.DType() != et {
		return fmt.Errorf("%s: tensor has dtype %v but the sequence holds %v", what, t.DType(), et)
	}
	return nil
}

// position reads a position input and normalises it to [0, n) (or [0, n]
// when allowEnd, for inserting).
func position(v tensor.Value, n int, allowEnd bool, what string) (int, error) {
	p, err := scalarInt(v, what+" position")
	if err != nil {
		return 0, err
	}
	hi := int64(n) - 1
	if allowEnd {
		hi = int64(n)
	}
	if p < -int64(n) || p > hi {
		return 0, fmt.Errorf("%s: position %d out of range [%d, %d] for a sequence of %d tensors", what, p, -n, hi, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

func buildSequenceConstruct(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		if len(in) == 0 {
			return nil, fmt.Errorf("SequenceConstruct: needs at least one input tensor")
		}
		ts := make([]*tensor.Tensor, len(in))
		for i, v := range in {
			t, err := asTensor(v, fmt.Sprintf("SequenceConstruct input %d", i))
			if err != nil {
				return nil, err
			}
			if i > 0 && t.DType() != ts[0].DType() {
				return nil, fmt.Errorf("SequenceConstruct: input %d has dtype %v but input 0 has %v; all must match", i, t.DType(), ts[0].DType())
			}
			ts[i] = t
		}
		return &tensor.Sequence{ElemType: ts[0].DType(), Tensors: ts}, nil
	}), nil
}

func buildSequenceEmpty(n *ops.Node) (ops.Kernel, error) {
	d, err := n.AttrInt("dtype", int64(tensor.Float32))
	if err != nil {
		return nil, err
	}
	dt := tensor.DType(d)
	if int64(dt) != d || !dt.Supported() {
		return nil, n.Errorf("SequenceEmpty: dtype %d is not a supported tensor element type", d)
	}
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		return &tensor.Sequence{ElemType: dt, Tensors: []*tensor.Tensor{}}, nil
	}), nil
}

func buildSequenceAt(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		s, err := asSequence(input(in, 0), "SequenceAt input_sequence")
		if err != nil {
			return nil, err
		}
		p, err := position(input(in, 1), len(s.Tensors), false, "SequenceAt")
		if err != nil {
			return nil, err
		}
		t := s.Tensors[p]
		if t == nil {
			return nil, fmt.Errorf("SequenceAt: sequence element %d is missing", p)
		}
		return t, nil
	}), nil
}

func buildSequenceInsert(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		s, err := asSequence(input(in, 0), "SequenceInsert input_sequence")
		if err != nil {
			return nil, err
		}
		t, err := asTensor(input(in, 1), "SequenceInsert tensor")
		if err != nil {
			return nil, err
		}
		if err := checkElem(s.ElemType, t, "SequenceInsert"); err != nil {
			return nil, err
		}
		p := len(s.Tensors)
		if v := input(in, 2); v != nil {
			if p, err = position(v, len(s.Tensors), true, "SequenceInsert"); err != nil {
				return nil, err
			}
		}
		ts := make([]*tensor.Tensor, 0, len(s.Tensors)+1)
		ts = append(ts, s.Tensors[:p]...)
		ts = append(ts, t)
		ts = append(ts, s.Tensors[p:]...)
		return &tensor.Sequence{ElemType: t.DType(), Tensors: ts}, nil
	}), nil
}

func buildSequenceErase(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		s, err := asSequence(input(in, 0), "SequenceErase input_sequence")
		if err != nil {
			return nil, err
		}
		if len(s.Tensors) == 0 {
			return nil, fmt.Errorf("SequenceErase: the sequence is empty; nothing to erase")
		}
		p := len(s.Tensors) - 1
		if v := input(in, 1); v != nil {
			if p, err = position(v, len(s.Tensors), false, "SequenceErase"); err != nil {
				return nil, err
			}
		}
		ts := make([]*tensor.Tensor, 0, len(s.Tensors)-1)
		ts = append(ts, s.Tensors[:p]...)
		ts = append(ts, s.Tensors[p+1:]...)
		return &tensor.Sequence{ElemType: s.ElemType, Tensors: ts}, nil
	}), nil
}

func buildSequenceLength(n *ops.Node) (ops.Kernel, error) {
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		s, err := asSequence(input(in, 0), "SequenceLength input_sequence")
		if err != nil {
			return nil, err
		}
		return tensor.Scalar(int64(len(s.Tensors))), nil
	}), nil
}

func buildSplitToSequence(n *ops.Node) (ops.Kernel, error) {
	axisAttr, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	keepdims, err := n.AttrInt("keepdims", 1)
	if err != nil {
		return nil, err
	}
	if keepdims != 0 && keepdims != 1 {
		return nil, n.Errorf("SplitToSequence: keepdims = %d, want 0 or 1", keepdims)
	}
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		x, err := asTensor(input(in, 0), "SplitToSequence input")
		if err != nil {
			return nil, err
		}
		if x.Rank() == 0 {
			return nil, fmt.Errorf("SplitToSequence: input is a scalar; need rank >= 1 to split")
		}
		axis, err := ops.NormAxis(int(axisAttr), x.Rank())
		if err != nil {
			return nil, fmt.Errorf("SplitToSequence: axis: %w", err)
		}
		dim := x.Shape()[axis]
		var sizes []int
		squeeze := false
		if v := input(in, 1); v != nil {
			st, err := asTensor(v, "SplitToSequence split")
			if err != nil {
				return nil, err
			}
			if st.DType() != tensor.Int64 && st.DType() != tensor.Int32 {
				return nil, fmt.Errorf("SplitToSequence: split must be int32 or int64, got %v", st.DType())
			}
			switch st.Rank() {
			case 0:
				c := st.Int64s()[0]
				if c <= 0 {
					return nil, fmt.Errorf("SplitToSequence: scalar split = %d, want a positive chunk length", c)
				}
				for off := 0; off < dim; {
					l := dim - off
					if int64(l) > c {
						l = int(c)
					}
					sizes = append(sizes, l)
					off += l
				}
			case 1:
				sum := int64(0)
				for i, c := range st.Int64s() {
					if c < 0 {
						return nil, fmt.Errorf("SplitToSequence: split[%d] = %d, want >= 0", i, c)
					}
					sum += c
					if sum > int64(dim) {
						break
					}
					sizes = append(sizes, int(c))
				}
				if sum != int64(dim) || len(sizes) != st.Len() {
					return nil, fmt.Errorf("SplitToSequence: split %v must sum to the size %d of axis %d", st.Int64s(), dim, axis)
				}
			default:
				return nil, fmt.Errorf("SplitToSequence: split must be a scalar or 1-D, got shape %v", st.Shape())
			}
		} else {
			sizes = make([]int, dim)
			for i := range sizes {
				sizes[i] = 1
			}
			squeeze = keepdims == 0
		}
		shape := x.Shape()
		outer := ops.Product(shape[:axis])
		rest := ops.Product(shape[axis+1:])
		ts := make([]*tensor.Tensor, len(sizes))
		off := 0
		for i, l := range sizes {
			os := append([]int{}, shape...)
			os[axis] = l
			if squeeze {
				os = append(os[:axis], os[axis+1:]...)
			}
			t, err := newTensor(x.DType(), os)
			if err != nil {
				return nil, fmt.Errorf("SplitToSequence: %w", err)
			}
			moveBlocks(t.Data(), x.Data(), outer, l*rest, 0, l*rest, off*rest, dim*rest)
			off += l
			ts[i] = t
		}
		return &tensor.Sequence{ElemType: x.DType(), Tensors: ts}, nil
	}), nil
}

func buildConcatFromSequence(n *ops.Node) (ops.Kernel, error) {
	if !n.HasAttr("axis") {
		return nil, n.Errorf("ConcatFromSequence: required attribute axis is missing")
	}
	axisAttr, err := n.AttrInt("axis", 0)
	if err != nil {
		return nil, err
	}
	newAxis, err := n.AttrInt("new_axis", 0)
	if err != nil {
		return nil, err
	}
	if newAxis != 0 && newAxis != 1 {
		return nil, n.Errorf("ConcatFromSequence: new_axis = %d, want 0 or 1", newAxis)
	}
	return seqKernel(func(in []tensor.Value) (tensor.Value, error) {
		s, err := asSequence(input(in, 0), "ConcatFromSequence input_sequence")
		if err != nil {
			return nil, err
		}
		if len(s.Tensors) == 0 {
			return nil, fmt.Errorf("ConcatFromSequence: the sequence is empty; need at least one tensor")
		}
		for i, t := range s.Tensors {
			if t == nil {
				return nil, fmt.Errorf("ConcatFromSequence: sequence element %d is missing", i)
			}
		}
		r := s.Tensors[0].Rank()
		if newAxis == 1 {
			axis, err := ops.NormAxis(int(axisAttr), r+1)
			if err != nil {
				return nil, fmt.Errorf("ConcatFromSequence: axis (new_axis=1): %w", err)
			}
			return stackAlong(s.Tensors, axis, false, "ConcatFromSequence")
		}
		if r == 0 {
			return nil, fmt.Errorf("ConcatFromSequence: elements are scalars; use new_axis=1 to stack them")
		}
		axis, err := ops.NormAxis(int(axisAttr), r)
		if err != nil {
			return nil, fmt.Errorf("ConcatFromSequence: axis: %w", err)
		}
		return concatAlong(s.Tensors, axis, "ConcatFromSequence")
	}), nil
}
