package fused_test

import (
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
	"github.com/gonyx/gonyx/ops"
	"github.com/gonyx/gonyx/ops/opstest"
)

// BenchmarkAttentionBert is one bert_small attention (batch 1, 32 tokens,
// 4 heads of 64) with a key mask.
func BenchmarkAttentionBert(b *testing.B) {
	const s, h, d = 32, 4, 64
	mk := func(n int) *tensor.Tensor {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(i%7) * 0.1
		}
		return tensor.New([]int{1, s, h, d}, v)
	}
	q, k, v := mk(s*h*d), mk(s*h*d), mk(s*h*d)
	mask := tensor.New([]int{1, 1, 1, s}, make([]float32, s))
	bld, _ := ops.Lookup("gonyx", "Attention", 1)
	g := &graph.Node{OpType: "Attention", Domain: "gonyx", Inputs: []string{"q", "k", "v", "m"}, Outputs: []string{"y"},
		Attrs: map[string]*graph.Attribute{"scale": opstest.Float("scale", 0.125)}}
	kr, err := bld(&ops.Node{Node: g, Opset: 1, Consts: make([]*tensor.Tensor, 4)})
	if err != nil {
		b.Fatal(err)
	}
	rc := &ops.RunContext{Threads: 1, Alloc: &benchAlloc{}}
	in := []tensor.Value{q, k, v, mask}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := kr.Run(rc, in); err != nil {
			b.Fatal(err)
		}
	}
}

// benchAlloc recycles one buffer, as the engine's allocator does.
type benchAlloc struct{ buf []float32 }

func (a *benchAlloc) Float32(n int) []float32 {
	if cap(a.buf) < n {
		a.buf = make([]float32, n)
	}
	return a.buf[:n]
}
