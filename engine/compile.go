package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

// A plan is a graph compiled for execution: every value name is given a slot
// in a frame, every node a built kernel, and the nodes are put in a
// topological order once.
type plan struct {
	graph  *graph.Graph
	parent *plan
	nslots int
	nargs  int // total input count over all steps
	slotOf map[string]int
	// consts pre-fill frames: initializers and folded constants.
	consts  []constSlot
	inputs  []inputSlot
	outputs []int
	steps   []*step
	// captures copy outer-scope values into this plan's frame when it starts.
	captures []capture
	// release[i] lists slots whose last reader is step i: they are dropped
	// after it runs so the garbage collector can reuse their memory.
	release [][]int
	// Shape-chain memo (main plan only, see memo.go): static[i] marks steps
	// whose outputs depend only on input shapes and constants, probe[i] the
	// Shape/Size steps among them.
	static, probe []bool
	staticSlots   []int
	memo          *memoCache
}

type constSlot struct {
	slot int
	val  tensor.Value
}

type inputSlot struct {
	info       graph.ValueInfo
	slot       int
	hasDefault bool // an initializer gives a default value
}

type capture struct {
	up    int // how many frames up the value lives
	slot  int // slot in that frame
	local int // slot in this frame
}

type step struct {
	node   *graph.Node
	opset  int
	kernel ops.Kernel
	in     []int // -1 for an absent optional input
	out    []int // -1 for an unused optional output
}

func (s *step) describe() string {
	d := s.node.Domain
	if d == "" {
		d = ops.DomainONNX
	}
	name := s.node.Name
	if name == "" && len(s.node.Outputs) > 0 {
		name = "→" + s.node.Outputs[0]
	}
	return fmt.Sprintf("node %q (%s, %s opset %d)", name, s.node.OpType, d, s.opset)
}

type compiler struct {
	model *graph.Model
	opts  Options
	depth int
	file  *modelFile // the mapped file weights alias (nil: nothing to release)
}

// maxGraphDepth bounds nesting of subgraphs (and of inlined functions).
const maxGraphDepth = graph.MaxDepth

func (c *compiler) compileMain(g *graph.Graph) (*plan, error) {
	return c.compile(g, nil, c.model.Opsets)
}

