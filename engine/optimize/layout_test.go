package optimize_test

import (
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/optimize"
	"github.com/gonyx/gonyx/engine/tensor"
)

// weights is a deterministic pseudo-random float32 tensor.
func weights(seed int64, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	rng := rand.New(rand.NewSource(seed))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * 0.3)
	}
	return tensor.New(shape, v)
}

// convNet starts a graph on x [2, c, 8, 8].
func convNet(c int) *builder {
	return newBuilder(17).in("x", 2, c, 8, 8)
}

// conv adds a Conv of in (ic channels) to oc channels with a k×k kernel,
// "same" padding, weights W<out> and bias B<out>.
func (b *builder) conv(in, out string, ic, oc, k int, attrs ...*graph.Attribute) *graph.Node {
	b.init("W"+out, weights(int64(len(b.g.Nodes)+1), oc, ic, k, k))
	b.init("B"+out, weights(int64(len(b.g.Nodes)+100), oc))
	p := int64(k / 2)
	attrs = append([]*graph.Attribute{aInts("pads", p, p, p, p)}, attrs...)
	return b.node("Conv", ins(in, "W"+out, "B"+out), ins(out), attrs...)
}

func TestLayout(t *testing.T) {
	cases := layoutCases()
	for i := range cases {
		// Results are compared by TestLayoutCaseResults, at the blocked
		// kernels' tolerance.
		cases[i].noRun = true
	}
	runPassCases(t, "layout", cases)
}

func TestLayoutCaseResults(t *testing.T) {
	for _, tc := range layoutCases() {
		t.Run(tc.name, func(t *testing.T) { sameLayoutResults(t, tc.build, 0) })
	}
}

