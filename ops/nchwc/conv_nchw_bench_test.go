package nchwc

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/conv"
	"github.com/gonyx/gonyx/ops/linalg"
	"github.com/gonyx/gonyx/ops/opstest"
)

// nchwBenchShapes are the first convolutions of the reference models.
var nchwBenchShapes = []struct {
	name                    string
	inC, outC, h, k, s, pad int
}{
	{"r50_7x7s2_3to64_224", 3, 64, 224, 7, 2, 3},
	{"mb2_3x3s2_3to32_224", 3, 32, 224, 3, 2, 1},
	{"sq_3x3s2_3to64_224", 3, 64, 224, 3, 2, 0},
	{"mnist_3x3_1to32_28", 1, 32, 28, 3, 1, 1},
}

// BenchmarkConvNCHW runs each first layer (bias + Relu, batch 1, threads =
// GOMAXPROCS) three ways: NewConvNCHW with 2 and with 4 output blocks per
// kernel call (nchwGroup), and the path it replaces, ops/conv's NCHW
// FusedConv (im2col + SGEMM) followed by ReorderIn of its output.
func BenchmarkConvNCHW(b *testing.B) {
	for _, sh := range nchwBenchShapes {
		p := ConvParams{InC: sh.inC, OutC: sh.outC, Group: 1, KH: sh.k, KW: sh.k, SH: sh.s, SW: sh.s, DH: 1, DW: 1,
			PadT: sh.pad, PadL: sh.pad, PadB: sh.pad, PadR: sh.pad, Act: linalg.ActRelu}
		oh, ow, err := p.OutSize(sh.h, sh.h)
		if err != nil {
			b.Fatal(err)
		}
		w := make([]float32, sh.outC*sh.inC*sh.k*sh.k)
		for i := range w {
			w[i] = float32(i%7-3) / 8
		}
		bias := make([]float32, sh.outC)
		x := make([]float32, sh.inC*sh.h*sh.h)
		for i := range x {
			x[i] = float32(i%5) / 4
		}
		y := make([]float32, Blocks(sh.outC)*oh*ow*Block)
		flops := 2 * float64(oh*ow*sh.outC*sh.inC*sh.k*sh.k)
		threads := runtime.GOMAXPROCS(0)
		// CPU time as well as wall time: the machine may be shared.
		var cpu0 time.Duration
		start := func(b *testing.B) {
			b.ResetTimer()
			cpu0 = convProcessCPU()
		}
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if d := convProcessCPU() - cpu0; d > 0 {
				b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		}
		for _, g := range []int{2, 4} {
			b.Run(fmt.Sprintf("%s/nchwc_g%d", sh.name, g), func(b *testing.B) {
				old := nchwGroup
				nchwGroup = g
				c, err := NewConvNCHW(p, w, bias)
				nchwGroup = old
				if err != nil {
					b.Fatal(err)
				}
				start(b)
				for i := 0; i < b.N; i++ {
					if err := c.Run(x, 1, sh.h, sh.h, nil, y, threads); err != nil {
						b.Fatal(err)
					}
				}
				report(b)
			})
		}
		b.Run(sh.name+"/nchw+reorder", func(b *testing.B) {
			attrs := map[string]*graph.Attribute{}
			s, pd := int64(sh.s), int64(sh.pad)
			for _, a := range []*graph.Attribute{opstest.Ints("strides", s, s), opstest.Ints("pads", pd, pd, pd, pd),
				opstest.Ints("kernel_shape", int64(sh.k), int64(sh.k))} {
				attrs[a.Name] = a
			}
			wt := tensor.New([]int{sh.outC, sh.inC, sh.k, sh.k}, w)
			node := &ops.Node{Node: &graph.Node{OpType: "FusedConv", Attrs: attrs, Inputs: []string{"x", "w", "b"}, Outputs: []string{"y"}},
				Opset: 1, Consts: []*tensor.Tensor{nil, wt, nil}}
			k, err := conv.NewFused(node, conv.Fusion{Act: linalg.ActRelu})
			if err != nil {
				b.Fatal(err)
			}
			in := []tensor.Value{tensor.New([]int{1, sh.inC, sh.h, sh.h}, x), wt, tensor.New([]int{sh.outC}, bias)}
			rc := &ops.RunContext{Ctx: context.Background(), Threads: threads}
			start(b)
			for i := 0; i < b.N; i++ {
				out, err := k.Run(rc, in)
				if err != nil {
					b.Fatal(err)
				}
				ReorderIn(tensor.Data[float32](out[0].(*tensor.Tensor)), 1, sh.outC, oh*ow, y, threads)
			}
			report(b)
		})
	}
}