// compile builds a plan for g. parent is the enclosing plan for subgraphs.
func (c *compiler) compile(g *graph.Graph, parent *plan, opsets map[string]int) (*plan, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxGraphDepth {
		return nil, fmt.Errorf("%w: subgraphs nested deeper than %d", ErrInvalidModel, maxGraphDepth)
	}
	nodes, err := inlineFunctions(g.Nodes, c.model.Functions, opsets)
	if err != nil {
		return nil, err
	}
	p := &plan{graph: g, parent: parent, slotOf: map[string]int{}}
	define := func(name string) (int, bool) {
		if s, ok := p.slotOf[name]; ok {
			return s, false
		}
		s := p.nslots
		p.nslots++
		p.slotOf[name] = s
		return s, true
	}
	constVal := map[int]tensor.Value{}

	// Graph inputs, then initializers (which may give inputs defaults).
	for _, in := range g.Inputs {
		if in.Name == "" {
			return nil, fmt.Errorf("%w: graph %q has an input with no name", ErrInvalidModel, g.Name)
		}
		s, fresh := define(in.Name)
		if !fresh {
			return nil, fmt.Errorf("%w: graph input %q listed twice", ErrInvalidModel, in.Name)
		}
		_, hasInit := g.Initializers[in.Name]
		p.inputs = append(p.inputs, inputSlot{info: in, slot: s, hasDefault: hasInit})
	}
	for _, name := range initializerNames(g) {
		t := g.Initializers[name]
		s, fresh := define(name)
		p.consts = append(p.consts, constSlot{slot: s, val: t})
		if fresh {
			// Not overridable: a true constant the builders may rely on.
			constVal[s] = t
		}
	}

	// Node outputs.
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.Outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, fmt.Errorf("%w: value %q is produced by two nodes", ErrInvalidModel, o)
			}
			if _, isIn := p.slotOf[o]; isIn {
				return nil, fmt.Errorf("%w: node output %q shadows a graph input or initializer", ErrInvalidModel, o)
			}
			producer[o] = i
			define(o)
		}
	}

	order, err := topoOrder(nodes, producer, p)
	if err != nil {
		return nil, err
	}

	// Resolve names not defined here against enclosing graphs.
	resolve := func(name string) (int, error) {
		if s, ok := p.slotOf[name]; ok {
			return s, nil
		}
		up := 1
		for q := parent; q != nil; q = q.parent {
			if s, ok := q.slotOf[name]; ok {
				local, _ := define(name)
				p.captures = append(p.captures, capture{up: up, slot: s, local: local})
				if v := q.constOf(s); v != nil {
					constVal[local] = v
				}
				return local, nil
			}
			up++
		}
		return 0, fmt.Errorf("%w: value %q is used but never defined", ErrInvalidModel, name)
	}

	// Weight release: an initializer whose every reader consumed it (packed
	// it into its own layout) gives its pages back as soon as the last reader
	// is built, which keeps the load's peak memory near one copy.
	readersLeft := map[string]int{}
	pinned := map[string]bool{}
	for _, i := range order {
		for _, name := range nodes[i].Inputs {
			readersLeft[name]++
		}
		for _, name := range freeNames(nodes[i].Node) {
			pinned[name] = true
		}
	}
	for _, o := range g.Outputs {
		pinned[o.Name] = true
	}
	// Only the main graph releases: a body's readers include captures of
	// outer values that this count cannot see.
	releasing := parent == nil && c.file != nil

	for _, i := range order {
		n := nodes[i]
		st := &step{node: n.Node, opset: n.opset}
		st.in = make([]int, len(n.Inputs))
		for j, name := range n.Inputs {
			if name == "" {
				st.in[j] = -1
				continue
			}
			s, err := resolve(name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", st.describe(), err)
			}
			st.in[j] = s
		}
		st.out = make([]int, len(n.Outputs))
		for j, name := range n.Outputs {
			st.out[j] = -1
			if name != "" {
				st.out[j] = p.slotOf[name]
			}
		}
		on := &ops.Node{Node: n.Node, Opset: st.opset, Consts: make([]*tensor.Tensor, len(st.in))}
		for j, s := range st.in {
			if s >= 0 {
				if t, ok := constVal[s].(*tensor.Tensor); ok {
					on.Consts[j] = t
				}
			}
		}
		on.CompileGraph = func(sub *graph.Graph) (ops.Subgraph, error) {
			sp, err := c.compile(sub, p, opsets)
			if err != nil {
				return nil, err
			}
			return &subgraph{plan: sp}, nil
		}
		// Names a node's subgraphs read from this scope must resolve now,
		// while the node is being compiled (they become captures of the body).
		for _, name := range freeNames(n.Node) {
			if _, err := resolve(name); err != nil {
				return nil, fmt.Errorf("%s: subgraph: %w", st.describe(), err)
			}
		}
		b, ok := ops.Lookup(n.Domain, n.OpType, st.opset)
		if !ok {
			return nil, fmt.Errorf("%w %s (domain %s, opset %d) at node %q", ErrUnsupportedOp, n.OpType,
				domainName(n.Domain), st.opset, n.Name)
		}
		k, err := b(on)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", st.describe(), err)
		}
		st.kernel = k
		for j, name := range n.Inputs {
			if name == "" {
				continue
			}
			if j >= len(on.Consumed) || !on.Consumed[j] {
				pinned[name] = true
			}
			readersLeft[name]--
			if releasing && readersLeft[name] == 0 && !pinned[name] && on.Consts[j] != nil {
				c.file.release(on.Consts[j])
			}
		}
		if !c.opts.DisableConstantFolding && foldable(n.Node, on) {
			vals, err := c.fold(st, constVal)
			if err == nil {
				for j, s := range st.out {
					if s >= 0 && j < len(vals) && vals[j] != nil {
						constVal[s] = vals[j]
						p.consts = append(p.consts, constSlot{slot: s, val: vals[j]})
					}
				}
				continue
			}
			// A failing constant node fails at run time with context.
		}
		p.steps = append(p.steps, st)
	}

	for _, o := range g.Outputs {
		s, err := resolve(o.Name)
		if err != nil {
			return nil, fmt.Errorf("graph output: %w", err)
		}
		p.outputs = append(p.outputs, s)
	}
	for _, st := range p.steps {
		p.nargs += len(st.in)
	}
	p.planRelease()
	if parent == nil && !c.opts.DisableConstantFolding {
		constSlots := map[int]bool{}
		for s := range constVal {
			constSlots[s] = true
		}
		p.markStatic(constSlots)
		p.memo = &memoCache{}
	}
	return p, nil
}

