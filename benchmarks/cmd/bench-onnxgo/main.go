// Command bench-onnxgo times github.com/owulveryck/onnx-go with its
// gorgonia backend (backend/x/gorgonnx) on one model with the options and
// JSON output of `gonyx bench`; see internal/peerrun. Built and run by
// `make bench-compare`.
package main

import (
	"fmt"
	"os"
	"slices"

	onnx "github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"gorgonia.org/tensor"

	"github.com/gonyx/gonyx/benchmarks/internal/peerrun"
)

func main() {
	peerrun.Main("onnx-go", []string{"github.com/owulveryck/onnx-go", "gorgonia.org/gorgonia"}, load)
}

func load(path string, _ peerrun.Options) (peerrun.Runner, string, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	const note = "" // onnx-go reads any opset; --force-opset does not apply
	// gorgonnx compiles its expression graph on the first run for the
	// shapes it was given, so a new input shape needs a fresh model.
	var (
		model  *onnx.Model
		graph  *gorgonnx.Graph
		shapes [][]int
	)
	fresh := func() error {
		graph = gorgonnx.NewGraph()
		model = onnx.NewModel(graph)
		return model.UnmarshalBinary(buf)
	}
	if err := fresh(); err != nil {
		return nil, note, err
	}
	run := func(inputs []peerrun.Value) ([]peerrun.Value, error) {
		var now [][]int
		for _, in := range inputs {
			now = append(now, in.Shape)
		}
		if shapes != nil && !slices.EqualFunc(shapes, now, slices.Equal[[]int]) {
			if err := fresh(); err != nil {
				return nil, err
			}
		}
		shapes = now
		for i, in := range inputs {
			var t *tensor.Dense
			if in.DType == "float32" {
				t = tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(append([]float32(nil), in.F32...)))
			} else {
				t = tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(append([]int64(nil), in.I64...)))
			}
			if err := model.SetInput(i, t); err != nil {
				return nil, err
			}
		}
		if err := graph.Run(); err != nil {
			return nil, err
		}
		res, err := model.GetOutputTensors()
		if err != nil {
			return nil, err
		}
		outs := make([]peerrun.Value, len(res))
		for i, t := range res {
			if t == nil {
				return nil, fmt.Errorf("output %d is nil", i)
			}
			v := peerrun.Value{Shape: append([]int(nil), t.Shape()...)}
			switch d := t.Data().(type) {
			case []float32:
				v.DType, v.F32 = "float32", append([]float32(nil), d...)
			case float32:
				v.DType, v.F32 = "float32", []float32{d}
			default:
				return nil, fmt.Errorf("output %d: unsupported data %T", i, d)
			}
			outs[i] = v
		}
		return outs, nil
	}
	return run, note, nil
}
