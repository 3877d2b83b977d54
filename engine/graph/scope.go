package graph

// MaxDepth bounds how deeply subgraphs may nest; deeper models are rejected
// (a hostile file could otherwise recurse without end).
const MaxDepth = 64

// Subgraphs lists the graphs held in n's attributes (If branches, Loop and
// Scan bodies).
func (n *Node) Subgraphs() []*Graph {
	var out []*Graph
	for _, a := range n.Attrs {
		if a == nil {
			continue
		}
		if a.G != nil {
			out = append(out, a.G)
		}
		for _, g := range a.Graphs {
			if g != nil {
				out = append(out, g)
			}
		}
	}
	return out
}

// OuterNames lists, once each, the values n's subgraphs read from enclosing
// scopes: names used inside that the subgraphs do not define themselves.
func (n *Node) OuterNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range n.Subgraphs() {
		for _, name := range g.FreeNames() {
			if !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	return out
}

// FreeNames lists the values g (and graphs nested in it) reads but does not
// define: its inputs, initializers and node outputs are defined. Nesting
// beyond MaxDepth is not followed.
func (g *Graph) FreeNames() []string { return g.freeNames(0) }

func (g *Graph) freeNames(depth int) []string {
	if depth > MaxDepth {
		return nil
	}
	defined := map[string]bool{"": true}
	for _, in := range g.Inputs {
		defined[in.Name] = true
	}
	for k := range g.Initializers {
		defined[k] = true
	}
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			defined[o] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	use := func(name string) {
		if !defined[name] && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			use(in)
		}
		for _, sub := range n.Subgraphs() {
			for _, name := range sub.freeNames(depth + 1) {
				use(name)
			}
		}
	}
	for _, o := range g.Outputs {
		use(o.Name)
	}
	return out
}