// layoutCases are the structural cases of the layout pass.
func layoutCases() []passCase {
	return []passCase{
		{
			name: "conv chain",
			build: func() *graph.Model {
				b := convNet(16).out("y")
				b.conv("x", "c1", 16, 24, 3)
				b.node("Relu", ins("c1"), ins("r1"))
				b.conv("r1", "y", 24, 40, 1)
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wc1,Bc1)->c1#nchwc pads=[1 1 1 1]",
				"Relu(c1#nchwc)->r1#nchwc",
				"gonyx.NchwcConv(r1#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=40",
			},
			rewrites: 3,
			check: func(t *testing.T, m *graph.Model) {
				if m.Opsets["gonyx"] != 1 {
					t.Errorf("opsets %v: want gonyx 1", m.Opsets)
				}
			},
		},
		{
			name: "rgb first layer reads NCHW",
			build: func() *graph.Model {
				b := convNet(3).out("y")
				b.conv("x", "c1", 3, 16, 3)
				b.conv("c1", "c2", 16, 16, 3)
				b.conv("c2", "y", 16, 8, 1)
				return b.m
			},
			want: []string{
				"gonyx.NchwcConv(x,Wc1,Bc1)->c1#nchwc input_layout=nchw pads=[1 1 1 1]",
				"gonyx.NchwcConv(c1#nchwc,Wc2,Bc2)->c2#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcConv(c2#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=8",
			},
			rewrites: 3,
		},
		{
			// The MaxPool converts only because the first layer does.
			name: "rgb first layer through relu and maxpool",
			build: func() *graph.Model {
				b := convNet(3).out("y")
				b.conv("x", "c1", 3, 16, 7, aInts("strides", 2, 2))
				b.node("Relu", ins("c1"), ins("r"))
				b.node("MaxPool", ins("r"), ins("mp"), aInts("kernel_shape", 3, 3), aInts("strides", 2, 2))
				b.conv("mp", "y", 16, 24, 1)
				return b.m
			},
			want: []string{
				"gonyx.NchwcConv(x,Wc1,Bc1)->c1#nchwc input_layout=nchw pads=[3 3 3 3] strides=[2 2]",
				"Relu(c1#nchwc)->r#nchwc",
				"gonyx.NchwcMaxPool(r#nchwc)->mp#nchwc kernel_shape=[3 3] strides=[2 2]",
				"gonyx.NchwcConv(mp#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=24",
			},
			rewrites: 4,
		},
		{
			name: "first layer read only in NCHW stays",
			build: func() *graph.Model {
				b := convNet(3).out("y")
				b.conv("x", "c1", 3, 16, 3)
				b.node("Softplus", ins("c1"), ins("s"))
				b.conv("s", "c2", 16, 16, 3)
				b.conv("c2", "y", 16, 8, 1)
				return b.m
			},
			want: []string{
				"Conv(x,Wc1,Bc1)->c1 pads=[1 1 1 1]",
				"Softplus(c1)->s",
				"gonyx.ReorderInput(s)->s#nchwc channels=16",
				"gonyx.NchwcConv(s#nchwc,Wc2,Bc2)->c2#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcConv(c2#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=8",
			},
			rewrites: 2,
		},
		{
			// Four outputs would be blocked as 16 channels, mostly padding.
			name: "first layer with few outputs stays",
			build: func() *graph.Model {
				b := convNet(3).out("y")
				b.conv("x", "c1", 3, 4, 3)
				b.conv("c1", "c2", 4, 16, 3)
				b.conv("c2", "y", 16, 8, 1)
				return b.m
			},
			want: []string{
				"Conv(x,Wc1,Bc1)->c1 pads=[1 1 1 1]",
				"gonyx.NchwcConv(c1,Wc2,Bc2)->c2#nchwc input_layout=nchw pads=[1 1 1 1]",
				"gonyx.NchwcConv(c2#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=8",
			},
			rewrites: 2,
		},
		{
			name: "first layer also read in NCHW",
			build: func() *graph.Model {
				b := convNet(1).out("y", "c1")
				b.conv("x", "c1", 1, 8, 3)
				b.conv("c1", "c2", 8, 16, 3)
				b.node("Add", ins("c2", "c2"), ins("y"))
				return b.m
			},
			want: []string{
				"gonyx.NchwcConv(x,Wc1,Bc1)->c1#nchwc input_layout=nchw pads=[1 1 1 1]",
				"gonyx.ReorderOutput(c1#nchwc)->c1 channels=8",
				"gonyx.NchwcConv(c1#nchwc,Wc2,Bc2)->c2#nchwc pads=[1 1 1 1]",
				"Add(c2#nchwc,c2#nchwc)->y#nchwc",
				"gonyx.ReorderOutput(y#nchwc)->y channels=16",
			},
			rewrites: 3,
		},
		{
			name: "few channels convert when already blocked",
			build: func() *graph.Model {
				b := convNet(16).out("y")
				b.conv("x", "c1", 16, 4, 1)
				b.conv("c1", "y", 4, 16, 1)
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wc1,Bc1)->c1#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcConv(c1#nchwc,Wy,By)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=16",
			},
			rewrites: 2,
		},
		{
			name: "one conv is left alone",
			build: func() *graph.Model {
				b := convNet(16).out("y")
				b.conv("x", "c1", 16, 16, 3)
				b.node("Relu", ins("c1"), ins("y"))
				return b.m
			},
			want: []string{"Conv(x,Wc1,Bc1)->c1 pads=[1 1 1 1]", "Relu(c1)->y"},
		},
		{
			name: "no kernels",
			build: func() *graph.Model {
				b := convNet(16).out("y")
				b.conv("x", "c1", 16, 16, 3)
				b.conv("c1", "y", 16, 16, 3)
				return b.m
			},
			has:  func(d, op string, v int) bool { return op != "NchwcConv" },
			want: []string{"Conv(x,Wc1,Bc1)->c1 pads=[1 1 1 1]", "Conv(c1,Wy,By)->y pads=[1 1 1 1]"},
		},
		{
			name: "residual, depthwise, graph output inside",
			build: func() *graph.Model {
				b := convNet(24).out("y", "d")
				b.conv("x", "c1", 24, 24, 1)
				b.init("Wd", weights(7, 24, 1, 3, 3))
				b.node("Conv", ins("c1", "Wd"), ins("d"), aInt("group", 24), aInts("pads", 1, 1, 1, 1),
					aInts("kernel_shape", 3, 3))
				b.init("Wf", weights(8, 24, 24, 1, 1))
				b.node("FusedConv", ins("d", "Wf", "", "x"), ins("y"),
					&graph.Attribute{Name: "activation", Type: graph.AttrString, S: []byte("Relu")}).Domain = "gonyx"
				b.m.Opsets["gonyx"] = 1
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=24",
				"gonyx.NchwcConv(x#nchwc,Wc1,Bc1)->c1#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcConv(c1#nchwc,Wd)->d#nchwc group=24 kernel_shape=[3 3] pads=[1 1 1 1]",
				"gonyx.ReorderOutput(d#nchwc)->d channels=24",
				"gonyx.NchwcConv(d#nchwc,Wf,,x#nchwc)->y#nchwc activation=Relu",
				"gonyx.ReorderOutput(y#nchwc)->y channels=24",
			},
			rewrites: 3,
		},
		{
			name: "residual of unknown or broadcast channels stays NCHW",
			build: func() *graph.Model {
				b := convNet(16).in("one", 2, 1, 8, 8).out("y", "z")
				b.conv("x", "c1", 16, 16, 1)
				b.conv("c1", "c2", 16, 16, 1)
				b.node("Neg", ins("x"), ins("nx"))
				b.init("Wr", weights(9, 16, 16, 1, 1))
				b.node("FusedConv", ins("c2", "Wr", "", "nx"), ins("y")).Domain = "gonyx"
				b.node("FusedConv", ins("c2", "Wr", "", "one"), ins("z")).Domain = "gonyx"
				b.m.Opsets["gonyx"] = 1
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wc1,Bc1)->c1#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcConv(c1#nchwc,Wc2,Bc2)->c2#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(c2#nchwc)->c2 channels=16",
				"Neg(x)->nx",
				"gonyx.FusedConv(c2,Wr,,nx)->y",
				"gonyx.FusedConv(c2,Wr,,one)->z",
			},
			rewrites: 2,
		},
		{
			name: "pools, concat, elementwise",
			build: func() *graph.Model {
				b := convNet(16).out("y", "z")
				b.conv("x", "a", 16, 16, 1)
				b.conv("x", "c", 16, 24, 3)
				b.node("MaxPool", ins("a"), ins("pa"), aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1))
				b.node("AveragePool", ins("c"), ins("pc"), aInts("kernel_shape", 2, 2), aInts("strides", 1, 1),
					aInt("count_include_pad", 1), aInts("pads", 0, 0, 1, 1))
				// 16 then 24 channels: blocks line up; 24 then 16 would not.
				b.node("Concat", ins("pa", "pc"), ins("cat"), aInt("axis", -3))
				b.node("Concat", ins("pc", "pa"), ins("bad"), aInt("axis", 1))
				b.init("two", scalar(2))
				b.node("Mul", ins("cat", "two"), ins("m"))
				b.node("Div", ins("m", "two"), ins("dv"))
				b.node("Div", ins("m", "m"), ins("inv"))
				b.node("Add", ins("dv", "inv"), ins("y"))
				b.node("Sigmoid", ins("bad"), ins("z"))
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wa,Ba)->a#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcMaxPool(a#nchwc)->pa#nchwc kernel_shape=[3 3] pads=[1 1 1 1]",
				"gonyx.ReorderOutput(pa#nchwc)->pa channels=16",
				"gonyx.NchwcAveragePool(c#nchwc)->pc#nchwc count_include_pad=1 kernel_shape=[2 2] pads=[0 0 1 1] strides=[1 1]",
				"gonyx.ReorderOutput(pc#nchwc)->pc channels=24",
				"Concat(pa#nchwc,pc#nchwc)->cat#nchwc axis=1",
				"Concat(pc,pa)->bad axis=1",
				"Mul(cat#nchwc,two)->m#nchwc",
				"gonyx.ReorderOutput(m#nchwc)->m channels=40",
				"Div(m#nchwc,two)->dv#nchwc",
				"gonyx.ReorderOutput(dv#nchwc)->dv channels=40",
				"Div(m,m)->inv",
				"Add(dv,inv)->y",
				"Sigmoid(bad)->z",
			},
			rewrites: 7,
		},
		{
			name: "squeeze-excite",
			build: func() *graph.Model {
				b := convNet(40).out("y")
				b.conv("x", "c", 40, 40, 3)
				b.node("GlobalAveragePool", ins("c"), ins("g"))
				b.conv("g", "s1", 40, 10, 1)
				b.node("Relu", ins("s1"), ins("r"))
				b.conv("r", "s2", 10, 40, 1)
				b.node("Sigmoid", ins("s2"), ins("s"))
				b.node("Mul", ins("c", "s"), ins("y"))
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=40",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcGlobalAveragePool(c#nchwc)->g#nchwc",
				"gonyx.NchwcConv(g#nchwc,Ws1,Bs1)->s1#nchwc pads=[0 0 0 0]",
				"Relu(s1#nchwc)->r#nchwc",
				"gonyx.NchwcConv(r#nchwc,Ws2,Bs2)->s2#nchwc pads=[0 0 0 0]",
				"Sigmoid(s2#nchwc)->s#nchwc",
				"gonyx.NchwcMul(c#nchwc,s#nchwc)->y#nchwc",
				"gonyx.ReorderOutput(y#nchwc)->y channels=40",
			},
			rewrites: 7,
		},
		{
			name: "unsupported readers get NCHW back",
			build: func() *graph.Model {
				b := convNet(16).out("y", "p", "q", "i")
				b.conv("x", "c", 16, 16, 3)
				b.conv("c", "d", 16, 16, 3)
				// Grouped (not depthwise), a runtime weight, indices wanted.
				b.init("Wg", weights(3, 16, 8, 1, 1))
				b.node("Conv", ins("d", "Wg"), ins("y"), aInt("group", 2))
				b.node("Conv", ins("d", "c"), ins("p"))
				b.node("MaxPool", ins("d"), ins("q", "i"), aInts("kernel_shape", 2, 2))
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
				"gonyx.ReorderOutput(c#nchwc)->c channels=16",
				"gonyx.NchwcConv(c#nchwc,Wd,Bd)->d#nchwc pads=[1 1 1 1]",
				"gonyx.ReorderOutput(d#nchwc)->d channels=16",
				"Conv(d,Wg)->y group=2",
				"Conv(d,c)->p",
				"MaxPool(d)->q,i kernel_shape=[2 2]",
			},
			rewrites: 2,
		},
		{
			name: "channel mismatch and broadcasting stay NCHW",
			build: func() *graph.Model {
				b := convNet(16).out("y", "z")
				b.conv("x", "a", 16, 16, 1)
				b.conv("x", "one", 16, 1, 1)
				// [2,16,8,8] · [2,1,8,8]: a channel broadcast.
				b.node("Mul", ins("a", "one"), ins("y"))
				b.init("perc", weights(5, 16, 1, 1))
				b.node("Add", ins("a", "perc"), ins("z"))
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wa,Ba)->a#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(a#nchwc)->a channels=16",
				"gonyx.NchwcConv(x#nchwc,Wone,Bone)->one#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(one#nchwc)->one channels=1",
				"Mul(a,one)->y",
				"Add(a,perc)->z",
			},
			rewrites: 2,
		},
	}
}

