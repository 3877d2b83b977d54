package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// BenchmarkNodeOverhead measures the executor's cost per node on a chain of
// 100 cheap nodes (Neg on a 4-element tensor).
func BenchmarkNodeOverhead(b *testing.B) {
	const n = 100
	var nodes []*graph.Node
	prev := "x"
	for i := 0; i < n; i++ {
		out := fmt.Sprintf("v%d", i)
		nodes = append(nodes, node("Neg", []string{prev}, []string{out}))
		prev = out
	}
	nodes[n-1].Outputs = []string{"y"}
	ir := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:    "chain",
			Inputs:  []graph.ValueInfo{{Name: "x", Type: tensorType(tensor.Float32, 4)}},
			Outputs: []graph.ValueInfo{{Name: "y", Type: tensorType(tensor.Float32, 4)}},
			Nodes:   nodes,
		},
	}
	m, err := FromIR(ir)
	if err != nil {
		b.Fatal(err)
	}
	in := map[string]*Tensor{"x": tensor.New([]int{4}, []float32{1, 2, 3, 4})}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/node")
}
