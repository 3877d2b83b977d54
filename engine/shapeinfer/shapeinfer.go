// Package shapeinfer computes, at model load time, the element type and the
// symbolic shape of every value of a graph it can. It also propagates the
// known integer contents of small tensors (shape arithmetic such as
// Shape→Gather→Concat→Reshape, as exporters emit it), so that Reshape, Slice,
// Expand, ConstantOfShape and friends resolve to concrete or symbolic shapes.
//
// Inference never guesses: a dimension it cannot prove stays unknown. It
// reports an error only for a proven inconsistency (two fixed dimensions that
// must agree and do not), naming the node and the values involved.
package shapeinfer

import (
	"fmt"
	"sort"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Result is what Infer found.
type Result struct {
	// Types maps a value name to its inferred type. A tensor type with a nil
	// Shape has an unknown rank; a Dim with Value -1 is unknown (or symbolic
	// when Param is set).
	Types map[string]*graph.Type
	// Unknown lists (sorted) the node outputs whose type could not be inferred.
	Unknown []string
}

// maxVals bounds the number of elements whose values are tracked per value.
const maxVals = 1024

// maxRank bounds ranks taken from the length of a shape tensor (a hostile
// declared length must not drive an allocation).
const maxRank = 1024

// sd is a symbolic integer: a known value, a named symbol, or unknown. It is
// used both for dimensions and for the elements of small integer tensors.
type sd struct {
	known bool
	v     int64
	p     string
	// mn, when set, makes the value min(mn, v) for the symbol mn (as
	// x[:S] of a fixed-size axis gives); rendered as unknown.
	mn string
}

func minOf(p string, bound int64) sd { return sd{mn: p, v: bound} }

func fixed(v int64) sd       { return sd{known: true, v: v} }
func sym(p string) sd        { return sd{p: p} }
func (a sd) is(v int64) bool { return a.known && a.v == v }

// same reports whether a and b are provably equal.
func (a sd) same(b sd) bool {
	if a.known || b.known {
		return a.known && b.known && a.v == b.v
	}
	if a.mn != "" || b.mn != "" {
		return a.mn == b.mn && a.v == b.v
	}
	return a.p != "" && a.p == b.p
}

func (a sd) String() string {
	switch {
	case a.known:
		return fmt.Sprint(a.v)
	case a.p != "":
		return a.p
	case a.mn != "":
		return fmt.Sprintf("min(%s,%d)", a.mn, a.v)
	}
	return "?"
}

func fromDim(d graph.Dim) sd {
	if d.Value >= 0 {
		return fixed(d.Value)
	}
	return sym(d.Param)
}

func (a sd) dim() graph.Dim {
	if a.known && a.v >= 0 {
		return graph.Dim{Value: a.v}
	}
	if a.known {
		return graph.Dim{Value: -1}
	}
	return graph.Dim{Value: -1, Param: a.p}
}

// val is what is known about one value.
type val struct {
	elem   tensor.DType // Undefined when unknown
	ranked bool
	shape  []sd
	// vals are the (flattened) contents of a small integer tensor; nil when
	// unknown. Elements may be symbolic or unknown.
	vals []sd
	// konst is the full constant value when known at load time.
	konst *tensor.Tensor
	// other is a declared non-tensor type (sequence, optional, map).
	other *graph.Type
}

func ranked(elem tensor.DType, shape []sd) *val {
	return &val{elem: elem, ranked: true, shape: shape}
}

func (v *val) rank() int { return len(v.shape) }

// numel is the symbolic element count as a known total, or ok=false.
func (v *val) numel() (int64, bool) {
	if v == nil || !v.ranked {
		return 0, false
	}
	n := int64(1)
	for _, d := range v.shape {
		if !d.known {
			return 0, false
		}
		n *= d.v
		if n > 1<<40 {
			return 0, false
		}
	}
	return n, true
}

func (v *val) typ() *graph.Type {
	if v.other != nil {
		return v.other
	}
	t := &graph.Type{Kind: graph.KindTensor, Elem: v.elem}
	if v.ranked {
		t.Shape = make([]graph.Dim, len(v.shape))
		for i, d := range v.shape {
			t.Shape[i] = d.dim()
		}
	}
	return t
}

func fromType(t *graph.Type) *val {
	if t == nil {
		return nil
	}
	if t.Kind != graph.KindTensor {
		return &val{other: t}
	}
	v := &val{elem: t.Elem}
	if t.Shape != nil {
		v.ranked = true
		v.shape = make([]sd, len(t.Shape))
		for i, d := range t.Shape {
			v.shape[i] = fromDim(d)
		}
	}
	return v
}

func fromConst(t *tensor.Tensor) *val {
	sh := t.Shape()
	v := &val{elem: t.DType(), ranked: true, shape: make([]sd, len(sh)), konst: t}
	for i, d := range sh {
		v.shape[i] = fixed(int64(d))
	}
	if isIntType(t.DType()) && t.Len() <= maxVals {
		is := t.Int64s()
		v.vals = make([]sd, len(is))
		for i, x := range is {
			v.vals[i] = fixed(x)
		}
	}
	return v
}

func isIntType(d tensor.DType) bool {
	return d.IsInteger() || d == tensor.Bool
}

// state is one inference run over a graph.
type state struct {
	vals  map[string]*val
	opset map[string]int
}

// Infer computes the type (dtype + symbolic shape) of every value in m's main
// graph it can, from the declared input types, the initializers, Constant
// nodes and the opsets. Declared value_info types fill in values the rules
// could not infer. It returns an error only for a proven inconsistency.
func Infer(m *graph.Model) (*Result, error) {
	res, err := infer(m, true)
	if err != nil {
		// Stale value_info is common in exported models: an inconsistency
		// that only shows with declared intermediate types is not proven.
		if res2, err2 := infer(m, false); err2 == nil {
			return res2, nil
		}
	}
	return res, err
}

func infer(m *graph.Model, useDeclared bool) (*Result, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("shapeinfer: model has no graph")
	}
	s := &state{vals: map[string]*val{}, opset: m.Opsets}
	g := m.Graph
	for name, t := range g.Initializers {
		if t != nil {
			s.vals[name] = fromConst(t)
		}
	}
	for _, in := range g.Inputs {
		if _, isInit := g.Initializers[in.Name]; isInit {
			// A default the caller may override: its shape is the declared
			// one if any, and its values are not constant.
			if v := fromType(in.Type); v != nil && (v.other != nil || v.ranked) {
				s.vals[in.Name] = v
			} else if c := s.vals[in.Name]; c != nil {
				s.vals[in.Name] = &val{elem: c.elem, ranked: true, shape: c.shape}
			}
			continue
		}
		if v := fromType(in.Type); v != nil {
			s.vals[in.Name] = v
		}
	}
	var declared map[string]*graph.Type
	if useDeclared {
		declared = map[string]*graph.Type{}
		for _, vi := range g.ValueInfo {
			if vi.Type != nil {
				declared[vi.Name] = vi.Type
			}
		}
		for _, vi := range g.Outputs {
			if vi.Type != nil {
				declared[vi.Name] = vi.Type
			}
		}
	}
	for _, n := range g.Nodes {
		if err := s.node(n); err != nil {
			return nil, err
		}
		if declared != nil {
			for _, o := range n.Outputs {
				if o == "" {
					continue
				}
				s.vals[o] = merge(s.vals[o], fromType(declared[o]))
			}
		}
	}
	res := &Result{Types: map[string]*graph.Type{}}
	for name, v := range s.vals {
		if v == nil || (v.other == nil && v.elem == tensor.Undefined && !v.ranked) {
			continue
		}
		res.Types[name] = v.typ()
	}
	seen := map[string]bool{}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" || seen[o] {
				continue
			}
			seen[o] = true
			if _, ok := res.Types[o]; !ok {
				res.Unknown = append(res.Unknown, o)
			}
		}
	}
	sort.Strings(res.Unknown)
	return res, nil
}

