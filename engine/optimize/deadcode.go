package optimize

import (
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// deadCode removes Identity and inference Dropout nodes (their readers read
// the input instead), then every node whose outputs nothing reads, and
// initializers nothing reads. Graph output names never change: when a
// removed node's output is a graph output, the producer of its input is
// renamed instead, or the node is kept.
func deadCode(c *ctx, s *scope) int {
	n := removePassThrough(c, s)
	return n + sweep(s)
}

// passThrough returns the input a node forwards unchanged, when the node is
// an Identity or a Dropout in inference form whose mask nobody reads.
func passThrough(c *ctx, s *scope, n *graph.Node) (string, bool) {
	if len(n.Inputs) == 0 || n.Inputs[0] == "" || len(n.Outputs) == 0 || n.Outputs[0] == "" {
		return "", false
	}
	if len(subgraphs(n)) > 0 {
		return "", false
	}
	switch {
	case isOp(n, "Identity"):
		if len(n.Inputs) != 1 || len(n.Outputs) != 1 {
			return "", false
		}
	case isOp(n, "Dropout"):
		if len(n.Inputs) > 3 || len(n.Outputs) > 2 {
			return "", false
		}
		if len(n.Outputs) == 2 && n.Outputs[1] != "" && s.used(n.Outputs[1]) {
			return "", false // the mask is read
		}
		if c.onnxOpset >= 12 && len(n.Inputs) == 3 && n.Inputs[2] != "" {
			t := s.constant(n.Inputs[2])
			if t == nil || t.DType() != tensor.Bool || t.Len() != 1 || tensor.Data[bool](t)[0] {
				return "", false // training mode, or not known to be off
			}
		}
	default:
		return "", false
	}
	return n.Inputs[0], true
}

func removePassThrough(c *ctx, s *scope) int {
	removed := 0
	// First the nodes whose output is a graph output: the producer of the
	// input takes the output's name, one at a time (each renames values).
	for changed := true; changed; {
		changed = false
		for _, n := range s.g.Nodes {
			in, ok := passThrough(c, s, n)
			if !ok {
				continue
			}
			out := n.Outputs[0]
			if !s.isOutput[out] || len(s.subUses[out]) > 0 {
				continue
			}
			p := s.producer[in]
			if p == nil || p == n || s.isOutput[in] || len(s.subUses[in]) > 0 || s.isInput[in] {
				continue
			}
			if _, init := s.g.Initializers[in]; init {
				continue
			}
			// The Identity's other readers of `out` stay; every reader of
			// `in` (the Identity itself excepted) now reads `out`.
			for i, o := range p.Outputs {
				if o == in {
					p.Outputs = replaceAt(p.Outputs, i, out)
				}
			}
			for _, u := range s.uses[in] {
				if u != n {
					u.Inputs = renamed(u.Inputs, in, out)
				}
			}
			s.apply([]rewrite{{at: n}})
			removed++
			changed = true
			break
		}
	}
	// Then the others: readers of the output read the input instead.
	alias := map[string]string{}
	var drop []rewrite
	for _, n := range s.g.Nodes {
		in, ok := passThrough(c, s, n)
		if !ok {
			continue
		}
		out := n.Outputs[0]
		if s.isOutput[out] || len(s.subUses[out]) > 0 {
			continue
		}
		alias[out] = in
		drop = append(drop, rewrite{at: n})
	}
	if len(drop) == 0 {
		return removed
	}
	resolve := func(v string) string {
		for i := 0; i < len(alias)+1; i++ {
			a, ok := alias[v]
			if !ok {
				return v
			}
			v = a
		}
		return v // a cycle (malformed graph): leave it to the executor
	}
	for _, n := range s.g.Nodes {
		for i, v := range n.Inputs {
			if _, ok := alias[v]; ok {
				n.Inputs = replaceAt(n.Inputs, i, resolve(v))
			}
		}
	}
	s.apply(drop)
	return removed + len(drop)
}

// replaceAt returns a copy of vs with vs[i] = v (slices may be shared with
// the decoder, so they are never written in place).
func replaceAt(vs []string, i int, v string) []string {
	out := append([]string(nil), vs...)
	out[i] = v
	return out
}

// renamed returns vs with every from replaced by to.
func renamed(vs []string, from, to string) []string {
	out := append([]string(nil), vs...)
	for i, v := range out {
		if v == from {
			out[i] = to
		}
	}
	return out
}

// sweep removes nodes none of whose outputs is needed for the graph's
// outputs, and initializers nothing reads (unless they are graph inputs);
// it returns the number of nodes removed.
func sweep(s *scope) int {
	g := s.g
	live := map[string]bool{}
	var work []string
	mark := func(v string) {
		if v != "" && !live[v] {
			live[v] = true
			work = append(work, v)
		}
	}
	for _, o := range g.Outputs {
		mark(o.Name)
	}
	liveNode := map[*graph.Node]bool{}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		p := s.producer[v]
		if p == nil || liveNode[p] {
			continue
		}
		liveNode[p] = true
		for _, in := range p.Inputs {
			mark(in)
		}
		for _, name := range freeNames(p) {
			mark(name)
		}
	}
	var drop []rewrite
	for _, n := range g.Nodes {
		if !liveNode[n] {
			drop = append(drop, rewrite{at: n})
		}
	}
	for name := range g.Initializers {
		if !live[name] && !s.isInput[name] {
			delete(g.Initializers, name)
		}
	}
	if len(g.InitializerOrder) > 0 {
		order := g.InitializerOrder[:0:0]
		for _, name := range g.InitializerOrder {
			if _, ok := g.Initializers[name]; ok {
				order = append(order, name)
			}
		}
		g.InitializerOrder = order
	}
	if len(drop) > 0 {
		s.apply(drop)
	} else {
		s.reindex()
	}
	return len(drop)
}
