package ops

import (
	"fmt"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Attribute getters. Each returns the default when the attribute is absent
// and an error when it is present with the wrong type, so builders can give
// users a precise message at load time.

// AttrInt reads an int attribute.
func (n *Node) AttrInt(name string, def int64) (int64, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrInt {
		return 0, n.attrTypeErr(a, "int")
	}
	return a.I, nil
}

// AttrFloat reads a float attribute.
func (n *Node) AttrFloat(name string, def float32) (float32, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrFloat {
		return 0, n.attrTypeErr(a, "float")
	}
	return a.F, nil
}

// AttrString reads a string attribute.
func (n *Node) AttrString(name string, def string) (string, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrString {
		return "", n.attrTypeErr(a, "string")
	}
	return string(a.S), nil
}

// AttrInts reads an ints attribute; absent gives def (which may be nil).
func (n *Node) AttrInts(name string, def []int64) ([]int64, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrInts {
		return nil, n.attrTypeErr(a, "ints")
	}
	return a.Ints, nil
}

// AttrFloats reads a floats attribute.
func (n *Node) AttrFloats(name string, def []float32) ([]float32, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrFloats {
		return nil, n.attrTypeErr(a, "floats")
	}
	return a.Floats, nil
}

// AttrStrings reads a strings attribute.
func (n *Node) AttrStrings(name string, def []string) ([]string, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return def, nil
	}
	if a.Type != graph.AttrStrings {
		return nil, n.attrTypeErr(a, "strings")
	}
	out := make([]string, len(a.Strings))
	for i, s := range a.Strings {
		out[i] = string(s)
	}
	return out, nil
}

// AttrTensor reads a tensor attribute (nil when absent).
func (n *Node) AttrTensor(name string) (*tensor.Tensor, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return nil, nil
	}
	if a.Type != graph.AttrTensor {
		return nil, n.attrTypeErr(a, "tensor")
	}
	return a.T, nil
}

// AttrGraph reads a graph attribute (nil when absent).
func (n *Node) AttrGraph(name string) (*graph.Graph, error) {
	a, ok := n.Attrs[name]
	if !ok {
		return nil, nil
	}
	if a.Type != graph.AttrGraph {
		return nil, n.attrTypeErr(a, "graph")
	}
	return a.G, nil
}

// HasAttr reports whether the attribute is set.
func (n *Node) HasAttr(name string) bool {
	_, ok := n.Attrs[name]
	return ok
}

func (n *Node) attrTypeErr(a *graph.Attribute, want string) error {
	return fmt.Errorf("attribute %q: want %s, got attribute type %d", a.Name, want, a.Type)
}

// Errorf formats an error about this node's configuration; the engine adds
// the node's name and op when it reports it.
func (n *Node) Errorf(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
