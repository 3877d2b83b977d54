package demo

import (
	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/tensor"
)

// ImageModel is an ImageNet-shaped classifier with seeded weights: image
// float32[N,3,224,224] → Conv 4×4 stride 4 (32) → Relu → GlobalAveragePool
// → Flatten → Gemm(32→1000) → logits float32[N,1000]. It is untrained: its
// top-5 labels are arbitrary but stable, which is what the demo pipeline
// (imagenet-preprocess → model → topk) needs to show.
func ImageModel() *graph.Model {
	b := newBuilder(44)
	none := map[string]*graph.Attribute{}
	return model("image", &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "input", Type: floatType("N", 3, 224, 224)}},
		Outputs: []graph.ValueInfo{{Name: "logits", Type: floatType("N", 1000)}},
		Initializers: map[string]*tensor.Tensor{
			"conv.weight": b.weights(48, 32, 3, 4, 4), "conv.bias": b.bias(32),
			"fc.weight": b.weights(32, 1000, 32), "fc.bias": b.bias(1000),
		},
		Nodes: []*graph.Node{
			{Name: "conv", OpType: "Conv", Inputs: []string{"input", "conv.weight", "conv.bias"}, Outputs: []string{"c"},
				Attrs: map[string]*graph.Attribute{"kernel_shape": ints("kernel_shape", 4, 4), "strides": ints("strides", 4, 4)}},
			{Name: "relu", OpType: "Relu", Inputs: []string{"c"}, Outputs: []string{"r"}, Attrs: none},
			{Name: "gap", OpType: "GlobalAveragePool", Inputs: []string{"r"}, Outputs: []string{"g"}, Attrs: none},
			{Name: "flatten", OpType: "Flatten", Inputs: []string{"g"}, Outputs: []string{"f"}, Attrs: map[string]*graph.Attribute{"axis": intAttr("axis", 1)}},
			{Name: "fc", OpType: "Gemm", Inputs: []string{"f", "fc.weight", "fc.bias"}, Outputs: []string{"logits"},
				Attrs: map[string]*graph.Attribute{"transB": intAttr("transB", 1)}},
		},
	})
}
