package optimize

import (
	"math"
	"sort"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// patternFusion recognises LayerNorm and GELU written out as elementary ops
// and replaces them by gonyx.LayerNormalization and gonyx.Gelu.
func patternFusion(c *ctx, s *scope) int {
	n := 0
	if c.canGonyx("LayerNormalization") {
		n += s.fixpoint(func(m *matcher) {
			for _, nd := range s.g.Nodes {
				if m.free(nd) {
					if r, ok := matchLayerNorm(c, s, m, nd); ok {
						m.take(r.at, r.add, r.remove...)
					}
				}
			}
		})
	}
	if c.canGonyx("Gelu") {
		n += s.fixpoint(func(m *matcher) {
			for _, nd := range s.g.Nodes {
				if m.free(nd) {
					if r, ok := matchGelu(c, s, m, nd); ok {
						m.take(r.at, r.add, r.remove...)
					}
				}
			}
		})
	}
	return n
}

// simple reports whether n is the ai.onnx op with the given input and
// output counts, a named first output and no subgraphs.
func simple(n *graph.Node, op string, nIn int) bool {
	return isOp(n, op) && len(n.Inputs) == nIn && len(n.Outputs) == 1 && n.Outputs[0] != "" &&
		len(subgraphs(n)) == 0
}

// otherInput returns the operand of a two-input node that is not v.
func otherInput(n *graph.Node, v string) (string, bool) {
	switch {
	case n.Inputs[0] == v && n.Inputs[1] != v:
		return n.Inputs[1], true
	case n.Inputs[1] == v && n.Inputs[0] != v:
		return n.Inputs[0], true
	}
	return "", false
}

// scalarConst returns the value of a constant float with one element.
func scalarConst(s *scope, name string) (float64, *tensor.Tensor, bool) {
	t := s.constant(name)
	if t == nil || !t.DType().IsFloat() || t.Len() != 1 {
		return 0, nil, false
	}
	return t.Float64s()[0], t, true
}

// near reports whether a constant's value is within 1e-6 of want.
func near(v, want float64) bool { return math.Abs(v-want) <= 1e-6 }

// reduceAxes returns a ReduceMean's axes (attribute before opset 18, input
// after) when they are constant and it keeps dims.
func reduceAxes(c *ctx, s *scope, n *graph.Node) ([]int64, bool) {
	if len(n.Outputs) != 1 || n.Outputs[0] == "" || len(n.Inputs) == 0 || len(subgraphs(n)) > 0 {
		return nil, false
	}
	if kd, ok := intAttr(n, "keepdims", 1); !ok || kd != 1 {
		return nil, false
	}
	if c.onnxOpset < 18 {
		if len(n.Inputs) != 1 || !onlyAttrs(n, "axes", "keepdims") {
			return nil, false
		}
		axes, ok := intsAttr(n, "axes")
		return axes, ok && len(axes) > 0
	}
	if len(n.Inputs) != 2 || !onlyAttrs(n, "keepdims", "noop_with_empty_axes") {
		return nil, false
	}
	t := s.constant(n.Inputs[1])
	if t == nil || t.DType() != tensor.Int64 || t.Rank() != 1 || t.Len() == 0 {
		return nil, false
	}
	return t.Int64s(), true
}

// trailingAxes checks that axes are the last k axes of a tensor (rank
// needed only when some axis is non-negative) and returns -k.
func trailingAxes(axes []int64, rank int, rankKnown bool) (int, bool) {
	k := len(axes)
	norm := make([]int, k)
	for i, a := range axes {
		switch {
		case a < 0:
			if a < -64 {
				return 0, false
			}
			norm[i] = int(a)
		case rankKnown && int(a) < rank:
			norm[i] = int(a) - rank
		default:
			return 0, false
		}
	}
	sort.Ints(norm)
	for i, a := range norm {
		if a != -k+i {
			return 0, false
		}
	}
	if rankKnown && k > rank {
		return 0, false
	}
	return -k, true
}

// matchLayerNorm matches, from the first ReduceMean,
//
//	mean = ReduceMean(x); d = Sub(x, mean); sq = Pow(d, 2) (or Mul(d, d));
//	var = ReduceMean(sq); sd = Sqrt(Add(var, ε)); n = Div(d, sd);
//	y = Add(Mul(n, γ), β)  (the Add is optional)
//
// with both reductions over the same trailing axes and γ, β constants that
// span only those axes.
func matchLayerNorm(c *ctx, s *scope, m *matcher, rm1 *graph.Node) (rewrite, bool) {
	if !isOp(rm1, "ReduceMean") {
		return rewrite{}, false
	}
	axes, ok := reduceAxes(c, s, rm1)
	if !ok {
		return rewrite{}, false
	}
	x, mean := rm1.Inputs[0], rm1.Outputs[0]
	rank, rankKnown := s.rank(x)
	axis, ok := trailingAxes(axes, rank, rankKnown)
	if !ok || x == "" {
		return rewrite{}, false
	}
	sub := s.soleUser(mean)
	if !simple(sub, "Sub", 2) || sub.Inputs[0] != x || sub.Inputs[1] != mean {
		return rewrite{}, false
	}
	d := sub.Outputs[0]
	var sqr, div *graph.Node
	for _, u := range s.uses[d] {
		switch {
		case simple(u, "Div", 2) && u.Inputs[0] == d && u.Inputs[1] != d:
			div = u
		case simple(u, "Pow", 2) && u.Inputs[0] == d && u.Inputs[1] != d:
			sqr = u
		case simple(u, "Mul", 2) && u.Inputs[0] == d && u.Inputs[1] == d:
			sqr = u
		}
	}
	if sqr == nil || div == nil {
		return rewrite{}, false
	}
	if isOp(sqr, "Pow") {
		e, et, ok := scalarConst(s, sqr.Inputs[1])
		if !ok || e != 2 || et.Rank() > 1 || !s.private(d, sqr, div) {
			return rewrite{}, false
		}
	} else if !s.private(d, sqr, sqr, div) {
		return rewrite{}, false
	}
	rm2 := s.soleUser(sqr.Outputs[0])
	if !isOp(rm2, "ReduceMean") || rm2.Inputs[0] != sqr.Outputs[0] {
		return rewrite{}, false
	}
	axes2, ok := reduceAxes(c, s, rm2)
	if !ok {
		return rewrite{}, false
	}
	if axis2, ok := trailingAxes(axes2, rank, rankKnown); !ok || axis2 != axis {
		return rewrite{}, false
	}
	addEps := s.soleUser(rm2.Outputs[0])
	if !simple(addEps, "Add", 2) {
		return rewrite{}, false
	}
	epsName, ok := otherInput(addEps, rm2.Outputs[0])
	if !ok {
		return rewrite{}, false
	}
	eps, epsT, ok := scalarConst(s, epsName)
	if !ok || epsT.Rank() > 1 || eps < 0 || eps > math.MaxFloat32 {
		return rewrite{}, false
	}
	sqrt := s.soleUser(addEps.Outputs[0])
	if !simple(sqrt, "Sqrt", 1) || s.soleUser(sqrt.Outputs[0]) != div || div.Inputs[1] != sqrt.Outputs[0] {
		return rewrite{}, false
	}
	mul := s.soleUser(div.Outputs[0])
	if !simple(mul, "Mul", 2) {
		return rewrite{}, false
	}
	gamma, ok := otherInput(mul, div.Outputs[0])
	if !ok || !spansAxes(s, gamma, -axis) {
		return rewrite{}, false
	}
	nodes := []*graph.Node{rm1, sub, sqr, rm2, addEps, sqrt, div, mul}
	inputs := []string{x, gamma}
	out := mul.Outputs[0]
	if add := s.soleUser(out); simple(add, "Add", 2) && m.free(add) {
		if beta, ok := otherInput(add, out); ok && spansAxes(s, beta, -axis) {
			nodes = append(nodes, add)
			inputs = append(inputs, beta)
			out = add.Outputs[0]
		}
	}
	if !m.free(nodes...) {
		return rewrite{}, false
	}
	attrs := map[string]*graph.Attribute{
		"axis":    {Name: "axis", Type: graph.AttrInt, I: int64(axis)},
		"epsilon": {Name: "epsilon", Type: graph.AttrFloat, F: float32(eps)},
	}
	ln := c.gonyxNode(rm1.Name, "LayerNormalization", inputs, []string{out}, attrs)
	return replaceWith(s, ln, nodes), true
}

// spansAxes reports whether name is a float constant of rank ≤ k, so that
// it broadcasts over the k normalised axes without changing the shape.
func spansAxes(s *scope, name string, k int) bool {
	t := s.constant(name)
	return t != nil && t.DType().IsFloat() && t.Rank() <= k
}

// replaceWith builds the rewrite that puts n where the last of nodes was
// and drops the others.
func replaceWith(s *scope, n *graph.Node, nodes []*graph.Node) rewrite {
	at := s.lastOf(nodes...)
	var remove []*graph.Node
	for _, o := range nodes {
		if o != at {
			remove = append(remove, o)
		}
	}
	return rewrite{at: at, add: n, remove: remove}
}

// matchGelu matches, from the Erf, x·0.5·(1 + Erf(x/√2)) with the
// division written as Div(x, √2) or Mul(x, 1/√2) and the three factors
// multiplied in any order. Constants are compared within 1e-6.
func matchGelu(c *ctx, s *scope, m *matcher, erf *graph.Node) (rewrite, bool) {
	if !simple(erf, "Erf", 1) {
		return rewrite{}, false
	}
	var consts []*tensor.Tensor
	constNear := func(name string, want float64) bool {
		v, t, ok := scalarConst(s, name)
		if ok && near(v, want) {
			consts = append(consts, t)
			return true
		}
		return false
	}
	u := erf.Inputs[0]
	scale := s.producer[u]
	if scale == nil || s.soleUser(u) != erf {
		return rewrite{}, false
	}
	var x string
	switch {
	case simple(scale, "Div", 2) && constNear(scale.Inputs[1], math.Sqrt2):
		x = scale.Inputs[0]
	case simple(scale, "Mul", 2) && constNear(scale.Inputs[1], 1/math.Sqrt2):
		x = scale.Inputs[0]
	case simple(scale, "Mul", 2) && constNear(scale.Inputs[0], 1/math.Sqrt2):
		x = scale.Inputs[1]
	default:
		return rewrite{}, false
	}
	if x == "" || s.constant(x) != nil {
		return rewrite{}, false
	}
	add := s.soleUser(erf.Outputs[0])
	if !simple(add, "Add", 2) {
		return rewrite{}, false
	}
	if one, ok := otherInput(add, erf.Outputs[0]); !ok || !constNear(one, 1) {
		return rewrite{}, false
	}
	mul1 := s.soleUser(add.Outputs[0])
	if !simple(mul1, "Mul", 2) {
		return rewrite{}, false
	}
	p, ok := otherInput(mul1, add.Outputs[0])
	if !ok {
		return rewrite{}, false
	}
	nodes := []*graph.Node{scale, erf, add, mul1}
	var out string
	switch {
	case p == x: // (x · (1+erf)) · 0.5
		mul2 := s.soleUser(mul1.Outputs[0])
		if !simple(mul2, "Mul", 2) {
			return rewrite{}, false
		}
		if h, ok := otherInput(mul2, mul1.Outputs[0]); !ok || !constNear(h, 0.5) {
			return rewrite{}, false
		}
		nodes, out = append(nodes, mul2), mul2.Outputs[0]
	case constNear(p, 0.5): // ((1+erf) · 0.5) · x
		mul2 := s.soleUser(mul1.Outputs[0])
		if !simple(mul2, "Mul", 2) {
			return rewrite{}, false
		}
		if o, ok := otherInput(mul2, mul1.Outputs[0]); !ok || o != x {
			return rewrite{}, false
		}
		nodes, out = append(nodes, mul2), mul2.Outputs[0]
	default: // (x · 0.5) · (1+erf)
		half := s.producer[p]
		if !simple(half, "Mul", 2) || s.soleUser(p) != mul1 {
			return rewrite{}, false
		}
		h, ok := otherInput(half, x)
		if !ok || !constNear(h, 0.5) {
			return rewrite{}, false
		}
		nodes, out = append(nodes, half), mul1.Outputs[0]
	}
	if !m.free(nodes...) {
		return rewrite{}, false
	}
	// Constants of rank > 0 could broadcast x up to their rank; fuse only
	// when x is known to have at least that rank. All must share x's type.
	maxRank := 0
	for _, t := range consts {
		maxRank = max(maxRank, t.Rank())
		if t.DType() != consts[0].DType() {
			return rewrite{}, false
		}
	}
	if maxRank > 0 {
		if r, ok := s.rank(x); !ok || r < maxRank {
			return rewrite{}, false
		}
	}
	g := c.gonyxNode(erf.Name, "Gelu", []string{x}, []string{out}, nil)
	return replaceWith(s, g, nodes), true
}
