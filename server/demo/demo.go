// Package demo builds the models that `gonyx serve` serves when it is given no
// repository: a tabular MLP and a small MNIST-shaped CNN. Their weights come
// from fixed seeds, so every build serves the same models and no outside file
// is embedded in the binary.
package demo

import (
	"embed"
	"math"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing/fstest"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// Config is the config.yaml both demo models are served with: dynamic
// batching on, up to 32 rows, waiting at most 2 ms for a batch to fill.
const Config = `max_batch_size: 32
dynamic_batching:
  max_queue_delay: 2ms
warmup: 2
`

// ImageConfig serves the image model behind the example plugins: an upload
// (JPEG/PNG) is preprocessed as torchvision's ImageNet transform does and
// the answer is the top-5 ImageNet labels.
const ImageConfig = `max_batch_size: 8
dynamic_batching:
  max_queue_delay: 2ms
warmup: 1
pre:
  - plugin: plugins/imagenet-preprocess.wasm
post:
  - plugin: plugins/topk.wasm
    config: {k: "5", labels: imagenet}
`

// The example plugins the image model uses, built by `make plugins` (which
// checks these committed copies are byte for byte what the sources build).
//
//go:embed plugins/imagenet-preprocess.wasm plugins/topk.wasm
var pluginFiles embed.FS

// Repository is the demo model repository, in the on-disk layout
// (<model>/config.yaml, <model>/1/model.onnx), held in memory.
func Repository() fstest.MapFS {
	fs := fstest.MapFS{
		"mlp/config.yaml":    {Data: []byte(Config)},
		"mlp/1/model.onnx":   {Data: onnxpb.EncodeModel(MLP())},
		"cnn/config.yaml":    {Data: []byte(Config)},
		"cnn/1/model.onnx":   {Data: onnxpb.EncodeModel(CNN())},
		"image/config.yaml":  {Data: []byte(ImageConfig)},
		"image/1/model.onnx": {Data: onnxpb.EncodeModel(ImageModel())},
	}
	for _, name := range []string{"imagenet-preprocess.wasm", "topk.wasm"} {
		// Embedded at build time; were one missing, the image model's load
		// would fail naming the file.
		if data, err := pluginFiles.ReadFile("plugins/" + name); err == nil {
			fs["image/plugins/"+name] = &fstest.MapFile{Data: data}
		}
	}
	return fs
}

// builder hands out seeded weights.
type builder struct{ rng *rand.Rand }

func newBuilder(seed uint64) *builder { return &builder{rand.New(rand.NewPCG(seed, 1))} }

// weights draws He-initialised values (scale sqrt(2/fanIn)) so activations
// stay O(1) through the ReLUs and the logits are not all equal.
func (b *builder) weights(fanIn int, shape ...int) *tensor.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	scale := float32(math.Sqrt(2 / float64(fanIn)))
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(b.rng.NormFloat64()) * scale
	}
	return tensor.New(shape, w)
}

func (b *builder) bias(n int) *tensor.Tensor {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(b.rng.NormFloat64()) * 0.1
	}
	return tensor.New([]int{n}, v)
}

// floatType is float32 with the given dims: an int is a fixed size, a string
// a named dynamic one.
func floatType(dims ...any) *graph.Type {
	t := &graph.Type{Kind: graph.KindTensor, Elem: tensor.Float32}
	for _, x := range dims {
		switch v := x.(type) {
		case int:
			t.Shape = append(t.Shape, graph.Dim{Value: int64(v)})
		case string:
			t.Shape = append(t.Shape, graph.Dim{Value: -1, Param: v})
		}
	}
	return t
}

func ints(name string, v ...int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInts, Ints: v}
}

func intAttr(name string, v int64) *graph.Attribute {
	return &graph.Attribute{Name: name, Type: graph.AttrInt, I: v}
}

func model(name string, g *graph.Graph) *graph.Model {
	g.Name = name
	for k := range g.Initializers {
		g.InitializerOrder = append(g.InitializerOrder, k)
	}
	slices.Sort(g.InitializerOrder)
	return &graph.Model{IRVersion: 8, ProducerName: "gonyx-demo", Opsets: map[string]int{"": 17}, Graph: g}
}