// merge fills what inferred leaves unknown from a declared type. Conflicts
// keep the inferred information.
func merge(inf, decl *val) *val {
	if decl == nil {
		return inf
	}
	if inf == nil || (inf.other == nil && inf.elem == tensor.Undefined && !inf.ranked) {
		return decl
	}
	if inf.other != nil || decl.other != nil {
		return inf
	}
	out := *inf
	if out.elem == tensor.Undefined {
		out.elem = decl.elem
	}
	if !out.ranked && decl.ranked {
		out.ranked, out.shape = true, decl.shape
	} else if out.ranked && decl.ranked && len(out.shape) == len(decl.shape) {
		sh := append([]sd(nil), out.shape...)
		for i, d := range sh {
			if !d.known && d.p == "" {
				sh[i] = decl.shape[i]
			}
		}
		out.shape = sh
	}
	return &out
}

// node applies the rule of n's operator. A rule that fails to understand the
// node (or panics on a malformed one) leaves its outputs unknown; only a
// proven inconsistency is an error.
func (s *state) node(n *graph.Node) (err error) {
	for _, o := range n.Outputs {
		if o != "" {
			delete(s.vals, o)
		}
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil
	}
	rule, ok := rules[n.OpType]
	if !ok {
		return nil
	}
	c := &nctx{s: s, n: n, opset: s.opset[""]}
	if v, ok := s.opset["ai.onnx"]; ok && c.opset == 0 {
		c.opset = v
	}
	defer func() {
		if r := recover(); r != nil {
			for _, o := range n.Outputs {
				if o != "" {
					delete(s.vals, o)
				}
			}
			err = nil
		}
	}()
	return rule(c)
}

