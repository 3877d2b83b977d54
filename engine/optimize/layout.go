package optimize

import (
	"github.com/gonyx/gonyx/engine/graph"
)

// layoutPass runs the CNN part of the main graph in the channel-blocked
// layout NCHW16c (see ops/nchwc): 2-D Conv/FusedConv with constant weights
// become gonyx.NchwcConv, and the pools, elementwise ops and Concats
// between them read and write blocked values directly. Values cross
// between the layouts through gonyx.ReorderInput (NCHW → blocked, one per
// value) and gonyx.ReorderOutput (blocked → NCHW under the value's
// original name, right after its producer), so readers left in NCHW, graph
// outputs and subgraphs see exactly the values they saw before.
//
// Only the main graph is rewritten: a subgraph's convolutions would pay
// their reorders on every iteration, and the value names it reads from the
// main graph must keep their NCHW meaning.
func layoutPass(c *ctx, s *scope) int {
	if s.parent != nil || !c.canGonyx("NchwcConv") || !c.canGonyx("ReorderInput") ||
		!c.canGonyx("ReorderOutput") || !topological(s) {
		return 0
	}
	p := planLayout(c, s)
	// One isolated conv would pay two reorders for nothing.
	if p.convs < minLayoutConvs {
		return 0
	}
	p.emit(c, s)
	s.reindex()
	return len(p.conv) + foldChannelScales(s)
}

// minLayoutConvs is the number of convertible convolutions a graph needs
// before the pass rewrites it.
const minLayoutConvs = 2

// blockedSuffix marks the names of blocked values.
const blockedSuffix = "#nchwc"

// topological reports whether every node input defined in s's graph is
// produced by an earlier node (the pass walks nodes in order and relies on
// it; files are ordered so by the ONNX spec, but the executor does not
// require it).
func topological(s *scope) bool {
	seen := map[string]bool{}
	for _, n := range s.g.Nodes {
		for _, in := range append(append([]string(nil), n.Inputs...), freeNames(n)...) {
			if in != "" && s.producer[in] != nil && !seen[in] {
				return false
			}
		}
		for _, o := range n.Outputs {
			seen[o] = true
		}
	}
	return true
}

// conversion is how one node is rewritten for blocked values.
type conversion struct {
	node *graph.Node // the rewritten node (inputs still the original names)
	// blocked marks the input slots that read a blocked value; a slot
	// whose value is NCHW gets it through a ReorderInput.
	blocked []bool
	// reorderChannels is, per blocked slot, the channel count a
	// ReorderInput checks (0: not known).
	reorderChannels []int
	channels        int // of the (first) output
	isConv          bool
	// nchwInput: a first-layer conv reading its NCHW input directly
	// (NchwcConv input_layout "nchw").
	nchwInput bool
}

// layoutPlan is the set of nodes to convert, decided in graph order.
type layoutPlan struct {
	conv map[*graph.Node]*conversion
	// channels of every blocked value, by original name.
	channels map[string]int
	convs    int
	// keepNCHW lists first-layer convs (few input channels, NCHW input)
	// that stay as they are: nothing blocked reads their output.
	keepNCHW map[*graph.Node]bool
}

// planLayout plans the rewrite. A first-layer conv (dense, fewer than
// minDenseChannels inputs read from an NCHW value) converts, reading that
// value as it is, when some node reading its output converts too. Whether
// one does depends on the conv's own conversion (a MaxPool after it
// converts only if its input is blocked), so the plan is made with every
// first layer converted, and redone without those whose output no
// converted node reads until none is left.
func planLayout(c *ctx, s *scope) *layoutPlan {
	keep := map[*graph.Node]bool{}
	for {
		p := planWith(c, s, keep)
		done := true
		for n, cv := range p.conv {
			if cv.nchwInput && !p.readBlocked(s, n.Outputs[0]) {
				keep[n], done = true, false
			}
		}
		if done {
			return p
		}
	}
}

// readBlocked reports whether a converted node reads value v.
func (p *layoutPlan) readBlocked(s *scope, v string) bool {
	for _, u := range s.uses[v] {
		if p.conv[u] != nil {
			return true
		}
	}
	return false
}

func planWith(c *ctx, s *scope, keepNCHW map[*graph.Node]bool) *layoutPlan {
	p := &layoutPlan{conv: map[*graph.Node]*conversion{}, channels: map[string]int{}, keepNCHW: keepNCHW}
	for _, n := range s.g.Nodes {
		cv := convertible(c, s, p, n)
		if cv == nil {
			continue
		}
		p.conv[n] = cv
		p.channels[n.Outputs[0]] = cv.channels
		if cv.isConv {
			p.convs++
		}
	}
	return p
}

// needsNCHW reports whether a blocked value is also read in NCHW: by a
// node left unconverted, a subgraph, or as a graph output.
func (p *layoutPlan) needsNCHW(s *scope, v string) bool {
	if s.isOutput[v] || len(s.subUses[v]) > 0 {
		return true
	}
	for _, u := range s.uses[v] {
		if p.conv[u] == nil {
			return true
		}
	}
	return false
}

// emit rewrites s's node list from the plan.
func (p *layoutPlan) emit(c *ctx, s *scope) {
	blockedName := map[string]string{} // original name → blocked name
	reordered := map[string]string{}   // NCHW name → its ReorderInput's output
	var out []*graph.Node
	for _, n := range s.g.Nodes {
		cv := p.conv[n]
		if cv == nil {
			out = append(out, n)
			continue
		}
		nd := cv.node
		for i, in := range nd.Inputs {
			if in == "" || i >= len(cv.blocked) || !cv.blocked[i] {
				continue
			}
			if b, ok := blockedName[in]; ok {
				nd.Inputs[i] = b
				continue
			}
			b, ok := reordered[in]
			if !ok {
				b = c.fresh(in + blockedSuffix)
				reordered[in] = b
				var attrs map[string]*graph.Attribute
				if ch := cv.reorderChannels[i]; ch > 0 {
					attrs = map[string]*graph.Attribute{"channels": intAttribute("channels", ch)}
				}
				out = append(out, c.gonyxNode("ReorderInput:"+in, "ReorderInput", []string{in}, []string{b}, attrs))
			}
			nd.Inputs[i] = b
		}
		orig := n.Outputs[0]
		b := c.fresh(orig + blockedSuffix)
		blockedName[orig] = b
		nd.Outputs[0] = b
		out = append(out, nd)
		if p.needsNCHW(s, orig) {
			attrs := map[string]*graph.Attribute{"channels": intAttribute("channels", cv.channels)}
			out = append(out, c.gonyxNode("ReorderOutput:"+orig, "ReorderOutput", []string{b}, []string{orig}, attrs))
		}
	}
	s.g.Nodes = out
}

func intAttribute(name string, v int) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInt, I: int64(v)}
}
