package optimize

import (
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// biasFusion folds constant Adds into the op before them:
//   - Conv + Add(constant [1,C,1,1] or [C,1,1]) → Conv with bias B + c;
//   - MatMul(A, constant 2-D B) + Add(constant bias) → Gemm(A, B, bias) when
//     A is known to be 2-D, else gonyx.FusedMatMul(A, B, bias) (rank-3
//     activations, as in BERT, must not become Gemm).
func biasFusion(c *ctx, s *scope) int {
	return s.fixpoint(func(m *matcher) {
		for _, add := range s.g.Nodes {
			if !isOp(add, "Add") || len(add.Inputs) != 2 || len(add.Outputs) != 1 || !m.free(add) {
				continue
			}
			for side := 0; side < 2; side++ {
				y, k := add.Inputs[side], add.Inputs[1-side]
				p := s.producer[y]
				if p == nil || !m.free(p) || !convOutput(s, p, add) || y == k {
					continue
				}
				var fused *graph.Node
				switch {
				case isOp(p, "Conv"):
					fused = convBias(c, s, p, k, add.Outputs[0])
				case isOp(p, "MatMul"):
					fused = matmulBias(c, s, p, k, add.Outputs[0])
				}
				if fused != nil {
					m.take(add, fused, p)
					break
				}
			}
		}
	})
}

// convBias returns conv with the constant k (one value per output channel,
// laid out to broadcast over the spatial dims) folded into its bias.
func convBias(c *ctx, s *scope, conv *graph.Node, k, out string) *graph.Node {
	w, b, ok := convParams(s, conv)
	if !ok {
		return nil
	}
	kt := s.constant(k)
	if kt == nil || kt.DType() != w.DType() {
		return nil
	}
	ch, r := w.Shape()[0], w.Rank()
	ks := kt.Shape()
	switch {
	case len(ks) == r-1 && ks[0] == ch && allOnes(ks[1:]):
	case len(ks) == r && ks[0] == 1 && ks[1] == ch && allOnes(ks[2:]):
	default:
		return nil
	}
	bv := kt.Float64s()
	if b != nil {
		for i, v := range b.Float64s() {
			bv[i] += v
		}
	}
	nb, err := tensor.FromFloat64s(w.DType(), []int{ch}, bv)
	if err != nil {
		return nil
	}
	return &graph.Node{
		Name: conv.Name, OpType: "Conv", Domain: conv.Domain, DocString: conv.DocString,
		Inputs:  []string{conv.Inputs[0], conv.Inputs[1], c.addInitializer(s, k+"_convbias", nb)},
		Outputs: []string{out},
		Attrs:   conv.Attrs,
	}
}

func allOnes(d []int) bool {
	for _, v := range d {
		if v != 1 {
			return false
		}
	}
	return true
}

// matmulBias returns Gemm or FusedMatMul for MatMul(A, B) + k.
func matmulBias(c *ctx, s *scope, mm *graph.Node, k, out string) *graph.Node {
	if len(mm.Inputs) != 2 || mm.Inputs[0] == "" || mm.Inputs[1] == "" || len(subgraphs(mm)) > 0 {
		return nil
	}
	bt := s.constant(mm.Inputs[1])
	if bt == nil || bt.Rank() != 2 || !bt.DType().IsFloat() {
		return nil
	}
	kt := s.constant(k)
	if kt == nil || kt.DType() != bt.DType() {
		return nil
	}
	n := bt.Shape()[1]
	ks := kt.Shape()
	// A bias of shape [], [1] or [N] adds along the last axis without
	// changing the MatMul's shape (whose rank is ≥ 1 since B is 2-D).
	rowBias := len(ks) == 0 || (len(ks) == 1 && (ks[0] == n || ks[0] == 1))
	f32 := bt.DType() == tensor.Float32 || bt.DType() == tensor.Float64
	if r, ok := s.rank(mm.Inputs[0]); ok && r == 2 && f32 && c.canONNX("Gemm") {
		gemmBias := rowBias || (len(ks) == 2 && ks[0] == 1 && (ks[1] == n || ks[1] == 1))
		if gemmBias {
			attrs := map[string]*graph.Attribute{}
			if c.onnxOpset < 7 {
				// Gemm-6 broadcasts C only when asked.
				attrs["broadcast"] = &graph.Attribute{Name: "broadcast", Type: graph.AttrInt, I: 1}
			}
			return &graph.Node{
				Name: mm.Name, OpType: "Gemm", Domain: mm.Domain, DocString: mm.DocString,
				Inputs: []string{mm.Inputs[0], mm.Inputs[1], k}, Outputs: []string{out}, Attrs: attrs,
			}
		}
	}
	if !rowBias || !c.canGonyx("FusedMatMul") {
		return nil
	}
	return c.gonyxNode(mm.Name, "FusedMatMul", []string{mm.Inputs[0], mm.Inputs[1], k}, []string{out}, nil)
}
