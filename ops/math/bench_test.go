package math

import (
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
)

func benchBin(b *testing.B, as, bs []int) {
	x := tensor.Zeros(tensor.Float32, as...)
	y := tensor.Zeros(tensor.Float32, bs...)
	p, _ := newPlan(as, bs)
	b.SetBytes(int64(p.n) * 4)
	for i := 0; i < b.N; i++ {
		if _, err := addFn.apply(p, x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddSame(b *testing.B)    { benchBin(b, []int{1 << 20}, []int{1 << 20}) }
func BenchmarkAddChannel(b *testing.B) { benchBin(b, []int{1, 64, 128, 128}, []int{64, 1, 1}) }
func BenchmarkAddRow(b *testing.B)     { benchBin(b, []int{4096, 256}, []int{256}) }
func BenchmarkRelu(b *testing.B) {
	x := tensor.Zeros(tensor.Float32, 1<<20)
	k := &unaryFn{types: tFloat, f32: func(v float32) float32 { return max(v, 0) }}
	b.SetBytes(4 << 20)
	for i := 0; i < b.N; i++ {
		k.apply(x)
	}
}
