package control

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// SequenceMap runs body once per element of the first input sequence. Other
// inputs are sequences of the same length (element i is passed) or tensors
// (passed whole every time). Body output j, a tensor per element, is
// collected into output sequence j. Elements are processed in order.
func buildSequenceMap(n *ops.Node) (ops.Kernel, error) {
	body, g, err := compileBody(n, "body")
	if err != nil {
		return nil, err
	}
	nIn, nOut := len(n.Inputs), len(n.Outputs)
	if nIn < 1 {
		return nil, n.Errorf("SequenceMap: needs at least the input_sequence input")
	}
	if k := len(body.InputNames()); k != nIn {
		return nil, n.Errorf("SequenceMap: body has %d inputs but the node has %d; they must match", k, nIn)
	}
	if k := len(body.OutputNames()); k != nOut {
		return nil, n.Errorf("SequenceMap: body has %d outputs but the node has %d; they must match", k, nOut)
	}
	declared := make([]tensor.DType, nOut)
	for j := range declared {
		if t := outputType(g, j); t != nil && t.Kind == graph.KindTensor && t.Elem.Supported() {
			declared[j] = t.Elem
		}
	}
	return ops.KernelFunc(func(rc *ops.RunContext, in []tensor.Value) ([]tensor.Value, error) {
		if len(in) != nIn {
			return nil, fmt.Errorf("SequenceMap: got %d inputs, want %d", len(in), nIn)
		}
		first, err := asSequence(in[0], "SequenceMap input 0 (input_sequence)")
		if err != nil {
			return nil, err
		}
		count := len(first.Tensors)
		seqs := make([]*tensor.Sequence, nIn)
		seqs[0] = first
		for i := 1; i < nIn; i++ {
			switch v := in[i].(type) {
			case *tensor.Sequence:
				if v == nil {
					return nil, fmt.Errorf("SequenceMap: input %d is missing", i)
				}
				if len(v.Tensors) != count {
					return nil, fmt.Errorf("SequenceMap: input %d is a sequence of %d tensors but input 0 has %d; they must match", i, len(v.Tensors), count)
				}
				seqs[i] = v
			case *tensor.Tensor:
				if v == nil {
					return nil, fmt.Errorf("SequenceMap: input %d is missing", i)
				}
			default:
				return nil, fmt.Errorf("SequenceMap: input %d: want a tensor or a sequence, got %s", i, valueKind(in[i]))
			}
		}
		outs := make([]*tensor.Sequence, nOut)
		for j := range outs {
			outs[j] = &tensor.Sequence{ElemType: declared[j], Tensors: make([]*tensor.Tensor, 0, count)}
		}
		for e := 0; e < count; e++ {
			if err := ctxErr(rc); err != nil {
				return nil, fmt.Errorf("SequenceMap: element %d: %w", e, err)
			}
			feeds := make([]tensor.Value, nIn)
			for i, v := range in {
				if seqs[i] != nil {
					t := seqs[i].Tensors[e]
					if t == nil {
						return nil, fmt.Errorf("SequenceMap: input %d element %d is missing", i, e)
					}
					feeds[i] = t
				} else {
					feeds[i] = v
				}
			}
			what := fmt.Sprintf("SequenceMap body (element %d)", e)
			res, err := runBody(rc, body, feeds, nOut, what)
			if err != nil {
				return nil, err
			}
			for j, v := range res {
				t, err := asTensor(v, fmt.Sprintf("%s: output %d", what, j))
				if err != nil {
					return nil, err
				}
				o := outs[j]
				if len(o.Tensors) == 0 {
					o.ElemType = t.DType()
				} else if t.DType() != o.ElemType {
					return nil, fmt.Errorf("%s: output %d has dtype %v but element 0 gave %v", what, j, t.DType(), o.ElemType)
				}
				o.Tensors = append(o.Tensors, t)
			}
		}
		vals := make([]tensor.Value, nOut)
		for j, o := range outs {
			vals[j] = o
		}
		return vals, nil
	}), nil
}
