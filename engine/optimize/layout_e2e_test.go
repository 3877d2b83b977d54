package optimize_test

import (
	"context"
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Blocked kernels sum in another order than the NCHW ones: results agree to
// |got − want| ≤ 1e-4 + 1e-4·|want| (ops/nchwc's tolerance).
const layoutTol = 1e-4

// sameLayoutResults loads build() optimised (the layout pass included) and
// unoptimised, checks that the optimised model has at least minConvs
// NchwcConv nodes, and compares outputs on random inputs with 1 and 2
// threads.
func sameLayoutResults(t *testing.T, build func() *graph.Model, minConvs int) {
	t.Helper()
	ref, err := engine.FromIR(build(), engine.WithoutOptimizations())
	if err != nil {
		t.Fatalf("reference model: %v", err)
	}
	rng := rand.New(rand.NewSource(3))
	feeds := map[string]tensor.Value{}
	for _, in := range ref.Inputs() {
		feeds[in.Name] = randomInput(t, in, rng)
	}
	want, err := ref.RunValues(context.Background(), feeds)
	if err != nil {
		t.Fatalf("reference run: %v", err)
	}
	for _, threads := range []int{1, 2} {
		m, err := engine.FromIR(build(), engine.WithThreads(threads))
		if err != nil {
			t.Fatalf("optimised model: %v", err)
		}
		if n := countOps(m.IR().Graph, "NchwcConv"); n < minConvs {
			t.Errorf("%d NchwcConv nodes, want at least %d:\n  %v", n, minConvs, describe(m.IR().Graph))
		}
		// Twice: the second run reuses recycled buffers (stale contents).
		for run := 0; run < 2; run++ {
			got, err := m.RunValues(context.Background(), feeds)
			if err != nil {
				t.Fatalf("optimised run: %v", err)
			}
			for _, o := range ref.Outputs() {
				a, ok1 := want[o.Name].(*tensor.Tensor)
				b, ok2 := got[o.Name].(*tensor.Tensor)
				if !ok1 || !ok2 {
					t.Fatalf("output %s: %T vs %T", o.Name, want[o.Name], got[o.Name])
				}
				if err := closeTo(b, a, layoutTol, layoutTol); err != nil {
					t.Errorf("threads %d run %d: output %s: %v", threads, run, o.Name, err)
				}
			}
		}
	}
}

func countOps(g *graph.Graph, op string) int {
	n := 0
	for _, nd := range g.Nodes {
		if nd.OpType == op && nd.Domain == "gonyx" {
			n++
		}
	}
	return n
}

func strAttr(name, v string) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrString, S: []byte(v)}
}

