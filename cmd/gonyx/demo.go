package main

import (
	"math"
	"math/rand/v2"

	"github.com/gonyx/gonyx/engine"
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// demoMLP builds the bundled demo model: a two-layer MLP, features
// float32[N,64] → Gemm(64→32) → Relu → Gemm(32→10) → logits float32[N,10],
// with weights from a fixed seed so every build has the same model.
func demoMLP() *graph.Model {
	rng := rand.New(rand.NewPCG(42, 1))
	weights := func(rows, cols int) *tensor.Tensor {
		// He-style scale keeps activations O(1) through the ReLU.
		scale := float32(math.Sqrt(2 / float64(cols)))
		w := make([]float32, rows*cols)
		for i := range w {
			w[i] = float32(rng.NormFloat64()) * scale
		}
		return tensor.New([]int{rows, cols}, w)
	}
	bias := func(n int) *tensor.Tensor {
		b := make([]float32, n)
		for i := range b {
			b[i] = float32(rng.NormFloat64()) * 0.1
		}
		return tensor.New([]int{n}, b)
	}
	dims := func(d ...any) *graph.Type {
		t := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}
		for _, x := range d {
			switch v := x.(type) {
			case int:
				t.Shape = append(t.Shape, graph.Dim{Value: int64(v)})
			case string:
				t.Shape = append(t.Shape, graph.Dim{Value: -1, Param: v})
			}
		}
		return t
	}
	transB := map[string]*graph.Attribute{"transB": {Name: "transB", Type: graph.AttrInt, I: 1}}
	return &graph.Model{
		IRVersion:    8,
		ProducerName: "gonyx-demo",
		Opsets:       map[string]int{"": 17},
		Graph: &graph.Graph{
			Name:    "mlp",
			Inputs:  []graph.ValueInfo{{Name: "features", Type: dims("N", 64)}},
			Outputs: []graph.ValueInfo{{Name: "logits", Type: dims("N", 10)}},
			Initializers: map[string]*tensor.Tensor{
				"fc1.weight": weights(32, 64), "fc1.bias": bias(32),
				"fc2.weight": weights(10, 32), "fc2.bias": bias(10),
			},
			InitializerOrder: []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"},
			Nodes: []*graph.Node{
				{Name: "fc1", OpType: "Gemm", Inputs: []string{"features", "fc1.weight", "fc1.bias"}, Outputs: []string{"h"}, Attrs: transB},
				{Name: "relu", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"hr"}, Attrs: map[string]*graph.Attribute{}},
				{Name: "fc2", OpType: "Gemm", Inputs: []string{"hr", "fc2.weight", "fc2.bias"}, Outputs: []string{"logits"}, Attrs: transB},
			},
		},
	}
}

// demoInputs makes seeded N(0,1) inputs of batch 1 for the demo model.
func demoInputs(m *engine.Model) map[string]tensor.Value {
	rng := rand.New(rand.NewPCG(7, 7))
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return map[string]tensor.Value{"features": tensor.New([]int{1, 64}, x)}
}
