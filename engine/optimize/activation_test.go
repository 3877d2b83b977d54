package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
)

// convModel starts a graph with c = Conv(x, W, B), 2 channels 3×3.
func convModel() *builder {
	b := newBuilder(17).in("x", 1, 2, 3, 3)
	b.init("W", f32([]int{2, 2, 1, 1}, 1, -2, 0.5, 1))
	b.init("B", f32([]int{2}, 0.1, -0.2))
	b.node("Conv", ins("x", "W", "B"), ins("c"))
	return b
}

func TestActivation(t *testing.T) {
	act := func(op string, attrs ...*graph.Attribute) func() *graph.Model {
		return func() *graph.Model {
			b := convModel().out("y")
			b.node(op, ins("c"), ins("y"), attrs...)
			return b.m
		}
	}
	runPassCases(t, "activation", []passCase{
		{
			name:     "conv + relu",
			build:    act("Relu"),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=Relu"},
			rewrites: 1,
			check: func(t *testing.T, m *graph.Model) {
				if m.Opsets["gonyx"] != 1 {
					t.Errorf("opsets %v: want gonyx 1", m.Opsets)
				}
			},
		},
		{
			name:     "conv + leaky relu",
			build:    act("LeakyRelu", aFloat("alpha", 0.2)),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=LeakyRelu activation_params=[0.2]"},
			rewrites: 1,
		},
		{
			name:     "leaky relu default alpha",
			build:    act("LeakyRelu"),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=LeakyRelu activation_params=[0.01]"},
			rewrites: 1,
		},
		{
			name:     "conv + sigmoid",
			build:    act("Sigmoid"),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=Sigmoid"},
			rewrites: 1,
		},
		{
			name:     "conv + tanh",
			build:    act("Tanh"),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=Tanh"},
			rewrites: 1,
		},
		{
			name:     "conv + hard sigmoid",
			build:    act("HardSigmoid", aFloat("alpha", 0.25)),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=HardSigmoid activation_params=[0.25 0.5]"},
			rewrites: 1,
		},
		{
			name:     "conv + hard swish",
			build:    act("HardSwish"),
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=HardSwish"},
			rewrites: 1,
		},
		{
			name: "conv + clip with Constant bounds",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.constant("lo", scalar(0))
				b.constant("hi", scalar(6))
				b.node("Clip", ins("c", "lo", "hi"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=Clip activation_params=[0 6]"},
			rewrites: 1,
		},
		{
			name: "clip with only a max",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.init("hi", scalar(0.5))
				b.node("Clip", ins("c", "", "hi"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=Clip activation_params=[-Inf 0.5]"},
			rewrites: 1,
		},
		{
			name: "clip with a run-time bound stays",
			build: func() *graph.Model {
				b := convModel().inTyped("hi", ttype(1)).out("y")
				b.node("Clip", ins("c", "", "hi"), ins("y"))
				return b.m
			},
			want: []string{"Conv(x,W,B)->c", "Clip(c,,hi)->y"},
		},
		{
			name: "SiLU as x*Sigmoid(x)",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.node("Sigmoid", ins("c"), ins("s"))
				b.node("Mul", ins("c", "s"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=SiLU"},
			rewrites: 1,
		},
		{
			name: "SiLU as Sigmoid(x)*x",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.node("Sigmoid", ins("c"), ins("s"))
				b.node("Mul", ins("s", "c"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedConv(x,W,B)->y activation=SiLU"},
			rewrites: 1,
		},
		{
			name: "sigmoid read elsewhere is not SiLU",
			build: func() *graph.Model {
				b := convModel().out("y", "s")
				b.node("Sigmoid", ins("c"), ins("s"))
				b.node("Mul", ins("c", "s"), ins("y"))
				return b.m
			},
			want: []string{"Conv(x,W,B)->c", "Sigmoid(c)->s", "Mul(c,s)->y"},
		},
		{
			name: "residual add then relu",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.node("Sigmoid", ins("x"), ins("z"))
				b.node("Add", ins("z", "c"), ins("a"))
				b.node("Relu", ins("a"), ins("y"))
				return b.m
			},
			want:     []string{"Sigmoid(x)->z", "gonyx.FusedConv(x,W,B,z)->y activation=Relu"},
			rewrites: 1,
		},
		{
			name: "residual add without activation, Z computed after the conv",
			build: func() *graph.Model {
				b := newBuilder(17).in("x", 1, 2, 3, 3).out("y")
				b.init("W", f32([]int{2, 2, 1, 1}, 1, -2, 0.5, 1))
				b.node("Conv", ins("x", "W"), ins("c"))
				b.node("Neg", ins("x"), ins("z"))
				b.node("Add", ins("c", "z"), ins("y"))
				return b.m
			},
			want:     []string{"Neg(x)->z", "gonyx.FusedConv(x,W,,z)->y"},
			rewrites: 1,
		},
		{
			name: "add of the conv output to itself stays",
			build: func() *graph.Model {
				b := convModel().out("y")
				b.node("Add", ins("c", "c"), ins("y"))
				return b.m
			},
			want: []string{"Conv(x,W,B)->c", "Add(c,c)->y"},
		},
		{
			name: "conv output read twice stays",
			build: func() *graph.Model {
				b := convModel().out("y", "z")
				b.node("Relu", ins("c"), ins("y"))
				b.node("Neg", ins("c"), ins("z"))
				return b.m
			},
			want: []string{"Conv(x,W,B)->c", "Relu(c)->y", "Neg(c)->z"},
		},
		{
			name: "conv output that is a graph output stays",
			build: func() *graph.Model {
				b := convModel().out("y", "c")
				b.node("Relu", ins("c"), ins("y"))
				return b.m
			},
			want: []string{"Conv(x,W,B)->c", "Relu(c)->y"},
		},
		{
			name:  "no gonyx kernels: stays",
			build: act("Relu"),
			has:   onlyONNX,
			want:  []string{"Conv(x,W,B)->c", "Relu(c)->y"},
		},
		{
			name: "gemm + tanh",
			build: func() *graph.Model {
				b := newBuilder(17).in("a", 2, 4).out("y")
				b.init("B", f32([]int{3, 4}, 1, 0, -1, 2, 0.5, 0.5, 0, 1, -2, 1, 1, 0))
				b.init("C", f32([]int{3}, 0.1, 0.2, 0.3))
				b.node("Gemm", ins("a", "B", "C"), ins("g"), aInt("transB", 1))
				b.node("Tanh", ins("g"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedGemm(a,B,C)->y activation=Tanh transB=1"},
			rewrites: 1,
		},
		{
			name: "matmul + relu",
			build: func() *graph.Model {
				b := newBuilder(17).in("a", 2, 5, 4).out("y")
				b.init("B", f32([]int{4, 2}, 1, 0, -1, 2, 0.5, 0.5, 0, 1))
				b.node("MatMul", ins("a", "B"), ins("m"))
				b.node("Relu", ins("m"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedMatMul(a,B)->y activation=Relu"},
			rewrites: 1,
		},
		{
			name: "matmul of two run-time float inputs + relu",
			build: func() *graph.Model {
				b := newBuilder(17).in("a", 2, 4).in("b", 4, 3).out("y")
				b.node("MatMul", ins("a", "b"), ins("m"))
				b.node("Relu", ins("m"), ins("y"))
				return b.m
			},
			want:     []string{"gonyx.FusedMatMul(a,b)->y activation=Relu"},
			rewrites: 1,
		},
		{
			name: "matmul of inputs of unknown type stays",
			build: func() *graph.Model {
				b := newBuilder(17).in("a", 2, 4).in("b", 4, 3).out("y")
				b.g.Inputs[0].Type, b.g.Inputs[1].Type = nil, nil
				b.node("MatMul", ins("a", "b"), ins("m"))
				b.node("Relu", ins("m"), ins("y"))
				return b.m
			},
			want:  []string{"MatMul(a,b)->m", "Relu(m)->y"},
			noRun: true, // no types to make inputs from; nothing changed anyway
		},
	})
}

// TestActivationAfterBias runs all passes: MatMul + Add + Relu becomes one
// FusedMatMul with bias and activation.
func TestActivationAfterBias(t *testing.T) {
	build := func() *graph.Model {
		m := matmulAddModel(ttype(1, 2, 5, 4), []int{3})
		b := &builder{m: m, g: m.Graph}
		m.Graph.Nodes[1].Outputs = []string{"s"}
		b.node("Relu", ins("s"), ins("y"))
		return m
	}
	m := build()
	rep, err := optimizeAll(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gonyx.FusedMatMul(a,B,bias)->y activation=Relu"}
	if got := describe(m.Graph); !sameLines(got, want) {
		t.Errorf("nodes %v, want %v", got, want)
	}
	if rep.Rewrites() != 2 {
		t.Errorf("report:\n%s", rep)
	}
	sameResults(t, build(), m)
}
