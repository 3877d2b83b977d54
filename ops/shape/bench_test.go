package shape

import (
	"context"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
)

func benchTranspose(b *testing.B, shape []int, perm ...int64) {
	bld, _ := ops.Lookup("", "Transpose", 13)
	k, err := bld(&ops.Node{Node: &graph.Node{OpType: "Transpose", Inputs: []string{"x"}, Outputs: []string{"y"},
		Attrs: map[string]*graph.Attribute{"perm": intsA("perm", perm...)}}, Opset: 13})
	if err != nil {
		b.Fatal(err)
	}
	x := tensor.Zeros(tensor.Float32, shape...)
	// A recycling allocator, as the engine has: the kernel is timed, not
	// the page faults of a fresh output.
	rc := &ops.RunContext{Ctx: context.Background(), Alloc: &benchAlloc{}}
	b.SetBytes(int64(x.Len() * 4))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := k.Run(rc, []tensor.Value{x}); err != nil {
			b.Fatal(err)
		}
	}
}

// BERT-base attention layouts.
func BenchmarkTransposeHeads(b *testing.B) { benchTranspose(b, []int{1, 128, 12, 64}, 0, 2, 1, 3) }
func BenchmarkTransposeKeys(b *testing.B)  { benchTranspose(b, []int{1, 12, 128, 64}, 0, 1, 3, 2) }
func BenchmarkTranspose2D(b *testing.B)    { benchTranspose(b, []int{768, 768}, 1, 0) }

type benchAlloc struct{ buf []float32 }

func (a *benchAlloc) Float32(n int) []float32 {
	if cap(a.buf) < n {
		a.buf = make([]float32, n)
	}
	return a.buf[:n]
}
