package graph

import (
	"reflect"
	"testing"
)

func TestFreeNames(t *testing.T) {
	// body(i) = Add(i, outer1) → t; nested If reads outer2 and t.
	inner := &Graph{
		Nodes:   []*Node{{OpType: "Mul", Inputs: []string{"t", "outer2"}, Outputs: []string{"u"}}},
		Outputs: []ValueInfo{{Name: "u"}},
	}
	body := &Graph{
		Inputs: []ValueInfo{{Name: "i"}},
		Nodes: []*Node{
			{OpType: "Add", Inputs: []string{"i", "outer1"}, Outputs: []string{"t"}},
			{OpType: "If", Inputs: []string{"cond"}, Outputs: []string{"r"},
				Attrs: map[string]*Attribute{"then_branch": {Name: "then_branch", Type: AttrGraph, G: inner}}},
		},
		Outputs: []ValueInfo{{Name: "r"}},
	}
	if got, want := body.FreeNames(), []string{"outer1", "cond", "outer2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("FreeNames = %v, want %v", got, want)
	}
	loop := &Node{OpType: "Loop", Attrs: map[string]*Attribute{"body": {Name: "body", Type: AttrGraph, G: body}}}
	if got := loop.OuterNames(); len(got) != 3 {
		t.Errorf("OuterNames = %v", got)
	}
}
