package engine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/shapeinfer"
	"github.com/gonyx/gonyx/engine/tensor"
)

// FuzzLoad feeds arbitrary bytes through the whole load path (decoder,
// shape inference, kernel builders, constant folding) and, when a model
// loads, runs it on zero inputs. Errors are fine; a panic — even one the
// engine recovers and reports as an internal error — is a finding.
func FuzzLoad(f *testing.F) {
	f.Add(onnxpb.EncodeModel(addRelu()))
	for _, c := range []string{"test_add", "test_conv_with_strides_padding", "test_reshape_negative_dim", "test_gather_0", "test_loop11", "test_if"} {
		if b, err := os.ReadFile(filepath.Join("../build/onnx-testdata/data/node", c, "model.onnx")); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := LoadBytes(append([]byte(nil), b...))
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		feeds := map[string]*Tensor{}
		for _, in := range m.Inputs() {
			if in.Type == nil || in.Shape == nil || !in.DType.Supported() {
				return
			}
			shape := make([]int, len(in.Shape))
			n := 1
			for i, d := range in.Shape {
				shape[i] = 1
				if d.Size >= 0 {
					shape[i] = int(d.Size)
				}
				n *= shape[i]
				if n > 1<<16 {
					return
				}
			}
			feeds[in.Name] = tensor.Zeros(in.DType, shape...)
		}
		if inferredWork(b, feeds) > fuzzMaxWork {
			// A legal model can ask for hours of work (the seeds that taught
			// us: Convs padded to outputs of millions of columns, 34 and 277
			// GFLOP); kernels do not poll the deadline, so such a run would
			// only trip the fuzzer's hang detector. Shape inference on the
			// shapes fed bounds the work first.
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1e9)
		defer cancel()
		if _, err := m.Run(ctx, feeds); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}
	})
}

// fuzzMaxWork bounds a fuzzed run's estimated work (see inferredWork):
// 1<<27 multiply-adds take tens of milliseconds even in the portable
// kernels (BenchmarkSgemm512/generic: about 8 GFLOP/s).
const fuzzMaxWork = 1 << 27

// inferredWork estimates a run's work from shape inference on the model
// decoded again with its inputs fixed to the shapes fed: every value's
// elements, plus multiply-adds for Conv (output × kernel volume) and
// MatMul/Gemm (output × inner dimension). Unknown dimensions count as 1.
func inferredWork(b []byte, feeds map[string]*Tensor) float64 {
	ir, err := onnxpb.DecodeModel(append([]byte(nil), b...), onnxpb.Options{})
	if err != nil || ir.Graph == nil {
		return 0
	}
	for i, in := range ir.Graph.Inputs {
		f, ok := feeds[in.Name]
		if !ok || in.Type == nil {
			continue
		}
		t := *in.Type
		t.Shape = make([]graph.Dim, f.Rank())
		for k, d := range f.Shape() {
			t.Shape[k] = graph.Dim{Value: int64(d)}
		}
		ir.Graph.Inputs[i].Type = &t
	}
	res, err := shapeinfer.Infer(ir)
	if err != nil {
		return 0 // Run fails the same way, quickly
	}
	dims := func(name string) []float64 {
		t := res.Types[name]
		if t == nil || t.Kind != graph.KindTensor {
			return nil
		}
		d := make([]float64, len(t.Shape))
		for i, x := range t.Shape {
			d[i] = 1
			if x.Value > 0 {
				d[i] = float64(x.Value)
			}
		}
		return d
	}
	prod := func(d []float64) float64 {
		p := 1.0
		for _, x := range d {
			p *= x
		}
		return p
	}
	var work float64
	for name := range res.Types {
		work += prod(dims(name))
	}
	for _, n := range ir.Graph.Nodes {
		if len(n.Inputs) < 2 || len(n.Outputs) < 1 {
			continue
		}
		out := prod(dims(n.Outputs[0]))
		switch n.OpType {
		case "Conv", "ConvTranspose":
			if w := dims(n.Inputs[1]); len(w) > 1 {
				work += out * prod(w[1:])
			}
		case "MatMul", "Gemm":
			if a := dims(n.Inputs[0]); len(a) > 0 {
				work += out * max(a[len(a)-1], a[0])
			}
		}
	}
	return work
}