// A value read inside a subgraph keeps its NCHW form, and the subgraph
// itself is not rewritten.
func TestLayoutSubgraph(t *testing.T) {
	build := func() *graph.Model {
		b := convNet(16).inTyped("cond", ttype(tensor.Bool)).out("y")
		b.conv("x", "c", 16, 16, 3)
		b.conv("c", "d", 16, 16, 3)
		then := newBuilder(17).out("t")
		then.conv("d", "tc", 16, 16, 1)
		then.conv("tc", "t", 16, 16, 1)
		els := newBuilder(17).out("e")
		els.node("Neg", ins("c"), ins("e"))
		b.node("If", ins("cond"), ins("y"), aGraph("then_branch", then.g), aGraph("else_branch", els.g))
		return b.m
	}
	m := build()
	if n := optimize.RunPass(m, all, "layout"); n != 2 {
		t.Errorf("%d rewrites, want 2", n)
	}
	want := []string{
		"gonyx.ReorderInput(x)->x#nchwc channels=16",
		"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
		"gonyx.ReorderOutput(c#nchwc)->c channels=16",
		"gonyx.NchwcConv(c#nchwc,Wd,Bd)->d#nchwc pads=[1 1 1 1]",
		"gonyx.ReorderOutput(d#nchwc)->d channels=16",
		"If(cond)->y else_branch=graph then_branch=graph",
	}
	if got := describe(m.Graph); !sameLines(got, want) {
		t.Errorf("main graph:\n  %v\nwant\n  %v", got, want)
	}
	then := m.Graph.Nodes[len(m.Graph.Nodes)-1].Attrs["then_branch"].G
	if got, want := describe(then), []string{"Conv(d,Wtc,Btc)->tc pads=[0 0 0 0]", "Conv(tc,Wt,Bt)->t pads=[0 0 0 0]"}; !sameLines(got, want) {
		t.Errorf("then branch %v, want %v", got, want)
	}
	for _, c := range []bool{true, false} {
		sameLayoutResults(t, func() *graph.Model {
			m := build()
			// Fix the branch taken: cond becomes a constant.
			m.Graph.Inputs = m.Graph.Inputs[:1]
			m.Graph.Initializers["cond"] = tensor.Scalar(c)
			return m
		}, 2)
	}
}

