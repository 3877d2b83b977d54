package optimize

import (
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// scope indexes one graph for pattern matching: who produces and who reads
// each value. parent is the enclosing graph's scope (values a subgraph reads
// from outside resolve there).
type scope struct {
	g      *graph.Graph
	parent *scope

	producer map[string]*graph.Node
	pos      map[*graph.Node]int // index in g.Nodes
	// uses lists, per value, the nodes reading it as an input (a node that
	// reads it twice appears twice).
	uses map[string][]*graph.Node
	// subUses lists the nodes whose subgraphs read the value.
	subUses  map[string][]*graph.Node
	isOutput map[string]bool
	isInput  map[string]bool
	types    map[string]*graph.Type
}

func newScope(g *graph.Graph, parent *scope) *scope {
	s := &scope{g: g, parent: parent}
	s.reindex()
	return s
}

// reindex rebuilds the maps after g changed.
func (s *scope) reindex() {
	g := s.g
	s.producer = map[string]*graph.Node{}
	s.pos = map[*graph.Node]int{}
	s.uses = map[string][]*graph.Node{}
	s.subUses = map[string][]*graph.Node{}
	s.isOutput = map[string]bool{}
	s.isInput = map[string]bool{}
	s.types = map[string]*graph.Type{}
	for _, v := range g.Inputs {
		s.isInput[v.Name] = true
	}
	for _, v := range g.Outputs {
		s.isOutput[v.Name] = true
	}
	for _, vs := range [][]graph.ValueInfo{g.ValueInfo, g.Inputs, g.Outputs} {
		for _, v := range vs {
			if v.Type != nil {
				s.types[v.Name] = v.Type
			}
		}
	}
	for i, n := range g.Nodes {
		s.pos[n] = i
		for _, o := range n.Outputs {
			if o != "" {
				s.producer[o] = n
			}
		}
		for _, in := range n.Inputs {
			if in != "" {
				s.uses[in] = append(s.uses[in], n)
			}
		}
		for _, name := range freeNames(n) {
			s.subUses[name] = append(s.subUses[name], n)
		}
	}
}

// wellFormed reports whether every value of g has one definition (graph
// input, initializer or node output) and the nodes have no cycle. The
// passes rely on both; graphs breaking them are left to the executor.
func wellFormed(g *graph.Graph) bool {
	defined := map[string]bool{}
	for _, v := range g.Inputs {
		if defined[v.Name] {
			return false
		}
		defined[v.Name] = true
	}
	for k := range g.Initializers {
		defined[k] = true
	}
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup || defined[o] {
				return false
			}
			producer[o] = i
		}
	}
	// Kahn's algorithm over local dependencies (subgraph reads included).
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		deps := map[int]bool{}
		for _, v := range append(append([]string(nil), n.Inputs...), freeNames(n)...) {
			if j, ok := producer[v]; ok && !deps[j] {
				deps[j] = true
				indeg[i]++
				users[j] = append(users[j], i)
			}
		}
	}
	var queue []int
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	done := 0
	for len(queue) > 0 {
		i := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		done++
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	return done == len(g.Nodes)
}

// defines reports whether the value is defined in this graph (rather than
// read from an enclosing one).
func (s *scope) defines(name string) bool {
	if s.isInput[name] || s.producer[name] != nil {
		return true
	}
	_, ok := s.g.Initializers[name]
	return ok
}

// owner returns the scope that defines name (nil: undefined).
func (s *scope) owner(name string) *scope {
	for sc := s; sc != nil; sc = sc.parent {
		if sc.defines(name) {
			return sc
		}
	}
	return nil
}

// used reports whether anything reads the value: a node, a subgraph, or
// the graph's outputs.
func (s *scope) used(name string) bool {
	return len(s.uses[name]) > 0 || len(s.subUses[name]) > 0 || s.isOutput[name]
}

// soleUser returns the one node reading name, when exactly one input slot
// of one node reads it, no subgraph reads it and it is not a graph output.
func (s *scope) soleUser(name string) *graph.Node {
	if name == "" || s.isOutput[name] || len(s.subUses[name]) > 0 || len(s.uses[name]) != 1 {
		return nil
	}
	return s.uses[name][0]
}