// MLP is features float32[N,64] → Gemm(64→32) → Relu → Gemm(32→10) →
// logits float32[N,10].
func MLP() *graph.Model {
	b := newBuilder(42)
	transB := map[string]*graph.Attribute{"transB": intAttr("transB", 1)}
	return model("mlp", &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "features", Type: floatType("N", 64)}},
		Outputs: []graph.ValueInfo{{Name: "logits", Type: floatType("N", 10)}},
		Initializers: map[string]*tensor.Tensor{
			"fc1.weight": b.weights(64, 32, 64), "fc1.bias": b.bias(32),
			"fc2.weight": b.weights(32, 10, 32), "fc2.bias": b.bias(10),
		},
		Nodes: []*graph.Node{
			{Name: "fc1", OpType: "Gemm", Inputs: []string{"features", "fc1.weight", "fc1.bias"}, Outputs: []string{"h"}, Attrs: transB},
			{Name: "relu", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"hr"}, Attrs: map[string]*graph.Attribute{}},
			{Name: "fc2", OpType: "Gemm", Inputs: []string{"hr", "fc2.weight", "fc2.bias"}, Outputs: []string{"logits"}, Attrs: transB},
		},
	})
}

// CNN is the classic PyTorch MNIST example network: image
// float32[N,1,28,28] → Conv 3×3 (32) → Relu → Conv 3×3 (64) → Relu →
// MaxPool 2 → Flatten → Gemm(9216→128) → Relu → Gemm(128→10) → logits
// float32[N,10]. Its 4.7 MB first dense layer is what makes dynamic batching
// pay: one batch reads those weights once for every request in it.
func CNN() *graph.Model {
	b := newBuilder(43)
	conv := map[string]*graph.Attribute{"kernel_shape": ints("kernel_shape", 3, 3)}
	pool := map[string]*graph.Attribute{"kernel_shape": ints("kernel_shape", 2, 2), "strides": ints("strides", 2, 2)}
	none := map[string]*graph.Attribute{}
	transB := map[string]*graph.Attribute{"transB": intAttr("transB", 1)}
	return model("cnn", &graph.Graph{
		Inputs:  []graph.ValueInfo{{Name: "image", Type: floatType("N", 1, 28, 28)}},
		Outputs: []graph.ValueInfo{{Name: "logits", Type: floatType("N", 10)}},
		Initializers: map[string]*tensor.Tensor{
			"conv1.weight": b.weights(9, 32, 1, 3, 3), "conv1.bias": b.bias(32),
			"conv2.weight": b.weights(288, 64, 32, 3, 3), "conv2.bias": b.bias(64),
			"fc1.weight": b.weights(9216, 128, 9216), "fc1.bias": b.bias(128),
			"fc2.weight": b.weights(128, 10, 128), "fc2.bias": b.bias(10),
		},
		Nodes: []*graph.Node{
			{Name: "conv1", OpType: "Conv", Inputs: []string{"image", "conv1.weight", "conv1.bias"}, Outputs: []string{"c1"}, Attrs: conv},
			{Name: "relu1", OpType: "Relu", Inputs: []string{"c1"}, Outputs: []string{"r1"}, Attrs: none},
			{Name: "conv2", OpType: "Conv", Inputs: []string{"r1", "conv2.weight", "conv2.bias"}, Outputs: []string{"c2"}, Attrs: conv},
			{Name: "relu2", OpType: "Relu", Inputs: []string{"c2"}, Outputs: []string{"r2"}, Attrs: none},
			{Name: "pool", OpType: "MaxPool", Inputs: []string{"r2"}, Outputs: []string{"p"}, Attrs: pool},
			{Name: "flatten", OpType: "Flatten", Inputs: []string{"p"}, Outputs: []string{"f"}, Attrs: map[string]*graph.Attribute{"axis": intAttr("axis", 1)}},
			{Name: "fc1", OpType: "Gemm", Inputs: []string{"f", "fc1.weight", "fc1.bias"}, Outputs: []string{"h"}, Attrs: transB},
			{Name: "relu3", OpType: "Relu", Inputs: []string{"h"}, Outputs: []string{"hr"}, Attrs: none},
			{Name: "fc2", OpType: "Gemm", Inputs: []string{"hr", "fc2.weight", "fc2.bias"}, Outputs: []string{"logits"}, Attrs: transB},
		},
	})
}

// Write puts the demo repository on disk under dir. A non-empty config
// replaces every model's config.yaml (benchmarks and tests use it to vary
// batching).
func Write(dir, config string) error {
	for name, f := range Repository() {
		data := f.Data
		if config != "" && path.Base(name) == "config.yaml" {
			data = []byte(config)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
