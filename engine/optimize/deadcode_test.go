package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

func TestDeadCode(t *testing.T) {
	runPassCases(t, "dead-code", []passCase{
		{
			name: "identity chain inside the graph",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).out("y")
				b.node("Relu", ins("x"), ins("r"))
				b.node("Identity", ins("r"), ins("i1"))
				b.node("Identity", ins("i1"), ins("i2"))
				b.node("Sigmoid", ins("i2"), ins("y"))
				return b.m
			},
			want:     []string{"Relu(x)->r", "Sigmoid(r)->y"},
			rewrites: 2,
		},
		{
			name: "identity to a graph output renames the producer",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).out("y", "z")
				b.node("Relu", ins("x"), ins("r"))
				b.node("Identity", ins("r"), ins("y"))
				b.node("Sigmoid", ins("r"), ins("z"))
				return b.m
			},
			want:     []string{"Relu(x)->y", "Sigmoid(y)->z"},
			rewrites: 1,
		},
		{
			name: "identity from a graph input to an output stays",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).out("y")
				b.node("Identity", ins("x"), ins("y"))
				return b.m
			},
			want: []string{"Identity(x)->y"},
		},
		{
			name: "identity of an output that is also an output stays",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).out("r", "y")
				b.node("Relu", ins("x"), ins("r"))
				b.node("Identity", ins("r"), ins("y"))
				return b.m
			},
			want: []string{"Relu(x)->r", "Identity(r)->y"},
		},
		{
			name: "identity of an initializer: readers read the initializer",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 3).out("y")
				b.init("w", f32([]int{3}, 1, 2, 3))
				b.node("Identity", ins("w"), ins("w2"))
				b.node("Mul", ins("x", "w2"), ins("y"))
				return b.m
			},
			want:     []string{"Mul(x,w)->y"},
			rewrites: 1,
		},
		{
			name: "dead nodes and initializers go",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).out("y")
				b.init("unused", f32([]int{1}, 5))
				b.init("k", f32([]int{1}, 2))
				b.node("Mul", ins("x", "unused"), ins("dead1"))
				b.node("Relu", ins("dead1"), ins("dead2"))
				b.node("Mul", ins("x", "k"), ins("y"))
				return b.m
			},
			want:     []string{"Mul(x,k)->y"},
			rewrites: 2,
			check: func(t *testing.T, m *graph.Model) {
				if _, ok := m.Graph.Initializers["unused"]; ok {
					t.Error("unused initializer kept")
				}
				if len(m.Graph.InitializerOrder) != 1 || m.Graph.InitializerOrder[0] != "k" {
					t.Errorf("InitializerOrder = %v, want [k]", m.Graph.InitializerOrder)
				}
			},
		},
		{
			name: "inference dropout goes, with a false training_mode",
			build: func() *graph.Model {
				b := newBuilder(13).in("x", 2, 3).out("y")
				b.init("ratio", tensor.Scalar(float32(0.3)))
				b.init("train", tensor.Scalar(false))
				b.node("Dropout", ins("x", "ratio", "train"), ins("d", "mask"))
				b.node("Relu", ins("d"), ins("y"))
				return b.m
			},
			want:     []string{"Relu(x)->y"},
			rewrites: 1,
		},
		{
			name: "dropout whose mask is read stays",
			build: func() *graph.Model {
				b := newBuilder(13).in("x", 2, 3).out("y", "mask")
				b.node("Dropout", ins("x"), ins("d", "mask"))
				b.node("Relu", ins("d"), ins("y"))
				return b.m
			},
			want: []string{"Dropout(x)->d,mask", "Relu(d)->y"},
		},
		{
			name: "dropout with a run-time training_mode stays",
			build: func() *graph.Model {
				b := newBuilder(13).in("x", 2, 3).inTyped("train", ttype(tensor.Bool)).out("y")
				b.node("Dropout", ins("x", "", "train"), ins("d"))
				b.node("Relu", ins("d"), ins("y"))
				return b.m
			},
			want: []string{"Dropout(x,,train)->d", "Relu(d)->y"},
		},
		{
			name: "identity read by a subgraph stays; dead subgraph nodes go",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 2, 3).inTyped("c", ttype(tensor.Bool)).out("y")
				b.node("Relu", ins("x"), ins("r"))
				b.node("Identity", ins("r"), ins("i"))
				then := newBuilder(17).out("t")
				then.node("Neg", ins("i"), ins("t"))
				then.node("Abs", ins("i"), ins("deadInBranch"))
				els := newBuilder(17).out("e")
				els.node("Identity", ins("r"), ins("e"))
				b.node("If", ins("c"), ins("y"), aGraph("then_branch", then.g), aGraph("else_branch", els.g))
				return b.m
			},
			want:     []string{"Relu(x)->r", "Identity(r)->i", "If(c)->y else_branch=graph then_branch=graph"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				then := m.Graph.Nodes[2].Attrs["then_branch"].G
				if got := describe(then); !sameLines(got, []string{"Neg(i)->t"}) {
					t.Errorf("then branch: %v", got)
				}
				els := m.Graph.Nodes[2].Attrs["else_branch"].G
				if got := describe(els); !sameLines(got, []string{"Identity(r)->e"}) {
					t.Errorf("else branch: %v", got)
				}
			},
		},
	})
}
