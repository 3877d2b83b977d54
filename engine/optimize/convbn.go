package optimize

import (
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// convBN folds an inference BatchNormalization that directly follows a Conv
// into the Conv's weights: with a = γ/√(var+ε) per output channel,
// W' = W·a and B' = B·a + β − mean·a. New initializers hold W' and B' (the
// old tensors are never written: they may alias the model file).
func convBN(c *ctx, s *scope) int {
	return s.fixpoint(func(m *matcher) {
		for _, bn := range s.g.Nodes {
			if !isOp(bn, "BatchNormalization") || !m.free(bn) || !bnInference(c, s, bn) {
				continue
			}
			conv := s.producer[bn.Inputs[0]]
			if !isOp(conv, "Conv") || !m.free(conv) || !convOutput(s, conv, bn) {
				continue
			}
			w, b, ok := convParams(s, conv)
			if !ok {
				continue
			}
			ch := w.Shape()[0]
			var ps [4][]float64 // scale, bias, mean, var
			for i := range ps {
				t := s.constant(bn.Inputs[1+i])
				if t == nil || !t.DType().IsFloat() || t.Rank() != 1 || t.Len() != ch {
					ps[0] = nil
					break
				}
				ps[i] = t.Float64s()
			}
			if ps[0] == nil {
				continue
			}
			eps, ok := floatAttr(bn, "epsilon", 1e-5)
			if !ok {
				continue
			}
			a := make([]float64, ch)
			shift := make([]float64, ch)
			for i := range a {
				a[i] = ps[0][i] / math.Sqrt(ps[3][i]+float64(eps))
				shift[i] = ps[1][i] - ps[2][i]*a[i]
			}
			wv := w.Float64s()
			per := len(wv) / ch
			for i := range wv {
				wv[i] *= a[i/per]
			}
			bv := make([]float64, ch)
			if b != nil {
				copy(bv, b.Float64s())
			}
			for i := range bv {
				bv[i] = bv[i]*a[i] + shift[i]
			}
			nw, err1 := tensor.FromFloat64s(w.DType(), w.Shape(), wv)
			nb, err2 := tensor.FromFloat64s(w.DType(), []int{ch}, bv)
			if err1 != nil || err2 != nil {
				continue
			}
			fused := &graph.Node{
				Name: conv.Name, OpType: "Conv", Domain: conv.Domain, DocString: conv.DocString,
				Inputs: []string{
					conv.Inputs[0],
					c.addInitializer(s, conv.Inputs[1]+"_bnfold", nw),
					c.addInitializer(s, bn.Inputs[2]+"_bnfold", nb),
				},
				Outputs: []string{bn.Outputs[0]},
				Attrs:   conv.Attrs,
			}
			m.take(bn, fused, conv)
		}
	})
}

// bnInference reports whether bn computes Y from its running statistics
// and nothing reads its other outputs.
func bnInference(c *ctx, s *scope, bn *graph.Node) bool {
	if len(bn.Inputs) != 5 || len(bn.Outputs) == 0 || bn.Outputs[0] == "" {
		return false
	}
	for _, in := range bn.Inputs {
		if in == "" {
			return false
		}
	}
	extra := false
	for _, o := range bn.Outputs[1:] {
		if o != "" {
			extra = true
			if s.used(o) {
				return false
			}
		}
	}
	if sp, ok := intAttr(bn, "spatial", 1); !ok || sp != 1 {
		return false
	}
	if c.onnxOpset >= 14 {
		tm, ok := intAttr(bn, "training_mode", 0)
		return ok && tm == 0
	}
	// Before opset 14, named statistics outputs mean training unless is_test.
	it, ok := intAttr(bn, "is_test", 0)
	return ok && (!extra || it != 0)
}

// convOutput reports whether conv's single output is read only by user.
func convOutput(s *scope, conv, user *graph.Node) bool {
	return len(conv.Outputs) == 1 && s.soleUser(conv.Outputs[0]) == user && len(subgraphs(conv)) == 0
}

// convParams returns a Conv's constant float32/float64 weight and bias
// (nil when absent), or false when they are not both load-time constants.
func convParams(s *scope, conv *graph.Node) (w, b *tensor.Tensor, ok bool) {
	if len(conv.Inputs) < 2 || len(conv.Inputs) > 3 || conv.Inputs[0] == "" {
		return nil, nil, false
	}
	w = s.constant(conv.Inputs[1])
	if w == nil || (w.DType() != tensor.Float32 && w.DType() != tensor.Float64) || w.Rank() < 3 {
		return nil, nil, false
	}
	ch := w.Shape()[0]
	if ch == 0 || w.Len() == 0 {
		return nil, nil, false
	}
	if len(conv.Inputs) == 3 && conv.Inputs[2] != "" {
		b = s.constant(conv.Inputs[2])
		if b == nil || b.DType() != w.DType() || b.Rank() != 1 || b.Len() != ch {
			return nil, nil, false
		}
	}
	return w, b, true
}

// intAttr reads an int attribute; ok is false when it has another type.
func intAttr(n *graph.Node, name string, def int64) (int64, bool) {
	a, present := n.Attrs[name]
	if !present || a == nil {
		return def, true
	}
	if a.Type != graph.AttrInt {
		return 0, false
	}
	return a.I, true
}

// floatAttr reads a float attribute; ok is false when it has another type.
func floatAttr(n *graph.Node, name string, def float32) (float32, bool) {
	a, present := n.Attrs[name]
	if !present || a == nil {
		return def, true
	}
	if a.Type != graph.AttrFloat {
		return 0, false
	}
	return a.F, true
}

// intsAttr reads an ints attribute (nil, true when absent).
func intsAttr(n *graph.Node, name string) ([]int64, bool) {
	a, present := n.Attrs[name]
	if !present || a == nil {
		return nil, true
	}
	if a.Type != graph.AttrInts {
		return nil, false
	}
	return a.Ints, true
}
