package vector

import (
	"math/rand"
	"testing"

	"github.com/gonyx/gonyx/ops/cpu"
)

// The benchmarks run each kernel at every level over 4096 elements (16 KiB,
// L1-resident) and report input GB/s and ns per element.

const benchN = 4096

func benchLevels(b *testing.B, run func(k *Kernels, x, y, dst []float32)) {
	r := rand.New(rand.NewSource(1))
	x := randSlice(r, benchN, -8, 8)
	y := randSlice(r, benchN, 0.5, 8)
	dst := make([]float32, benchN)
	for _, l := range cpu.Levels() {
		k := For(l)
		b.Run(l.String(), func(b *testing.B) {
			b.SetBytes(4 * benchN)
			for i := 0; i < b.N; i++ {
				run(k, x, y, dst)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/elem")
		})
	}
}

func unaryBench(f func(k *Kernels) func(dst, src []float32)) func(k *Kernels, x, y, dst []float32) {
	return func(k *Kernels, x, _, dst []float32) { f(k)(dst, x) }
}

func BenchmarkExp(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Exp }))
}
func BenchmarkLog(b *testing.B) {
	benchLevels(b, func(k *Kernels, _, y, dst []float32) { k.Log(dst, y) })
}
func BenchmarkTanh(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Tanh }))
}
func BenchmarkSigmoid(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Sigmoid }))
}
func BenchmarkSiLU(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.SiLU }))
}
func BenchmarkErf(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Erf }))
}
func BenchmarkGelu(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Gelu }))
}
func BenchmarkHardSwish(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.HardSwish }))
}
func BenchmarkRelu(b *testing.B) {
	benchLevels(b, unaryBench(func(k *Kernels) func(dst, src []float32) { return k.Relu }))
}
func BenchmarkClip(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, dst []float32) { k.Clip(dst, x, -1, 1) })
}
func BenchmarkAdd(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, y, dst []float32) { k.Add(dst, x, y) })
}
func BenchmarkDiv(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, y, dst []float32) { k.Div(dst, x, y) })
}
func BenchmarkMulScalar(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, dst []float32) { k.MulScalar(dst, x, 1.5) })
}
func BenchmarkAddScaled(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, y, dst []float32) { k.AddScaled(dst, x, 0.5, y) })
}
func BenchmarkSum(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, _ []float32) { k.Sum(x) })
}
func BenchmarkMax(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, _ []float32) { k.Max(x) })
}
func BenchmarkExpShiftSum(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, dst []float32) { k.ExpShiftSum(dst, x, 8) })
}
func BenchmarkSoftmax(b *testing.B) {
	benchLevels(b, func(k *Kernels, x, _, dst []float32) { k.Softmax(dst, x) })
}
