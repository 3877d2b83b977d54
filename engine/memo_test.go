package engine

import (
	"context"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// y = Relu(Reshape(x, Mul(Shape(x), [1, 1]))): Shape and Mul depend only on
// x's shape, so repeated runs with one shape reuse their outputs.
func memoModel() *graph.Model {
	return &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:   "memo",
			Inputs: []graph.ValueInfo{{Name: "x", Type: tensorType(tensor.Float32, "N", 4)}},
			Outputs: []graph.ValueInfo{
				{Name: "y", Type: tensorType(tensor.Float32, "N", 4)},
			},
			Initializers: map[string]*tensor.Tensor{"one": tensor.New([]int{2}, []int64{1, 1})},
			Nodes: []*graph.Node{
				node("Shape", []string{"x"}, []string{"s"}),
				node("Mul", []string{"s", "one"}, []string{"t"}),
				node("Reshape", []string{"x", "t"}, []string{"r"}),
				node("Relu", []string{"r"}, []string{"y"}),
			},
		},
	}
}

func countNodes(t *testing.T, m *Model, in map[string]tensor.Value) (int, map[string]tensor.Value) {
	t.Helper()
	n := 0
	out, err := m.Trace(context.Background(), in, func(*graph.Node, []tensor.Value, []tensor.Value) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	return n, out
}

func TestMemoSkipsShapeChains(t *testing.T) {
	m, err := FromIR(memoModel(), WithoutOptimizations())
	if err != nil {
		t.Fatal(err)
	}
	in := func(n int, v float32) map[string]tensor.Value {
		d := make([]float32, n*4)
		for i := range d {
			d[i] = v * float32(i%3-1)
		}
		return map[string]tensor.Value{"x": tensor.New([]int{n, 4}, d)}
	}
	first, _ := countNodes(t, m, in(2, 1))
	second, out := countNodes(t, m, in(2, -3))
	if first != 4 || second != 2 {
		t.Fatalf("nodes run: %d then %d, want 4 then 2 (Shape and Mul memoised)", first, second)
	}
	if y := tensor.Data[float32](out["y"].(*tensor.Tensor)); y[0] != 3 || y[1] != 0 || y[2] != 0 {
		t.Fatalf("y = %v", y)
	}
	// Another batch size is another signature: computed, then memoised.
	if n, out := countNodes(t, m, in(3, 1)); n != 4 || out["y"].(*tensor.Tensor).Shape()[0] != 3 {
		t.Fatalf("batch 3: %d nodes, y %v", n, out["y"])
	}
}

// The shape NonZero produces depends on x's values, not its shape: the
// probe on Shape(z) sees a different shape and the run computes normally.
func TestMemoProbeCatchesValueDependentShapes(t *testing.T) {
	ir := &graph.Model{
		IRVersion: 8,
		Opsets:    map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:    "nz",
			Inputs:  []graph.ValueInfo{{Name: "x", Type: tensorType(tensor.Float32, 6)}},
			Outputs: []graph.ValueInfo{{Name: "y", Type: &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}}},
			Nodes: []*graph.Node{
				node("NonZero", []string{"x"}, []string{"z"}),
				node("Shape", []string{"z"}, []string{"s"}),
				node("ConstantOfShape", []string{"s"}, []string{"y"}),
			},
		},
	}
	m, err := FromIR(ir, WithoutOptimizations())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x    []float32
		want int // non-zero count
	}{
		{[]float32{1, 0, 2, 0, 0, 3}, 3},
		{[]float32{1, 1, 1, 1, 1, 0}, 5},
		{[]float32{1, 0, 2, 0, 0, 3}, 3},
		{[]float32{0, 0, 0, 0, 0, 0}, 0},
	} {
		out, err := m.Run(context.Background(), map[string]*Tensor{"x": tensor.New([]int{6}, c.x)})
		if err != nil {
			t.Fatal(err)
		}
		if s := out["y"].Shape(); len(s) != 2 || s[0] != 1 || s[1] != c.want {
			t.Fatalf("x = %v: y shape %v, want [1 %d]", c.x, s, c.want)
		}
	}
}

// A memoised value that is also a graph output reaches the caller as a
// copy: writing to it cannot change later runs.
func TestMemoOutputsAreCopies(t *testing.T) {
	ir := memoModel()
	ir.Graph.Outputs = append(ir.Graph.Outputs, graph.ValueInfo{Name: "t", Type: tensorType(tensor.Int64, 2)})
	m, err := FromIR(ir, WithoutOptimizations())
	if err != nil {
		t.Fatal(err)
	}
	x := map[string]*Tensor{"x": tensor.New([]int{1, 4}, []float32{1, 2, 3, 4})}
	for run := 0; run < 3; run++ {
		out, err := m.Run(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		tv := tensor.Data[int64](out["t"])
		if tv[0] != 1 || tv[1] != 4 {
			t.Fatalf("run %d: t = %v, want [1 4]", run, tv)
		}
		tv[0] = 99 // a caller scribbling on its output
	}
}