// inconsistency is the error of a proven inconsistency.
type inconsistency struct{ msg string }

func (e *inconsistency) Error() string { return e.msg }

// nctx is the view of one node given to a rule.
type nctx struct {
	s     *state
	n     *graph.Node
	opset int
}

func (c *nctx) name() string {
	if c.n.Name != "" {
		return fmt.Sprintf("node %q (%s)", c.n.Name, c.n.OpType)
	}
	return fmt.Sprintf("%s node with outputs %v", c.n.OpType, c.n.Outputs)
}

func (c *nctx) errf(format string, args ...any) error {
	return &inconsistency{msg: fmt.Sprintf("shapeinfer: %s: ", c.name()) + fmt.Sprintf(format, args...)}
}

func (c *nctx) nin() int { return len(c.n.Inputs) }

func (c *nctx) has(i int) bool { return i < len(c.n.Inputs) && c.n.Inputs[i] != "" }

func (c *nctx) inName(i int) string {
	if i < len(c.n.Inputs) {
		return c.n.Inputs[i]
	}
	return ""
}

// in returns what is known about input i (nil when absent or unknown, or
// when it is not a tensor).
func (c *nctx) in(i int) *val {
	if !c.has(i) {
		return nil
	}
	v := c.s.vals[c.n.Inputs[i]]
	if v == nil || v.other != nil {
		return nil
	}
	return v
}

// rin returns input i only when its rank is known.
func (c *nctx) rin(i int) *val {
	v := c.in(i)
	if v == nil || !v.ranked {
		return nil
	}
	return v
}

func (c *nctx) elem(i int) tensor.DType {
	if v := c.in(i); v != nil {
		return v.elem
	}
	return tensor.Undefined
}

func (c *nctx) set(i int, v *val) {
	if v == nil || i >= len(c.n.Outputs) || c.n.Outputs[i] == "" {
		return
	}
	if v.vals != nil {
		if n, ok := v.numel(); !ok || n != int64(len(v.vals)) {
			v.vals = nil
		}
	}
	c.s.vals[c.n.Outputs[i]] = v
}

// ints returns the tracked contents of input i (elements may be symbolic
// or unknown).
func (c *nctx) ints(i int) ([]sd, bool) {
	v := c.in(i)
	if v == nil || v.vals == nil {
		return nil, false
	}
	return v.vals, true
}

// constInts returns input i's contents as plain int64s when all are known.
func (c *nctx) constInts(i int) ([]int64, bool) {
	v := c.in(i)
	if v == nil || v.vals == nil {
		return nil, false
	}
	out := make([]int64, len(v.vals))
	for j, x := range v.vals {
		if !x.known {
			return nil, false
		}
		out[j] = x.v
	}
	return out, true
}

func (c *nctx) attr(name string) *graph.Attribute {
	if c.n.Attrs == nil {
		return nil
	}
	return c.n.Attrs[name]
}

func (c *nctx) attrInt(name string, def int64) int64 {
	if a := c.attr(name); a != nil && a.Type == graph.AttrInt {
		return a.I
	}
	return def
}

func (c *nctx) attrFloat(name string, def float32) float32 {
	if a := c.attr(name); a != nil && a.Type == graph.AttrFloat {
		return a.F
	}
	return def
}

func (c *nctx) attrInts(name string) ([]int64, bool) {
	if a := c.attr(name); a != nil && a.Type == graph.AttrInts {
		return a.Ints, true
	}
	return nil, false
}

func (c *nctx) attrFloats(name string) ([]float32, bool) {
	if a := c.attr(name); a != nil && a.Type == graph.AttrFloats {
		return a.Floats, true
	}
	return nil, false
}

func (c *nctx) attrString(name, def string) string {
	if a := c.attr(name); a != nil && a.Type == graph.AttrString {
		return string(a.S)
	}
	return def
}

// normAxis maps a possibly negative axis into [0, rank); ok=false when out of
// range.
func normAxis(a int64, rank int) (int, bool) {
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= int64(rank) {
		return 0, false
	}
	return int(a), true
}

func fmtShape(sh []sd) string {
	s := "["
	for i, d := range sh {
		if i > 0 {
			s += ","
		}
		s += d.String()
	}
	return s + "]"
}

func (c *nctx) describe(i int) string {
	v := c.in(i)
	if v == nil || !v.ranked {
		return fmt.Sprintf("%q", c.inName(i))
	}
	return fmt.Sprintf("%q %s", c.inName(i), fmtShape(v.shape))
}
