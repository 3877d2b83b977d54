package optimize_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
)

// TestLayoutFirstLayer runs CNN stems on RGB (and one-channel) images
// through the whole optimiser: the first conv, with its activation fused,
// must become an NchwcConv reading the NCHW graph input directly (no
// ReorderInput anywhere), and the model must compute what the unoptimised
// graph does.
func TestLayoutFirstLayer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minConvs int
		build    func() *graph.Model
	}{
		{"resnet stem: 7x7 stride 2, relu, maxpool", 3, func() *graph.Model {
			b := newBuilder(17).in("x", 2, 3, 20, 18).out("y")
			b.conv("x", "c1", 3, 64, 7, aInts("strides", 2, 2))
			b.node("Relu", ins("c1"), ins("r1"))
			b.node("MaxPool", ins("r1"), ins("mp"), aInts("kernel_shape", 3, 3), aInts("strides", 2, 2),
				aInts("pads", 1, 1, 1, 1))
			b.conv("mp", "c2", 64, 64, 3)
			b.node("Relu", ins("c2"), ins("r2"))
			b.conv("r2", "c3", 64, 64, 3)
			b.node("Add", ins("c3", "mp"), ins("s"))
			b.node("Relu", ins("s"), ins("r3"))
			b.node("GlobalAveragePool", ins("r3"), ins("y"))
			return b.m
		}},
		{"mobilenet stem: 3x3 stride 2, relu6, depthwise", 3, func() *graph.Model {
			b := newBuilder(17).in("x", 2, 3, 17, 16).out("y")
			b.conv("x", "c1", 3, 32, 3, aInts("strides", 2, 2))
			b.init("lo", scalar(0))
			b.init("hi", scalar(6))
			b.node("Clip", ins("c1", "lo", "hi"), ins("r1"))
			b.init("Wd", weights(11, 32, 1, 3, 3))
			b.init("Bd", weights(12, 32))
			b.node("Conv", ins("r1", "Wd", "Bd"), ins("d"), aInt("group", 32), aInts("pads", 1, 1, 1, 1))
			b.node("Clip", ins("d", "lo", "hi"), ins("d6"))
			b.conv("d6", "y", 32, 16, 1)
			return b.m
		}},
		{"efficientnet stem: silu", 2, func() *graph.Model {
			b := newBuilder(17).in("x", 1, 3, 15, 15).out("y")
			b.conv("x", "c1", 3, 32, 3, aInts("strides", 2, 2))
			b.node("Sigmoid", ins("c1"), ins("sg"))
			b.node("Mul", ins("c1", "sg"), ins("a"))
			b.conv("a", "y", 32, 16, 1)
			return b.m
		}},
		{"mnist: one channel, no pad", 2, func() *graph.Model {
			b := newBuilder(17).in("x", 2, 1, 28, 28).out("y")
			b.conv("x", "c1", 1, 32, 3)
			delete(b.g.Nodes[len(b.g.Nodes)-1].Attrs, "pads")
			b.node("Relu", ins("c1"), ins("r1"))
			b.conv("r1", "c2", 32, 64, 3)
			b.node("Relu", ins("c2"), ins("r2"))
			b.node("MaxPool", ins("r2"), ins("y"), aInts("kernel_shape", 2, 2), aInts("strides", 2, 2))
			return b.m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := engine.FromIR(tc.build())
			if err != nil {
				t.Fatal(err)
			}
			g := m.IR().Graph
			if n := countOps(g, "ReorderInput"); n != 0 {
				t.Errorf("%d ReorderInput nodes, want none:\n  %v", n, describe(g))
			}
			first := 0
			for _, nd := range g.Nodes {
				if nd.OpType != "NchwcConv" || nd.Inputs[0] != "x" {
					continue
				}
				first++
				if a := nd.Attrs["input_layout"]; a == nil || string(a.S) != "nchw" {
					t.Errorf("first conv %v: input_layout %v, want nchw", nd.Name, a)
				}
			}
			if first != 1 {
				t.Errorf("%d NchwcConv nodes read x, want 1:\n  %v", first, describe(g))
			}
			sameLayoutResults(t, tc.build, tc.minConvs)
		})
	}
}
