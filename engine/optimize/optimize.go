// Package optimize rewrites a decoded model's graphs before the executor
// compiles them: it drops dead nodes, Identity and inference Dropout, folds
// BatchNormalization and bias Adds into Conv weights, turns MatMul+Add into
// Gemm or gonyx.FusedMatMul, fuses activations (and residual Adds) into the
// producing Conv/Gemm/MatMul, and recognises LayerNorm and GELU written out
// as elementary ops.
//
// Every pass preserves the model's results (up to float rounding of folded
// weights) and its interface: graph input and output names never change.
// Fused nodes live in the "gonyx" domain (kernels in ops/fused), which this
// package imports so that they are registered whenever it is used.
package optimize

import (
	"fmt"
	"strings"

	"github.com/gonyx/gonyx/engine/graph"
	_ "github.com/gonyx/gonyx/ops/fused" // the gonyx-domain kernels the passes emit
)

// GonyxDomain is the operator-set domain of fused nodes.
const GonyxDomain = "gonyx"

// gonyxVersion is the opset version of GonyxDomain the passes emit.
const gonyxVersion = 1

// PassStat describes one pass over the whole model (subgraphs included).
type PassStat struct {
	Name        string
	NodesBefore int
	NodesAfter  int
	// Rewrites counts the pattern instances the pass rewrote.
	Rewrites int
}

// Report lists what each pass did, in order.
type Report struct {
	Passes []PassStat
}

// String formats the report as a small table.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %7s %7s %8s\n", "pass", "before", "after", "rewrites")
	for _, p := range r.Passes {
		fmt.Fprintf(&b, "%-12s %7d %7d %8d\n", p.Name, p.NodesBefore, p.NodesAfter, p.Rewrites)
	}
	return b.String()
}

// Rewrites is the total number of rewrites.
func (r Report) Rewrites() int {
	n := 0
	for _, p := range r.Passes {
		n += p.Rewrites
	}
	return n
}

// A pass rewrites one graph (the scope's) and returns its rewrite count.
type pass struct {
	name string
	run  func(c *ctx, s *scope) int
}

// passes run in this order; each pass visits the main graph, then the
// subgraphs of the nodes that remain.
var passes = []pass{
	{"dead-code", deadCode},
	{"conv-bn", convBN},
	{"bias", biasFusion},
	{"activation", activationFusion},
	{"pattern", patternFusion},
	{"gelu-fold", geluFold},
	{"attention", attentionFusion},
	{"layout", layoutPass},
}

// Optimize rewrites m.Graph (and subgraphs) in place; has(domain, op,
// opset) reports whether a kernel exists. Nodes the passes create are only
// emitted when has says their kernel exists. When fused nodes are emitted,
// m.Opsets gains "gonyx": 1.
//
// Optimize never modifies tensor data: folded weights are new initializers.
// It returns an error (and may leave the graph partly rewritten, still
// equivalent) only on an internal failure.
func Optimize(m *graph.Model, has func(domain, op string, opset int) bool) (rep Report, err error) {
	if m == nil || m.Graph == nil {
		return rep, nil
	}
	if has == nil {
		has = func(string, string, int) bool { return false }
	}
	var c *ctx
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("optimize: internal error: %v", r)
		}
		// Even after a failure the graph stays consistent: the domain of
		// any fused node already emitted is imported.
		if c != nil && c.emittedGonyx {
			if m.Opsets == nil {
				m.Opsets = map[string]int{}
			}
			m.Opsets[GonyxDomain] = gonyxVersion
		}
	}()
	c = newCtx(m, has)
	// A model-local function in the default domain could redefine an
	// operator the passes match by name: leave such models alone.
	skip := false
	for _, f := range m.Functions {
		skip = skip || f == nil || f.Domain == "" || f.Domain == "ai.onnx"
	}
	for _, p := range passes {
		st := PassStat{Name: p.name, NodesBefore: CountNodes(m.Graph)}
		if !skip {
			st.Rewrites = c.runPass(p, m.Graph, nil, 0)
		}
		st.NodesAfter = CountNodes(m.Graph)
		rep.Passes = append(rep.Passes, st)
	}
	return rep, nil
}

