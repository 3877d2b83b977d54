package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// negChain is a chain of n cheap nodes (Neg on a 4-element tensor).
func negChain(tb testing.TB, n int) *Model {
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
		tb.Fatal(err)
	}
	return m
}

// BenchmarkNodeOverhead measures the executor's cost per node on a chain of
// 100 cheap nodes.
func BenchmarkNodeOverhead(b *testing.B) {
	const n = 100
	m := negChain(b, n)
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

// A node costs no allocation in a steady-state run: the run state, result
// lists, tensor headers and small buffers are all reused. A run's
// allocations (result map, output copy) do not grow with the node count.
func TestNodesDoNotAllocate(t *testing.T) {
	in := map[string]*Tensor{"x": tensor.New([]int{4}, []float32{1, 2, 3, 4})}
	allocs := func(n int) float64 {
		m := negChain(t, n)
		run := func() {
			out, err := m.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			want := float32(1)
			if n%2 == 1 {
				want = -1
			}
			if y := tensor.Data[float32](out["y"]); len(y) != 4 || y[0] != want || y[3] != 4*want {
				t.Fatalf("%d Negs of [1 2 3 4] gave %v", n, out["y"])
			}
		}
		run()
		return testing.AllocsPerRun(20, run)
	}
	short, long := allocs(3), allocs(100)
	if long != short {
		t.Errorf("a run of 100 nodes makes %v allocations, of 3 nodes %v: nodes allocate", long, short)
	}
	if long > 8 {
		t.Errorf("a run makes %v allocations, want ≤ 8", long)
	}
}
