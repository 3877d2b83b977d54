package optimize

import "github.com/gonyx/gonyx/engine/graph"

// RunPass runs the named pass alone (as Optimize would, subgraphs included)
// and returns its rewrite count; for tests of one pass.
func RunPass(m *graph.Model, has func(domain, op string, opset int) bool, name string) int {
	c := newCtx(m, has)
	for _, p := range passes {
		if p.name == name {
			n := c.runPass(p, m.Graph, nil, 0)
			if c.emittedGonyx {
				m.Opsets[GonyxDomain] = gonyxVersion
			}
			return n
		}
	}
	panic("no pass " + name)
}