// New names never collide with existing ones, and graph inputs and
// outputs keep theirs.
func TestLayoutNames(t *testing.T) {
	b := convNet(16).out("y", "x#nchwc")
	b.conv("x", "c", 16, 16, 3)
	b.conv("c", "y", 16, 16, 3)
	b.node("Neg", ins("x"), ins("x#nchwc"))
	m := b.m
	optimize.RunPass(m, all, "layout")
	want := []string{
		"gonyx.ReorderInput(x)->x#nchwc_1 channels=16",
		"gonyx.NchwcConv(x#nchwc_1,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
		"gonyx.NchwcConv(c#nchwc,Wy,By)->y#nchwc pads=[1 1 1 1]",
		"gonyx.ReorderOutput(y#nchwc)->y channels=16",
		"Neg(x)->x#nchwc",
	}
	if got := describe(m.Graph); !sameLines(got, want) {
		t.Errorf("nodes:\n  %v\nwant\n  %v", got, want)
	}
	if m.Graph.Inputs[0].Name != "x" || m.Graph.Outputs[0].Name != "y" || m.Graph.Outputs[1].Name != "x#nchwc" {
		t.Errorf("interface changed: %v -> %v", m.Graph.Inputs, m.Graph.Outputs)
	}
}

// A node list out of topological order is left alone.
func TestLayoutUnordered(t *testing.T) {
	b := convNet(16).out("y")
	b.conv("c", "y", 16, 16, 3)
	b.conv("x", "c", 16, 16, 3)
	m := b.m
	if n := optimize.RunPass(m, all, "layout"); n != 0 {
		t.Errorf("%d rewrites of an unordered graph", n)
	}
}