func domainName(d string) string {
	if d == "" {
		return ops.DomainONNX
	}
	return d
}

// initializerNames returns initializer names in file order when known.
func initializerNames(g *graph.Graph) []string {
	if len(g.InitializerOrder) == len(g.Initializers) {
		return g.InitializerOrder
	}
	names := make([]string, 0, len(g.Initializers))
	for k := range g.Initializers {
		names = append(names, k)
	}
	return names
}

func (p *plan) constOf(slot int) tensor.Value {
	for _, c := range p.consts {
		if c.slot == slot {
			return c.val
		}
	}
	return nil
}

// nondeterministic ops are never folded.
var nondeterministic = map[string]bool{
	"RandomNormal": true, "RandomUniform": true, "RandomNormalLike": true,
	"RandomUniformLike": true, "Multinomial": true, "Bernoulli": true,
}

// foldLimit bounds the size of a folded constant so folding cannot blow up
// memory (ConstantOfShape of a huge shape stays a run-time step).
const foldLimit = 1 << 22

func foldable(n *graph.Node, on *ops.Node) bool {
	if nondeterministic[n.OpType] {
		return false
	}
	if len(n.Subgraphs()) > 0 {
		return false
	}
	for j, name := range n.Inputs {
		if name != "" && on.Consts[j] == nil {
			return false
		}
	}
	return true
}

func (c *compiler) fold(st *step, consts map[int]tensor.Value) (outs []tensor.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	in := make([]tensor.Value, len(st.in))
	for j, s := range st.in {
		if s >= 0 {
			in[j] = consts[s]
		}
	}
	outs, err = st.kernel.Run(&ops.RunContext{Ctx: context.Background(), Threads: c.opts.Threads}, in)
	if err != nil {
		return nil, err
	}
	for _, o := range outs {
		if t, ok := o.(*tensor.Tensor); ok && t.Len() > foldLimit {
			return nil, fmt.Errorf("folded constant too large")
		}
	}
	return outs, nil
}

// topoOrder returns node indices in an order where every node runs after
// the producers of its inputs (including values its subgraphs read). Files
// are supposed to be sorted already; sorting anyway accepts the ones that
// are not and finds cycles.
func topoOrder(nodes []inlinedNode, producer map[string]int, p *plan) ([]int, error) {
	n := len(nodes)
	indeg := make([]int, n)
	users := make([][]int, n)
	for i, nd := range nodes {
		deps := map[int]bool{}
		add := func(name string) {
			if j, ok := producer[name]; ok && j != i {
				deps[j] = true
			}
		}
		for _, in := range nd.Inputs {
			add(in)
		}
		for _, name := range freeNames(nd.Node) {
			add(name)
		}
		for j := range deps {
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	order := make([]int, 0, n)
	// Kahn's algorithm with a queue seeded in file order keeps file order
	// for already-sorted graphs.
	queue := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	if len(order) != n {
		var stuck []string
		for i := 0; i < n && len(stuck) < 5; i++ {
			if indeg[i] > 0 {
				stuck = append(stuck, fmt.Sprintf("%q (%s)", nodes[i].Name, nodes[i].OpType))
			}
		}
		return nil, fmt.Errorf("%w: graph %q has a cycle through nodes %s", ErrInvalidModel, p.graph.Name, strings.Join(stuck, ", "))
	}
	return order, nil
}

// freeNames lists the values a node's subgraphs read from enclosing scopes.
func freeNames(n *graph.Node) []string { return n.OuterNames() }

// planRelease computes, for each step, the slots that nothing reads after
// it, so a run can drop them early.
func (p *plan) planRelease() {
	last := make([]int, p.nslots)
	for i := range last {
		last[i] = -1
	}
	for i, st := range p.steps {
		// A value nobody reads is dropped right after the step making it.
		for _, s := range st.out {
			if s >= 0 {
				last[s] = i
			}
		}
		for _, s := range st.in {
			if s >= 0 {
				last[s] = i
			}
		}
		for _, name := range freeNames(st.node) {
			if s, ok := p.slotOf[name]; ok {
				last[s] = i
			}
		}
	}
	keep := map[int]bool{}
	for _, s := range p.outputs {
		keep[s] = true
	}
	p.release = make([][]int, len(p.steps))
	for s, i := range last {
		if i >= 0 && !keep[s] {
			p.release[i] = append(p.release[i], s)
		}
	}
}
