package optimize

import (
	"math"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// activationFusion merges an activation that is the only reader of a
// Conv/Gemm/MatMul/FusedMatMul output into a gonyx Fused* node
// (attributes activation, activation_params), and for Conv also a
// following Add of another value Z (a residual): FusedConv(X, W, B, Z)
// computes act(Conv(X, W, B) + Z). Activations: Relu, LeakyRelu, Clip with
// constant bounds, Sigmoid, Tanh, HardSigmoid, HardSwish, and SiLU written
// as x*Sigmoid(x).
func activationFusion(c *ctx, s *scope) int {
	return s.fixpoint(func(m *matcher) {
		for _, n := range s.g.Nodes {
			if !m.free(n) {
				continue
			}
			if r, ok := fuseActivation(c, s, m, n); ok {
				m.take(r.at, r.add, r.remove...)
			}
		}
	})
}

// anchorKind tells how a node can take an epilogue.
type anchorKind int

const (
	notAnchor anchorKind = iota
	anchorConv
	anchorGemm
	anchorMatMul
)

// anchor classifies n: the fused op it becomes, and whether it may still
// take a residual Z.
func anchor(c *ctx, s *scope, n *graph.Node) (kind anchorKind, op string, residual bool) {
	if len(n.Outputs) != 1 || n.Outputs[0] == "" || len(n.Inputs) < 2 || n.Inputs[0] == "" ||
		n.Inputs[1] == "" || len(subgraphs(n)) > 0 {
		return notAnchor, "", false
	}
	switch {
	case isOp(n, "Conv") && len(n.Inputs) <= 3:
		return anchorConv, "FusedConv", true
	case isOp(n, "Gemm") && len(n.Inputs) <= 3 && s.isFloat(n.Outputs[0]) && (len(n.Inputs) == 3 || c.onnxOpset >= 11):
		return anchorGemm, "FusedGemm", false
	case isOp(n, "MatMul") && len(n.Inputs) == 2 && s.isFloat(n.Outputs[0]):
		return anchorMatMul, "FusedMatMul", true
	}
	if n.Domain != GonyxDomain || n.Attrs["activation"] != nil {
		return notAnchor, "", false
	}
	switch n.OpType {
	case "FusedConv":
		return anchorConv, "FusedConv", len(n.Inputs) <= 3
	case "FusedGemm":
		return anchorGemm, "FusedGemm", false
	case "FusedMatMul":
		return anchorMatMul, "FusedMatMul", len(n.Inputs) <= 3
	}
	return notAnchor, "", false
}

func fuseActivation(c *ctx, s *scope, m *matcher, n *graph.Node) (rewrite, bool) {
	kind, op, residual := anchor(c, s, n)
	if kind == notAnchor || !c.canGonyx(op) {
		return rewrite{}, false
	}
	out := n.Outputs[0]
	var taken []*graph.Node
	z := ""
	if residual {
		if add := s.soleUser(out); isOp(add, "Add") && m.free(add) && len(add.Inputs) == 2 && len(add.Outputs) == 1 &&
			len(subgraphs(add)) == 0 {
			other := add.Inputs[0]
			if other == out {
				other = add.Inputs[1]
			}
			if other != "" && other != out && s.owner(other) != nil && !dependsOn(s, other, n) {
				z = other
				taken = append(taken, add)
				out = add.Outputs[0]
			}
		}
	}
	act, ok := matchActivation(c, s, m, out)
	if ok {
		taken = append(taken, act.nodes...)
		out = act.out
	}
	if len(taken) == 0 {
		return rewrite{}, false
	}
	inputs := append([]string(nil), n.Inputs...)
	if z != "" {
		for len(inputs) < 3 {
			inputs = append(inputs, "")
		}
		inputs = append(inputs, z)
	}
	attrs := copyAttrs(n)
	if ok {
		attrs["activation"] = &graph.Attribute{Name: "activation", Type: graph.AttrString, S: []byte(act.name)}
		if len(act.params) > 0 {
			attrs["activation_params"] = &graph.Attribute{Name: "activation_params", Type: graph.AttrFloats, Floats: act.params}
		}
	}
	fused := c.gonyxNode(n.Name, op, inputs, []string{out}, attrs)
	fused.DocString = n.DocString
	at := s.lastOf(append([]*graph.Node{n}, taken...)...)
	var remove []*graph.Node
	for _, t := range append([]*graph.Node{n}, taken...) {
		if t != at {
			remove = append(remove, t)
		}
	}
	return rewrite{at: at, add: fused, remove: remove}, true
}

// dependsOn reports whether value v is computed (in s's graph) from an
// output of node target.
func dependsOn(s *scope, v string, target *graph.Node) bool {
	seen := map[*graph.Node]bool{}
	work := []string{v}
	for len(work) > 0 {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		p := s.producer[x]
		if p == nil || seen[p] {
			continue
		}
		if p == target {
			return true
		}
		seen[p] = true
		work = append(work, p.Inputs...)
		work = append(work, freeNames(p)...)
	}
	return false
}

// actMatch is an activation found after a value.
type actMatch struct {
	name   string
	params []float32
	nodes  []*graph.Node
	out    string
}

// matchActivation recognises an activation applied to v and nothing else
// reading v (SiLU: v's readers are exactly the Sigmoid and the Mul).
func matchActivation(c *ctx, s *scope, m *matcher, v string) (actMatch, bool) {
	if a := s.soleUser(v); a != nil && m.free(a) && len(a.Outputs) >= 1 && a.Outputs[0] != "" &&
		len(a.Inputs) >= 1 && a.Inputs[0] == v && isONNX(a) && len(subgraphs(a)) == 0 {
		r := actMatch{name: a.OpType, nodes: []*graph.Node{a}, out: a.Outputs[0]}
		if len(a.Outputs) != 1 {
			return r, false
		}
		switch a.OpType {
		case "Relu", "Sigmoid", "Tanh", "HardSwish":
			return r, len(a.Inputs) == 1 && noAttrs(a)
		case "LeakyRelu":
			alpha, ok := floatAttr(a, "alpha", 0.01)
			r.params = []float32{alpha}
			return r, ok && len(a.Inputs) == 1 && onlyAttrs(a, "alpha")
		case "HardSigmoid":
			alpha, ok1 := floatAttr(a, "alpha", 0.2)
			beta, ok2 := floatAttr(a, "beta", 0.5)
			r.params = []float32{alpha, beta}
			return r, ok1 && ok2 && len(a.Inputs) == 1 && onlyAttrs(a, "alpha", "beta")
		case "Clip":
			lo, hi, ok := clipBounds(c, s, a, v)
			r.params = []float32{lo, hi}
			return r, ok
		}
		return r, false
	}
	// SiLU: Mul(v, Sigmoid(v)) in either operand order.
	us := s.uses[v]
	if len(us) != 2 {
		return actMatch{}, false
	}
	sg, mu := us[0], us[1]
	if !isOp(sg, "Sigmoid") {
		sg, mu = mu, sg
	}
	if !isOp(sg, "Sigmoid") || !isOp(mu, "Mul") || !m.free(sg, mu) || len(sg.Inputs) != 1 ||
		len(sg.Outputs) != 1 || !noAttrs(sg) || len(mu.Inputs) != 2 || len(mu.Outputs) != 1 || mu.Outputs[0] == "" {
		return actMatch{}, false
	}
	so := sg.Outputs[0]
	if !s.private(v, sg, mu) || s.soleUser(so) != mu {
		return actMatch{}, false
	}
	if !(mu.Inputs[0] == v && mu.Inputs[1] == so) && !(mu.Inputs[0] == so && mu.Inputs[1] == v) {
		return actMatch{}, false
	}
	return actMatch{name: "SiLU", nodes: []*graph.Node{sg, mu}, out: mu.Outputs[0]}, true
}

// clipBounds reads constant Clip bounds (±Inf when absent from opset 11).
func clipBounds(c *ctx, s *scope, a *graph.Node, v string) (lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if c.onnxOpset < 11 {
		// Bounds are attributes; absent ones default to the type's finite
		// limits, which depend on the type: fuse only explicit ones.
		if len(a.Inputs) != 1 || a.Attrs["min"] == nil || a.Attrs["max"] == nil || !onlyAttrs(a, "min", "max") {
			return 0, 0, false
		}
		var ok1, ok2 bool
		lo, ok1 = floatAttr(a, "min", 0)
		hi, ok2 = floatAttr(a, "max", 0)
		return lo, hi, ok1 && ok2
	}
	if len(a.Inputs) > 3 || !noAttrs(a) {
		return 0, 0, false
	}
	for i, dst := range []*float32{&lo, &hi} {
		if len(a.Inputs) <= i+1 || a.Inputs[i+1] == "" {
			continue
		}
		t := s.constant(a.Inputs[i+1])
		// The bound must have the input's type (Clip rejects others).
		if dt, known := s.dtype(v); t == nil || !known || dt != t.DType() || !dt.IsFloat() || t.Len() != 1 || t.Rank() > 1 {
			return 0, 0, false
		}
		val := t.Float64s()[0]
		if t.DType() == tensor.Float64 && float64(float32(val)) != val && !math.IsNaN(val) {
			return 0, 0, false // not representable in the float32 parameter
		}
		*dst = float32(val)
	}
	return lo, hi, true
}

func noAttrs(n *graph.Node) bool { return len(n.Attrs) == 0 }

// onlyAttrs reports whether n has no attributes besides the named ones.
func onlyAttrs(n *graph.Node, names ...string) bool {
	for k := range n.Attrs {
		found := false
		for _, nm := range names {
			if k == nm {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}