// maxDepth bounds subgraph nesting (hostile models).
const maxDepth = 64

// runPass applies p to g, then to the subgraphs of g's nodes.
func (c *ctx) runPass(p pass, g *graph.Graph, parent *scope, depth int) int {
	if g == nil || depth > maxDepth || !wellFormed(g) {
		// A malformed graph is left as it is, for the executor to report.
		return 0
	}
	s := newScope(g, parent)
	n := p.run(c, s)
	if n > 0 {
		// Drop what the rewrites orphaned (Constant bounds, old weights).
		sweep(s)
	}
	for _, nd := range g.Nodes {
		for _, sub := range subgraphs(nd) {
			n += c.runPass(p, sub, s, depth+1)
		}
	}
	return n
}

// CountNodes counts the nodes of g and of its subgraphs.
func CountNodes(g *graph.Graph) int {
	return countNodes(g, 0)
}

func countNodes(g *graph.Graph, depth int) int {
	if g == nil || depth > maxDepth {
		return 0
	}
	n := len(g.Nodes)
	for _, nd := range g.Nodes {
		for _, sub := range subgraphs(nd) {
			n += countNodes(sub, depth+1)
		}
	}
	return n
}

// ctx is the state shared by the passes over one model.
type ctx struct {
	model        *graph.Model
	has          func(domain, op string, opset int) bool
	onnxOpset    int
	gonyxOK      bool // the model does not import another version of "gonyx"
	emittedGonyx bool
	names        map[string]bool // every value name in the model
}

func newCtx(m *graph.Model, has func(string, string, int) bool) *ctx {
	c := &ctx{model: m, has: has, names: map[string]bool{}}
	c.onnxOpset = m.Opsets[""]
	if v, ok := m.Opsets["ai.onnx"]; ok && c.onnxOpset == 0 {
		c.onnxOpset = v
	}
	v, ok := m.Opsets[GonyxDomain]
	c.gonyxOK = !ok || v == gonyxVersion
	collectNames(m.Graph, c.names, 0)
	return c
}

// canGonyx reports whether a gonyx-domain op may be emitted.
func (c *ctx) canGonyx(op string) bool {
	return c.gonyxOK && c.has(GonyxDomain, op, gonyxVersion)
}

// canONNX reports whether an ai.onnx op may be emitted at the model's opset.
func (c *ctx) canONNX(op string) bool {
	return c.onnxOpset > 0 && c.has("", op, c.onnxOpset)
}

// gonyxNode makes a node in the gonyx domain and records that the model
// now needs the domain.
func (c *ctx) gonyxNode(name, op string, inputs, outputs []string, attrs map[string]*graph.Attribute) *graph.Node {
	c.emittedGonyx = true
	if attrs == nil {
		attrs = map[string]*graph.Attribute{}
	}
	return &graph.Node{Name: name, OpType: op, Domain: GonyxDomain, Inputs: inputs, Outputs: outputs, Attrs: attrs}
}

// fresh returns an unused value name derived from base and reserves it.
func (c *ctx) fresh(base string) string {
	name := base
	for i := 1; c.names[name] || name == ""; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	c.names[name] = true
	return name
}

func collectNames(g *graph.Graph, names map[string]bool, depth int) {
	if g == nil || depth > maxDepth {
		return
	}
	for _, v := range g.Inputs {
		names[v.Name] = true
	}
	for _, v := range g.Outputs {
		names[v.Name] = true
	}
	for _, v := range g.ValueInfo {
		names[v.Name] = true
	}
	for k := range g.Initializers {
		names[k] = true
	}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			names[v] = true
		}
		for _, v := range n.Outputs {
			names[v] = true
		}
		for _, sub := range subgraphs(n) {
			collectNames(sub, names, depth+1)
		}
	}
}
