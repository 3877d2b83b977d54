package nn_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops/opstest"
)

func randT(shape ...int) *tensor.Tensor {
	t := seq(shape...)
	d := tensor.Data[float32](t)
	s := uint32(1)
	for i := range d {
		s = s*1664525 + 1013904223
		d[i] = float32(s>>8)/float32(1<<24)*4 - 2
	}
	return t
}

func bench(b *testing.B, o opstest.Op, in ...*tensor.Tensor) {
	b.Helper()
	for i := 0; i < b.N; i++ {
		if _, err := opstest.Run(o, in...); err != nil {
			b.Fatal(err)
		}
	}
}

// Shapes from the shared models: BERT attention scores and hidden states,
// ResNet's stem pooling and final global pooling.
func BenchmarkSoftmaxBERT(b *testing.B) {
	bench(b, op("Softmax", 13, intA("axis", -1)), randT(4, 4, 32, 32))
}

func BenchmarkLayerNormBERT(b *testing.B) {
	bench(b, op("LayerNormalization", 17, floatA("epsilon", 1e-12)), randT(4, 32, 256), randT(256), randT(256))
}

func BenchmarkMaxPoolResNet(b *testing.B) {
	bench(b, op("MaxPool", 17, ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1)), randT(1, 64, 112, 112))
}

func BenchmarkGlobalAveragePool(b *testing.B) {
	bench(b, op("GlobalAveragePool", 1), randT(1, 2048, 7, 7))
}
