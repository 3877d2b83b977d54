package nchwc

import (
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

// BenchmarkMaxPool: squeezenet (3×3 s2 ceil_mode 111→55), resnet (3×3 s2
// pad 1, 112→56) and cnn_mnist (2×2 s2) shapes, one thread, blocked against
// the NCHW ai.onnx MaxPool. Bytes = input + output.
func BenchmarkMaxPool(b *testing.B) {
	for _, s := range []struct {
		c, h, k, pad int
		ceil         bool
	}{{64, 111, 3, 0, true}, {64, 112, 3, 1, false}, {32, 28, 2, 0, false}} {
		o := refOutSize(s.h, s.k, 2, 1, s.pad, s.pad, s.ceil)
		p := PoolParams{Max: true, KH: s.k, KW: s.k, SH: 2, SW: 2, DH: 1, DW: 1, PadT: s.pad, PadL: s.pad, PadB: s.pad, PadR: s.pad, OH: o, OW: o}
		bytes := int64(s.c*(s.h*s.h+o*o)) * 4
		name := fmt.Sprintf("c%d_h%d_k%d", s.c, s.h, s.k)
		b.Run(name+"/nchwc", func(b *testing.B) {
			x := make([]float32, Blocks(s.c)*s.h*s.h*Block)
			y := make([]float32, Blocks(s.c)*o*o*Block)
			b.SetBytes(bytes)
			for i := 0; i < b.N; i++ {
				Pool(p, x, 1, Blocks(s.c), s.h, s.h, y, 1)
			}
		})
		b.Run(name+"/nchw", func(b *testing.B) {
			ceil := int64(0)
			if s.ceil {
				ceil = 1
			}
			in := []*tensor.Tensor{tensor.New([]int{1, s.c, s.h, s.h}, make([]float32, s.c*s.h*s.h))}
			k := pkNCHWKernel(b, "MaxPool", []*graph.Attribute{opstest.Ints("kernel_shape", int64(s.k), int64(s.k)),
				opstest.Ints("strides", 2, 2), opstest.Int("ceil_mode", ceil),
				opstest.Ints("pads", int64(s.pad), int64(s.pad), int64(s.pad), int64(s.pad))}, in, []bool{false})
			b.SetBytes(bytes)
			pkRunNCHW(b, k, in)
		})
	}
}

// BenchmarkGlobalAveragePool: resnet50's last pool (2048 × 7×7) and
// mobilenet_v2's (1280 × 7×7).
func BenchmarkGlobalAveragePool(b *testing.B) {
	for _, c := range []int{2048, 1280} {
		b.Run(fmt.Sprintf("c%d/nchwc", c), func(b *testing.B) {
			x := make([]float32, Blocks(c)*49*Block)
			y := make([]float32, Blocks(c)*Block)
			b.SetBytes(int64(c*49) * 4)
			for i := 0; i < b.N; i++ {
				GlobalAveragePool(x, 1, Blocks(c), 49, y, 1)
			}
		})
		b.Run(fmt.Sprintf("c%d/nchw", c), func(b *testing.B) {
			in := []*tensor.Tensor{tensor.New([]int{1, c, 7, 7}, make([]float32, c*49))}
			k := pkNCHWKernel(b, "GlobalAveragePool", nil, in, []bool{false})
			b.SetBytes(int64(c*49) * 4)
			pkRunNCHW(b, k, in)
		})
	}
}