// private reports whether name is read only by the given nodes (each
// input slot counted) and is not a graph output or read by a subgraph.
func (s *scope) private(name string, readers ...*graph.Node) bool {
	if name == "" || s.isOutput[name] || len(s.subUses[name]) > 0 {
		return false
	}
	us := s.uses[name]
	if len(us) != len(readers) {
		return false
	}
	left := append([]*graph.Node(nil), readers...)
	for _, u := range us {
		found := false
		for i, r := range left {
			if r == u {
				left = append(left[:i], left[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// constant returns the load-time value of name: an initializer that is not
// also a graph input (callers may override those), or a Constant node's
// value. Names resolve through enclosing graphs.
func (s *scope) constant(name string) *tensor.Tensor {
	if name == "" {
		return nil
	}
	o := s.owner(name)
	if o == nil {
		return nil
	}
	if o.isInput[name] {
		return nil
	}
	if t, ok := o.g.Initializers[name]; ok {
		return t
	}
	if p := o.producer[name]; p != nil && isOp(p, "Constant") && len(p.Outputs) == 1 {
		return constantValue(p)
	}
	return nil
}

// isInitializer reports whether name is a constant initializer (not a
// graph input) of an enclosing graph.
func (s *scope) isInitializer(name string) bool {
	o := s.owner(name)
	if o == nil || o.isInput[name] {
		return false
	}
	_, ok := o.g.Initializers[name]
	return ok
}

// constantValue reads a Constant node's value attribute (numeric forms).
func constantValue(n *graph.Node) *tensor.Tensor {
	if len(n.Attrs) != 1 {
		return nil
	}
	for k, a := range n.Attrs {
		switch {
		case k == "value" && a.Type == graph.AttrTensor:
			return a.T
		case k == "value_float" && a.Type == graph.AttrFloat:
			return tensor.Scalar(a.F)
		case k == "value_floats" && a.Type == graph.AttrFloats:
			return tensor.New([]int{len(a.Floats)}, append([]float32(nil), a.Floats...))
		case k == "value_int" && a.Type == graph.AttrInt:
			return tensor.Scalar(a.I)
		case k == "value_ints" && a.Type == graph.AttrInts:
			return tensor.New([]int{len(a.Ints)}, append([]int64(nil), a.Ints...))
		}
	}
	return nil
}

// declType is the declared type of name (value_info, graph inputs and
// outputs), searched where the name is defined.
func (s *scope) declType(name string) *graph.Type {
	for sc := s; sc != nil; sc = sc.parent {
		if t := sc.types[name]; t != nil {
			return t
		}
		if sc.defines(name) {
			return nil
		}
	}
	return nil
}

// sameShape lists ops whose first output has the shape of their first input.
var sameShape = map[string]bool{
	"Relu": true, "LeakyRelu": true, "Clip": true, "Sigmoid": true, "Tanh": true,
	"HardSigmoid": true, "HardSwish": true, "Identity": true, "Dropout": true, "Cast": true,
	"Neg": true, "Abs": true, "Exp": true, "Log": true, "Sqrt": true, "Erf": true,
	"Softmax": true, "LogSoftmax": true, "Elu": true, "Selu": true, "Softplus": true,
	"Gelu": true, "Reciprocal": true, "Floor": true, "Ceil": true, "LayerNormalization": true,
	"BatchNormalization": true,
}

// rank returns the rank of a tensor value when it is known statically.
func (s *scope) rank(name string) (int, bool) {
	return s.rankDepth(name, 0)
}

func (s *scope) rankDepth(name string, depth int) (int, bool) {
	if t := s.constant(name); t != nil {
		return t.Rank(), true
	}
	if t := s.declType(name); t != nil {
		if t.Kind == graph.KindTensor && t.Shape != nil {
			return len(t.Shape), true
		}
		return 0, false
	}
	o := s.owner(name)
	if o == nil || depth > 32 {
		return 0, false
	}
	p := o.producer[name]
	if p == nil || len(p.Outputs) == 0 || p.Outputs[0] != name {
		return 0, false
	}
	switch {
	case isOp(p, "Gemm"), isOp(p, "Flatten"), isGonyx(p, "FusedGemm"):
		return 2, true
	case isONNX(p) && sameShape[p.OpType] && len(p.Inputs) > 0,
		isGonyx(p, "Gelu") && len(p.Inputs) > 0, isGonyx(p, "LayerNormalization") && len(p.Inputs) > 0:
		return o.rankDepth(p.Inputs[0], depth+1)
	}
	return 0, false
}

// dtype returns the element type of a tensor value when known statically.
func (s *scope) dtype(name string) (tensor.DType, bool) {
	return s.dtypeDepth(name, 0)
}

func (s *scope) dtypeDepth(name string, depth int) (tensor.DType, bool) {
	if t := s.constant(name); t != nil {
		return t.DType(), true
	}
	if t := s.declType(name); t != nil {
		if t.Kind == graph.KindTensor && t.Elem != 0 {
			return t.Elem, true
		}
		return 0, false
	}
	o := s.owner(name)
	if o == nil || depth > 32 {
		return 0, false
	}
	p := o.producer[name]
	if p == nil || len(p.Outputs) == 0 || p.Outputs[0] != name || len(p.Inputs) == 0 {
		return 0, false
	}
	switch {
	case isOp(p, "Cast"):
		if a := p.Attrs["to"]; a != nil && a.Type == graph.AttrInt {
			return tensor.DType(a.I), true
		}
		return 0, false
	case isOp(p, "Gemm"), isOp(p, "MatMul"), isOp(p, "Conv"), isGonyx(p, "FusedGemm"),
		isGonyx(p, "FusedMatMul"), isGonyx(p, "FusedConv"):
		// Same type as both operands: either tells.
		if dt, ok := o.dtypeDepth(p.Inputs[0], depth+1); ok {
			return dt, true
		}
		if len(p.Inputs) > 1 {
			return o.dtypeDepth(p.Inputs[1], depth+1)
		}
		return 0, false
	case isONNX(p) && sameShape[p.OpType] && p.OpType != "Cast",
		isONNX(p) && sameType[p.OpType],
		isGonyx(p, "Gelu"), isGonyx(p, "LayerNormalization"), isGonyx(p, "Attention"):
		return o.dtypeDepth(p.Inputs[0], depth+1)
	}
	return 0, false
}

// sameType lists ops (beyond sameShape) whose first output has the element
// type of their first input.
var sameType = map[string]bool{
	"Reshape": true, "Transpose": true, "Squeeze": true, "Unsqueeze": true, "Flatten": true,
	"Expand": true, "Slice": true, "Add": true, "Sub": true, "Mul": true, "Div": true,
}

// isFloat reports whether the value is known to be a float tensor.
func (s *scope) isFloat(name string) bool {
	dt, ok := s.dtype(name)
	return ok && dt.IsFloat()
}

// isONNX reports whether n is in the default (ai.onnx) domain.
func isONNX(n *graph.Node) bool { return n.Domain == "" || n.Domain == "ai.onnx" }

// isOp reports whether n is the ai.onnx op named op.
func isOp(n *graph.Node, op string) bool { return n != nil && n.OpType == op && isONNX(n) }

// isGonyx reports whether n is the gonyx-domain op named op.
func isGonyx(n *graph.Node, op string) bool {
	return n != nil && n.OpType == op && n.Domain == GonyxDomain
}

// subgraphs and freeNames are graph's scope helpers (shared with the executor).
func subgraphs(n *graph.Node) []*graph.Graph { return n.Subgraphs() }

func freeNames(n *graph.Node) []string { return n.OuterNames() }

// rewrite replaces a set of nodes by one node placed where at was.
type rewrite struct {
	at     *graph.Node   // replaced by add (at is removed)
	add    *graph.Node   // nil: just remove
	remove []*graph.Node // other nodes to drop
}

// matcher tracks nodes already claimed by a rewrite in the current sweep,
// so rewrites found together never overlap.
type matcher struct {
	claimed map[*graph.Node]bool
	rs      []rewrite
}

func newMatcher() *matcher { return &matcher{claimed: map[*graph.Node]bool{}} }

// free reports whether none of the nodes is claimed yet.
func (m *matcher) free(ns ...*graph.Node) bool {
	for _, n := range ns {
		if m.claimed[n] {
			return false
		}
	}
	return true
}

// take records a rewrite of at (replaced by add) and the other nodes.
func (m *matcher) take(at, add *graph.Node, remove ...*graph.Node) {
	m.claimed[at] = true
	for _, n := range remove {
		m.claimed[n] = true
	}
	m.rs = append(m.rs, rewrite{at: at, add: add, remove: remove})
}

// apply performs the rewrites on s.g and reindexes.
func (s *scope) apply(rs []rewrite) {
	if len(rs) == 0 {
		return
	}
	replace := map[*graph.Node]*graph.Node{}
	drop := map[*graph.Node]bool{}
	for _, r := range rs {
		drop[r.at] = true
		if r.add != nil {
			replace[r.at] = r.add
		}
		for _, n := range r.remove {
			drop[n] = true
		}
	}
	out := s.g.Nodes[:0:0]
	for _, n := range s.g.Nodes {
		if a, ok := replace[n]; ok {
			out = append(out, a)
			continue
		}
		if !drop[n] {
			out = append(out, n)
		}
	}
	s.g.Nodes = out
	s.reindex()
}

// fixpoint runs find (which fills m with non-overlapping rewrites for the
// current index) and applies its rewrites until nothing matches; it returns
// the number of rewrites.
func (s *scope) fixpoint(find func(m *matcher)) int {
	total := 0
	for iter := 0; iter < 64; iter++ {
		m := newMatcher()
		find(m)
		if len(m.rs) == 0 {
			break
		}
		s.apply(m.rs)
		total += len(m.rs)
	}
	return total
}

// lastOf returns, of the given nodes, the one placed last in the graph.
func (s *scope) lastOf(ns ...*graph.Node) *graph.Node {
	var last *graph.Node
	best := -1
	for _, n := range ns {
		if p, ok := s.pos[n]; ok && p > best {
			best, last = p, n
		}
	}
	return last
}

// addInitializer stores t as a new initializer of s's graph under a fresh
// name derived from base.
func (c *ctx) addInitializer(s *scope, base string, t *tensor.Tensor) string {
	name := c.fresh(base)
	if s.g.Initializers == nil {
		s.g.Initializers = map[string]*tensor.Tensor{}
	}
	consistent := len(s.g.InitializerOrder) == len(s.g.Initializers)
	s.g.Initializers[name] = t
	if consistent {
		s.g.InitializerOrder = append(s.g.InitializerOrder, name)
	}
	return name
}

// copyAttrs returns a new attribute map with n's attributes (the
// attributes themselves are shared: they are never modified).
func copyAttrs(n *graph.Node) map[string]*graph.Attribute {
	m := make(map[string]*graph.Attribute, len(n.Attrs)+2)
	for k, a := range n.Attrs {
		m[k] = a
	}
	return m
}
