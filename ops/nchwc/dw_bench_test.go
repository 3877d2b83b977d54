package nchwc

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	_ "github.com/gonyx/gonyx/ops/conv" // the NCHW Conv kernel, for the ratio
	_ "github.com/gonyx/gonyx/ops/nn"   // the NCHW MaxPool kernel
	"github.com/gonyx/gonyx/ops/opstest"
)

// pkNCHWKernel builds the ai.onnx kernel typ with attrs; consts marks
// inputs given as load-time constants (the engine's case for weights).
func pkNCHWKernel(b *testing.B, typ string, attrs []*graph.Attribute, inputs []*tensor.Tensor, consts []bool) ops.Kernel {
	b.Helper()
	g := &graph.Node{Name: "bench", OpType: typ, Attrs: map[string]*graph.Attribute{}, Outputs: []string{"y"}}
	for _, a := range attrs {
		g.Attrs[a.Name] = a
	}
	n := &ops.Node{Node: g, Opset: 17, Consts: make([]*tensor.Tensor, len(inputs))}
	for i := range inputs {
		g.Inputs = append(g.Inputs, fmt.Sprintf("in%d", i))
		if consts[i] {
			n.Consts[i] = inputs[i]
		}
	}
	build, ok := ops.Lookup("", typ, 17)
	if !ok {
		b.Fatalf("no %s kernel", typ)
	}
	k, err := build(n)
	if err != nil {
		b.Fatal(err)
	}
	return k
}

func pkRunNCHW(b *testing.B, k ops.Kernel, inputs []*tensor.Tensor) {
	vals := make([]tensor.Value, len(inputs))
	for i, t := range inputs {
		vals[i] = t
	}
	rc := &ops.RunContext{Ctx: context.Background(), Threads: 1, Alloc: pkRecycler{}}
	for i := 0; i < b.N; i++ {
		if _, err := k.Run(rc, vals); err != nil {
			b.Fatal(err)
		}
	}
}

// pkRecycler hands out one buffer per size again and again, as the
// engine's allocator recycles freed outputs: the NCHW kernels' timings
// then leave out allocation and GC, which a real run does not pay either.
type pkRecycler map[int][]float32

func (r pkRecycler) Float32(n int) []float32 {
	if b, ok := r[n]; ok {
		return b
	}
	b := make([]float32, n)
	r[n] = b
	return b
}

// BenchmarkDepthwise: mobilenet_v2 and efficientnet shapes, one thread,
// blocked (this package) against the NCHW ai.onnx Conv with group = C.
// Bytes = input + output.
func BenchmarkDepthwise(b *testing.B) {
	for _, s := range []struct{ c, h, k, st int }{
		{144, 56, 3, 1}, {192, 28, 3, 1}, {384, 14, 3, 1}, {960, 7, 3, 1},
		{96, 112, 3, 2}, {144, 56, 3, 2}, {240, 28, 5, 1}, {144, 56, 5, 2},
	} {
		pad := s.k / 2
		p := ConvParams{InC: s.c, OutC: s.c, Group: s.c, KH: s.k, KW: s.k, SH: s.st, SW: s.st, DH: 1, DW: 1,
			PadT: pad, PadL: pad, PadB: pad, PadR: pad, Act: 2 /* Clip: Relu6 */, Alpha: 0, Beta: 6}
		oh, ow, _ := p.OutSize(s.h, s.h)
		bytes := int64(s.c*(s.h*s.h+oh*ow)) * 4
		name := fmt.Sprintf("c%d_h%d_k%d_s%d", s.c, s.h, s.k, s.st)
		b.Run(name+"/nchwc", func(b *testing.B) {
			cv, err := NewConv(p, make([]float32, s.c*s.k*s.k), make([]float32, s.c))
			if err != nil {
				b.Fatal(err)
			}
			x := make([]float32, Blocks(s.c)*s.h*s.h*Block)
			y := make([]float32, Blocks(s.c)*oh*ow*Block)
			b.SetBytes(bytes)
			for i := 0; i < b.N; i++ {
				if err := cv.Run(x, 1, s.h, s.h, nil, y, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/nchw", func(b *testing.B) {
			in := []*tensor.Tensor{tensor.New([]int{1, s.c, s.h, s.h}, make([]float32, s.c*s.h*s.h)),
				tensor.New([]int{s.c, 1, s.k, s.k}, make([]float32, s.c*s.k*s.k)), tensor.New([]int{s.c}, make([]float32, s.c))}
			k := pkNCHWKernel(b, "Conv", []*graph.Attribute{opstest.Int("group", int64(s.c)),
				opstest.Ints("kernel_shape", int64(s.k), int64(s.k)), opstest.Ints("strides", int64(s.st), int64(s.st)),
				opstest.Ints("pads", int64(pad), int64(pad), int64(pad), int64(pad))}, in, []bool{false, true, true})
			b.SetBytes(bytes)
			pkRunNCHW(b, k, in)
		})
	}
}
