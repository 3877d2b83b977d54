package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
)

// seBlock adds a squeeze-excite scale of value c (ch channels): GAP, a 1×1
// conv with SiLU written as x·Sigmoid(x), a 1×1 conv, Sigmoid, and a
// constant scalar factor, so the scale's producers include every kind the
// fold accepts. The scale is named s.
func seBlock(b *builder, c string, ch int) {
	b.node("GlobalAveragePool", ins(c), ins("g"))
	b.conv("g", "s1", ch, 8, 1)
	b.node("Sigmoid", ins("s1"), ins("s1g"))
	b.node("Mul", ins("s1", "s1g"), ins("s1a"))
	b.conv("s1a", "s2", 8, ch, 1)
	b.node("Sigmoid", ins("s2"), ins("s2g"))
	b.init("half", scalar(0.5))
	b.node("Mul", ins("half", "s2g"), ins("s"))
}

// seCases are the structural cases of the squeeze-excite fold.
func seCases() []passCase {
	return []passCase{
		{
			name: "scale folds into the projection",
			build: func() *graph.Model {
				b := convNet(40).out("y")
				b.conv("x", "c", 40, 40, 3)
				seBlock(b, "c", 40)
				b.node("Mul", ins("s", "c"), ins("m"))
				b.conv("m", "y", 40, 24, 1)
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=40",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcGlobalAveragePool(c#nchwc)->g#nchwc",
				"gonyx.NchwcConv(g#nchwc,Ws1,Bs1)->s1#nchwc pads=[0 0 0 0]",
				"Sigmoid(s1#nchwc)->s1g#nchwc",
				"gonyx.NchwcMul(s1#nchwc,s1g#nchwc)->s1a#nchwc",
				"gonyx.NchwcConv(s1a#nchwc,Ws2,Bs2)->s2#nchwc pads=[0 0 0 0]",
				"Sigmoid(s2#nchwc)->s2g#nchwc",
				"Mul(half,s2g#nchwc)->s#nchwc",
				"gonyx.NchwcConv(c#nchwc,Wy,By,,s#nchwc)->y#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y#nchwc)->y channels=24",
			},
			rewrites: 10 + 1,
		},
		{
			name: "3x3 reader with residual, scale second",
			build: func() *graph.Model {
				b := convNet(24).out("y")
				b.conv("x", "c", 24, 24, 1)
				seBlock(b, "c", 24)
				b.node("Mul", ins("c", "s"), ins("m"))
				b.conv("m", "p", 24, 24, 3)
				b.node("Add", ins("p", "x"), ins("y"))
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=24",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcGlobalAveragePool(c#nchwc)->g#nchwc",
				"gonyx.NchwcConv(g#nchwc,Ws1,Bs1)->s1#nchwc pads=[0 0 0 0]",
				"Sigmoid(s1#nchwc)->s1g#nchwc",
				"gonyx.NchwcMul(s1#nchwc,s1g#nchwc)->s1a#nchwc",
				"gonyx.NchwcConv(s1a#nchwc,Ws2,Bs2)->s2#nchwc pads=[0 0 0 0]",
				"Sigmoid(s2#nchwc)->s2g#nchwc",
				"Mul(half,s2g#nchwc)->s#nchwc",
				"gonyx.NchwcConv(c#nchwc,Wp,Bp,,s#nchwc)->p#nchwc pads=[1 1 1 1]",
				"gonyx.ReorderOutput(p#nchwc)->p channels=24",
				"Add(p,x)->y", // x is not blocked: the Add stays (FusedConv takes it in the full optimiser)
			},
			rewrites: 10 + 1,
		},
		{
			name: "no fold: other readers, depthwise reader, scale of another value, padded conv in the scale",
			build: func() *graph.Model {
				b := convNet(16).out("y1", "m1", "y2", "y3", "y4")
				b.conv("x", "c", 16, 16, 1)
				seBlock(b, "c", 16)
				// m1 is also a graph output.
				b.node("Mul", ins("c", "s"), ins("m1"))
				b.conv("m1", "y1", 16, 16, 1)
				// A depthwise reader.
				b.node("Mul", ins("s", "c"), ins("m2"))
				b.init("Wdw", weights(21, 16, 1, 3, 3))
				b.node("Conv", ins("m2", "Wdw"), ins("y2"), aInt("group", 16), aInts("pads", 1, 1, 1, 1))
				// s scales c, not d (whose batch could differ in another graph).
				b.conv("x", "d", 16, 16, 1)
				b.node("Mul", ins("d", "s"), ins("m3"))
				b.conv("m3", "y3", 16, 16, 1)
				// A padded 3×3 conv makes the "scale" 3×3.
				b.conv("g", "g3", 16, 16, 3)
				b.node("Mul", ins("c", "g3"), ins("m4"))
				b.conv("m4", "y4", 16, 16, 1)
				return b.m
			},
			want: []string{
				"gonyx.ReorderInput(x)->x#nchwc channels=16",
				"gonyx.NchwcConv(x#nchwc,Wc,Bc)->c#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcGlobalAveragePool(c#nchwc)->g#nchwc",
				"gonyx.NchwcConv(g#nchwc,Ws1,Bs1)->s1#nchwc pads=[0 0 0 0]",
				"Sigmoid(s1#nchwc)->s1g#nchwc",
				"gonyx.NchwcMul(s1#nchwc,s1g#nchwc)->s1a#nchwc",
				"gonyx.NchwcConv(s1a#nchwc,Ws2,Bs2)->s2#nchwc pads=[0 0 0 0]",
				"Sigmoid(s2#nchwc)->s2g#nchwc",
				"Mul(half,s2g#nchwc)->s#nchwc",
				"gonyx.NchwcMul(c#nchwc,s#nchwc)->m1#nchwc",
				"gonyx.ReorderOutput(m1#nchwc)->m1 channels=16",
				"gonyx.NchwcConv(m1#nchwc,Wy1,By1)->y1#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y1#nchwc)->y1 channels=16",
				"gonyx.NchwcMul(s#nchwc,c#nchwc)->m2#nchwc",
				"gonyx.NchwcConv(m2#nchwc,Wdw)->y2#nchwc group=16 pads=[1 1 1 1]",
				"gonyx.ReorderOutput(y2#nchwc)->y2 channels=16",
				"gonyx.NchwcConv(x#nchwc,Wd,Bd)->d#nchwc pads=[0 0 0 0]",
				"gonyx.NchwcMul(d#nchwc,s#nchwc)->m3#nchwc",
				"gonyx.NchwcConv(m3#nchwc,Wy3,By3)->y3#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y3#nchwc)->y3 channels=16",
				"gonyx.NchwcConv(g#nchwc,Wg3,Bg3)->g3#nchwc pads=[1 1 1 1]",
				"gonyx.NchwcMul(c#nchwc,g3#nchwc)->m4#nchwc",
				"gonyx.NchwcConv(m4#nchwc,Wy4,By4)->y4#nchwc pads=[0 0 0 0]",
				"gonyx.ReorderOutput(y4#nchwc)->y4 channels=16",
			},
			rewrites: 18,
			check: func(t *testing.T, m *graph.Model) {
				if n := countOps(m.Graph, "NchwcMul"); n != 4+1 {
					t.Errorf("%d NchwcMul nodes, want 5 (four kept, the SiLU's):\n  %v", n, describe(m.Graph))
				}
				for _, n := range m.Graph.Nodes {
					if n.OpType == "NchwcConv" && len(n.Inputs) > 4 {
						t.Errorf("%v took a scale", describe(&graph.Graph{Nodes: []*graph.Node{n}}))
					}
				}
			},
		},
	}
}

func TestLayoutScaleFold(t *testing.T) {
	cases := seCases()
	for i := range cases {
		cases[i].noRun = true // compared below at the blocked kernels' tolerance
	}
	runPassCases(t, "layout", cases)
}

func TestLayoutScaleFoldResults(t *testing.T) {
	for _, tc := range seCases() {
		t.Run(tc.name, func(t *testing.T) { sameLayoutResults(t, tc.build, 2) })
	}
}
