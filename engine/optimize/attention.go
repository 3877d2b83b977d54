package optimize

import (
	"math"
	"slices"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// geluFold folds a GELU (gonyx.Gelu, or ai.onnx Gelu-20 with approximate
// "none") that is the only reader of a gonyx.FusedMatMul without an
// activation into it (activation "Gelu"): the transformer FFN's
// MatMul + bias + GELU becomes one node.
func geluFold(c *ctx, s *scope) int {
	if !c.canGonyx("FusedMatMul") {
		return 0
	}
	return s.fixpoint(func(m *matcher) {
		for _, g := range s.g.Nodes {
			if !(isGonyx(g, "Gelu") || (isOp(g, "Gelu") && c.onnxOpset >= 20)) || !m.free(g) ||
				len(g.Inputs) != 1 || len(g.Outputs) != 1 || g.Outputs[0] == "" || len(subgraphs(g)) > 0 {
				continue
			}
			if !onlyAttrs(g, "approximate") {
				continue
			}
			if a := g.Attrs["approximate"]; a != nil && (a.Type != graph.AttrString || string(a.S) != "none") {
				continue
			}
			p := s.producer[g.Inputs[0]]
			if !isGonyx(p, "FusedMatMul") || !m.free(p) || p.Attrs["activation"] != nil ||
				p.Attrs["activation_params"] != nil || len(p.Outputs) != 1 || s.soleUser(g.Inputs[0]) != g {
				continue
			}
			attrs := copyAttrs(p)
			attrs["activation"] = &graph.Attribute{Name: "activation", Type: graph.AttrString, S: []byte("Gelu")}
			fused := c.gonyxNode(p.Name, "FusedMatMul", slices.Clone(p.Inputs), []string{g.Outputs[0]}, attrs)
			fused.DocString = p.DocString
			m.take(g, fused, p)
		}
	})
}

// attentionFusion replaces the exported multi-head attention score path
//
//	qT = Transpose(q, [0,2,1,3]); kT = Transpose(k, [0,2,3,1]); vT = Transpose(v, [0,2,1,3])
//	s = MatMul(qT, kT); s = Div(s, c) or Mul(s, c) (optional); s = Add(s, mask) (optional)
//	p = Softmax(s, last axis); o = MatMul(p, vT); y = Transpose(o, [0,2,1,3])
//
// by y = gonyx.Attention(q, k, v, mask) with scale 1/c (or c), when every
// intermediate value is read only by the next step and q is float32.
func attentionFusion(c *ctx, s *scope) int {
	if !c.canGonyx("Attention") {
		return 0
	}
	return s.fixpoint(func(m *matcher) {
		for _, sm := range s.g.Nodes {
			if m.free(sm) {
				if r, ok := matchAttention(c, s, m, sm); ok {
					m.take(r.at, r.add, r.remove...)
				}
			}
		}
	})
}

// transposeOf returns the input of n when n is a Transpose with the given
// perm whose output is read only by user.
func transposeOf(s *scope, n *graph.Node, perm []int64, user *graph.Node) (string, bool) {
	if !isTranspose(n, perm) || s.soleUser(n.Outputs[0]) != user {
		return "", false
	}
	return n.Inputs[0], true
}

// isTranspose reports whether n is a Transpose with the given perm.
func isTranspose(n *graph.Node, perm []int64) bool {
	if !simple(n, "Transpose", 1) || !onlyAttrs(n, "perm") || n.Inputs[0] == "" {
		return false
	}
	p, ok := intsAttr(n, "perm")
	return ok && slices.Equal(p, perm)
}

func isF32(s *scope, name string) bool {
	dt, ok := s.dtype(name)
	return ok && dt == tensor.Float32
}

func matchAttention(c *ctx, s *scope, m *matcher, sm *graph.Node) (rewrite, bool) {
	if !simple(sm, "Softmax", 1) || !onlyAttrs(sm, "axis") {
		return rewrite{}, false
	}
	axis, ok := intAttr(sm, "axis", 1)
	if sm.Attrs["axis"] == nil {
		axis, ok = -1, c.onnxOpset >= 13
	}
	if !ok || (axis != -1 && axis != 3) {
		return rewrite{}, false
	}
	nodes := []*graph.Node{sm}
	x := sm.Inputs[0]
	if s.soleUser(x) != sm {
		return rewrite{}, false
	}
	mask := ""
	// Optional mask Add: the side produced by the scaled scores.
	if add := s.producer[x]; simple(add, "Add", 2) && noAttrs(add) {
		for side := 0; side < 2; side++ {
			sc, mk := add.Inputs[side], add.Inputs[1-side]
			p := s.producer[sc]
			if p == nil || sc == mk || mk == "" || s.soleUser(sc) != add {
				continue
			}
			if isOp(p, "Div") || isOp(p, "Mul") || isOp(p, "MatMul") {
				if dt, known := s.dtype(mk); known && dt != tensor.Float32 {
					return rewrite{}, false
				}
				if r, known := s.rank(mk); known && r > 4 {
					return rewrite{}, false
				}
				mask, x = mk, sc
				nodes = append(nodes, add)
				break
			}
		}
	}
	scale := 1.0
	if p := s.producer[x]; (simple(p, "Div", 2) || simple(p, "Mul", 2)) && noAttrs(p) {
		found := false
		for side := 0; side < 2 && !found; side++ {
			if isOp(p, "Div") && side == 1 {
				break
			}
			v, t, ok := scalarConst(s, p.Inputs[1-side])
			if !ok || t.Rank() > 4 || v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				continue
			}
			if isOp(p, "Div") {
				v = 1 / v
			}
			if math.Abs(v) > math.MaxFloat32 {
				continue
			}
			if s.soleUser(p.Inputs[side]) != p {
				return rewrite{}, false
			}
			scale, x, found = v, p.Inputs[side], true
			nodes = append(nodes, p)
		}
		if !found {
			return rewrite{}, false
		}
	}
	mm := s.producer[x]
	if !simple(mm, "MatMul", 2) || !noAttrs(mm) {
		return rewrite{}, false
	}
	q, ok1 := transposeOf(s, s.producer[mm.Inputs[0]], []int64{0, 2, 1, 3}, mm)
	k, ok2 := transposeOf(s, s.producer[mm.Inputs[1]], []int64{0, 2, 3, 1}, mm)
	if !ok1 || !ok2 || mm.Inputs[0] == mm.Inputs[1] {
		return rewrite{}, false
	}
	mm2 := s.soleUser(sm.Outputs[0])
	if !simple(mm2, "MatMul", 2) || !noAttrs(mm2) || mm2.Inputs[0] != sm.Outputs[0] {
		return rewrite{}, false
	}
	v, ok3 := transposeOf(s, s.producer[mm2.Inputs[1]], []int64{0, 2, 1, 3}, mm2)
	if !ok3 {
		return rewrite{}, false
	}
	tOut := s.soleUser(mm2.Outputs[0])
	if !isTranspose(tOut, []int64{0, 2, 1, 3}) {
		return rewrite{}, false
	}
	if !isF32(s, q) || !isF32(s, k) || !isF32(s, v) {
		return rewrite{}, false
	}
	nodes = append(nodes, mm, s.producer[mm.Inputs[0]], s.producer[mm.Inputs[1]], mm2, s.producer[mm2.Inputs[1]], tOut)
	if !m.free(nodes...) {
		return rewrite{}, false
	}
	inputs := []string{q, k, v}
	if mask != "" {
		inputs = append(inputs, mask)
	}
	attrs := map[string]*graph.Attribute{
		"scale": {Name: "scale", Type: graph.AttrFloat, F: float32(scale)},
	}
	a := c.gonyxNode(sm.Name, "Attention", inputs, []string{tOut.Outputs[0]}, attrs)
	return replaceWith(s, a, nodes), true
}
