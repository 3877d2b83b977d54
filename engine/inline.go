package engine

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/graph"
)

// inlinedNode is a node ready to compile, with the opset version its domain
// has where it appears (a function body may import other versions than the
// model).
type inlinedNode struct {
	*graph.Node
	opset int
}

// inlineFunctions replaces calls to model-local functions by their bodies,
// renaming the body's internal values so they cannot clash with the caller's
// and substituting attribute references.
func inlineFunctions(nodes []*graph.Node, funcs []*graph.Function, opsets map[string]int) ([]inlinedNode, error) {
	byKey := map[string]*graph.Function{}
	for _, f := range funcs {
		byKey[f.Domain+"::"+f.Name] = f
	}
	var out []inlinedNode
	counter := 0
	var expand func(n *graph.Node, opsets map[string]int, depth int) error
	expand = func(n *graph.Node, opsets map[string]int, depth int) error {
		f, ok := byKey[n.Domain+"::"+n.OpType]
		if !ok {
			out = append(out, inlinedNode{Node: n, opset: opsetFor(opsets, n.Domain)})
			return nil
		}
		if depth > maxGraphDepth {
			return fmt.Errorf("%w: function %s calls itself too deeply", ErrInvalidModel, f.Name)
		}
		counter++
		prefix := fmt.Sprintf("%s__%d__", f.Name, counter)
		rename := map[string]string{"": ""}
		for i, formal := range f.Inputs {
			actual := ""
			if i < len(n.Inputs) {
				actual = n.Inputs[i]
			}
			rename[formal] = actual
		}
		for i, formal := range f.Outputs {
			actual := ""
			if i < len(n.Outputs) {
				actual = n.Outputs[i]
			}
			rename[formal] = actual
		}
		name := func(v string) string {
			if r, ok := rename[v]; ok {
				return r
			}
			return prefix + v
		}
		fopsets := opsets
		if len(f.Opsets) > 0 {
			fopsets = f.Opsets
		}
		for _, bn := range f.Nodes {
			c := &graph.Node{Name: prefix + bn.Name, OpType: bn.OpType, Domain: bn.Domain, Attrs: map[string]*graph.Attribute{}}
			for _, in := range bn.Inputs {
				c.Inputs = append(c.Inputs, name(in))
			}
			for _, o := range bn.Outputs {
				c.Outputs = append(c.Outputs, name(o))
			}
			for k, a := range bn.Attrs {
				if a.RefAttrName == "" {
					c.Attrs[k] = a
					continue
				}
				if v, ok := n.Attrs[a.RefAttrName]; ok {
					cp := *v
					cp.Name = k
					c.Attrs[k] = &cp
				} else if v, ok := f.AttributeDefaults[a.RefAttrName]; ok {
					cp := *v
					cp.Name = k
					c.Attrs[k] = &cp
				}
			}
			if err := expand(c, fopsets, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range nodes {
		if err := expand(n, opsets, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func opsetFor(opsets map[string]int, domain string) int {
	if v, ok := opsets[domain]; ok {
		return v
	}
	if domain == "ai.onnx" {
		return opsets[""]
	}
	if domain == "" {
		if v, ok := opsets["ai.onnx"]; ok {
			return v
		}
	}
	if domain == "" || domain == "ai.onnx" {
		return 1 // very old files import no opset: the first one applies
	}
	return 0
}
