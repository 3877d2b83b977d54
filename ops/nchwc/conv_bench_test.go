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

// convBenchShapes are the dense convolutions of resnet50 and mobilenet_v2
// that carry most of their FLOPs.
var convBenchShapes = []struct {
	name            string
	inC, outC, h, k int
	stride, pad     int
}{
	{"r50_3x3_64_56", 64, 64, 56, 3, 1, 1},
	{"r50_1x1_256to64_56", 256, 64, 56, 1, 1, 0},
	{"r50_1x1_64to256_56", 64, 256, 56, 1, 1, 0},
	{"r50_3x3_256_14", 256, 256, 14, 3, 1, 1},
	{"r50_1x1s2_512to1024_28", 512, 1024, 28, 1, 2, 0},
	{"mb2_1x1_32to16_112", 32, 16, 112, 1, 1, 0},
	{"r50_3x3_512_7", 512, 512, 7, 3, 1, 1},
	{"r50_3x3s2_128_56", 128, 128, 56, 3, 2, 1},
	{"r50_1x1_2048to512_7", 2048, 512, 7, 1, 1, 0},
	{"mb2_1x1_144to24_56", 144, 24, 56, 1, 1, 0},
	{"mb2_1x1_16to96_112", 16, 96, 112, 1, 1, 0},
	{"mb2_1x1_24to144_56", 24, 144, 56, 1, 1, 0},
	{"eff_1x1_480to80_14", 480, 80, 14, 1, 1, 0},
}

// BenchmarkConv runs each shape on the blocked kernels (nchwc) and on the
// existing NCHW path (ops/conv's FusedConv kernel: im2col + SGEMM), both
// with bias + Relu, batch 1, threads = GOMAXPROCS (use -cpu 1,2).
func BenchmarkConv(b *testing.B) {
	for _, sh := range convBenchShapes {
		p := ConvParams{InC: sh.inC, OutC: sh.outC, Group: 1, KH: sh.k, KW: sh.k, SH: sh.stride, SW: sh.stride, DH: 1, DW: 1,
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
		flops := 2 * float64(oh*ow*sh.outC*sh.inC*sh.k*sh.k)
		var cpu0 time.Duration
		start := func(b *testing.B) {
			b.ResetTimer()
			cpu0 = convProcessCPU()
		}
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			if d := convProcessCPU() - cpu0; d > 0 {
				b.ReportMetric(flops*float64(b.N)/d.Seconds()/1e9, "GFLOP/cpu-s")
			}
		}
		b.Run(sh.name+"/nchwc", func(b *testing.B) {
			c, err := NewConv(p, w, bias)
			if err != nil {
				b.Fatal(err)
			}
			x := make([]float32, Blocks(sh.inC)*sh.h*sh.h*Block)
			for i := range x {
				x[i] = float32(i%5) / 4
			}
			y := make([]float32, Blocks(sh.outC)*oh*ow*Block)
			threads := runtime.GOMAXPROCS(0)
			start(b)
			for i := 0; i < b.N; i++ {
				if err := c.Run(x, 1, sh.h, sh.h, nil, y, threads); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
		b.Run(sh.name+"/nchw", func(b *testing.B) {
			attrs := map[string]*graph.Attribute{}
			s, pd := int64(sh.stride), int64(sh.pad)
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
			x := make([]float32, sh.inC*sh.h*sh.h)
			for i := range x {
				x[i] = float32(i%5) / 4
			}
			in := []tensor.Value{tensor.New([]int{1, sh.inC, sh.h, sh.h}, x), wt, tensor.New([]int{sh.outC}, bias)}
			rc := &ops.RunContext{Ctx: context.Background(), Threads: runtime.GOMAXPROCS(0)}
			start(b)
			for i := 0; i < b.N; i++ {
				if _, err := k.Run(rc, in); err != nil {
					b.Fatal(fmt.Errorf("%s: %w", sh.name, err))
				}
			}
			report(b)
		})
	}
}