// TestLayoutModels runs small CNNs through the whole optimiser (so the
// layout pass sees fused convolutions) and compares with the unoptimised
// graph.
func TestLayoutModels(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minConvs int
		build    func() *graph.Model
	}{
		{"residual block", 3, func() *graph.Model {
			// conv-relu, conv, + x, relu (the Add and Relu fuse into the conv).
			b := convNet(24).out("y")
			b.conv("x", "c1", 24, 24, 3)
			b.node("Relu", ins("c1"), ins("r1"))
			b.conv("r1", "c2", 24, 24, 3)
			b.node("Add", ins("c2", "x"), ins("s"))
			b.node("Relu", ins("s"), ins("r2"))
			b.conv("r2", "y", 24, 40, 1, aInts("strides", 2, 2))
			return b.m
		}},
		{"inverted residual, depthwise, relu6", 3, func() *graph.Model {
			b := convNet(24).out("y")
			b.conv("x", "e", 24, 40, 1)
			b.init("lo", scalar(0))
			b.init("hi", scalar(6))
			b.node("Clip", ins("e", "lo", "hi"), ins("e6"))
			b.init("Wd", weights(11, 40, 1, 3, 3))
			b.init("Bd", weights(12, 40))
			b.node("Conv", ins("e6", "Wd", "Bd"), ins("d"), aInt("group", 40), aInts("pads", 1, 1, 1, 1))
			b.node("Clip", ins("d", "lo", "hi"), ins("d6"))
			b.conv("d6", "p", 40, 24, 1)
			b.node("Add", ins("p", "x"), ins("y"))
			return b.m
		}},
		{"strided depthwise 5x5, silu", 3, func() *graph.Model {
			b := convNet(16).out("y")
			b.conv("x", "e", 16, 24, 1)
			b.node("Sigmoid", ins("e"), ins("es"))
			b.node("Mul", ins("e", "es"), ins("ea"))
			b.init("Wd", weights(13, 24, 1, 5, 5))
			b.node("Conv", ins("ea", "Wd"), ins("d"), aInt("group", 24), aInts("pads", 2, 2, 2, 2), aInts("strides", 2, 2))
			b.conv("d", "y", 24, 8, 1)
			return b.m
		}},
		{"squeeze-excite", 4, func() *graph.Model {
			b := convNet(40).out("y")
			b.conv("x", "c", 40, 40, 3)
			b.node("GlobalAveragePool", ins("c"), ins("g"))
			b.conv("g", "s1", 40, 10, 1)
			b.node("Relu", ins("s1"), ins("r"))
			b.conv("r", "s2", 10, 40, 1)
			b.node("Sigmoid", ins("s2"), ins("s"))
			b.node("Mul", ins("c", "s"), ins("m"))
			b.conv("m", "y", 40, 24, 1)
			return b.m
		}},
		{"pools and concat", 3, func() *graph.Model {
			b := convNet(3).out("y", "z")
			b.conv("x", "stem", 3, 16, 3, aInts("strides", 2, 2))
			b.node("MaxPool", ins("stem"), ins("mp"), aInts("kernel_shape", 3, 3), aInts("strides", 2, 2),
				aInt("ceil_mode", 1))
			b.conv("mp", "a", 16, 16, 1)
			b.conv("mp", "c", 16, 24, 3)
			b.node("Relu", ins("a"), ins("ar"))
			b.node("Concat", ins("ar", "c"), ins("cat"), aInt("axis", 1))
			b.node("AveragePool", ins("cat"), ins("ap"), aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1),
				aInt("count_include_pad", 1))
			b.node("AveragePool", ins("cat"), ins("ap2"), aInts("kernel_shape", 2, 2), aInts("strides", 2, 2),
				aInt("ceil_mode", 1), aInts("pads", 0, 0, 1, 1))
			b.node("GlobalAveragePool", ins("ap2"), ins("z"))
			b.conv("ap", "y", 40, 24, 1)
			return b.m
		}},
		{"auto_pad and dilation", 3, func() *graph.Model {
			b := newBuilder(17).in("x", 2, 16, 9, 7).out("y")
			b.conv("x", "a", 16, 24, 3, strAttr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2))
			delete(b.g.Nodes[len(b.g.Nodes)-1].Attrs, "pads")
			b.conv("a", "c", 24, 24, 3, strAttr("auto_pad", "SAME_LOWER"))
			delete(b.g.Nodes[len(b.g.Nodes)-1].Attrs, "pads")
			b.conv("c", "d", 24, 16, 3, aInts("dilations", 2, 2))
			b.node("MaxPool", ins("d"), ins("y"), aInts("kernel_shape", 2, 3), strAttr("auto_pad", "SAME_LOWER"),
				aInts("strides", 2, 2))
			return b.m
		}},
		{"scalar ops and output in the middle", 2, func() *graph.Model {
			b := convNet(16).out("y", "c")
			b.conv("x", "c", 16, 16, 3)
			b.init("k", scalar(0.5))
			b.node("Mul", ins("c", "k"), ins("m"))
			b.node("Sub", ins("m", "k"), ins("s"))
			b.node("Div", ins("s", "k"), ins("dv"))
			b.node("Tanh", ins("dv"), ins("th"))
			b.conv("th", "y", 16, 16, 1)
			return b.m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { sameLayoutResults(t, tc.build, tc.minConvs) })
	}
}
