// Command bench-gonnx times github.com/advancedclimatesystems/gonnx on one
// model with the options and JSON output of `gonyx bench`; see
// internal/peerrun. Built and run by `make bench-compare`.
package main

import (
	"fmt"
	"os"

	"github.com/advancedclimatesystems/gonnx"
	"gorgonia.org/tensor"

	"github.com/gonyx/gonyx/benchmarks/internal/peerrun"
)

func main() {
	peerrun.Main("gonnx", []string{"github.com/advancedclimatesystems/gonnx", "gorgonia.org/tensor"}, load)
}

func load(path string, opt peerrun.Options) (peerrun.Runner, string, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	mp, err := gonnx.ModelProtoFromBytes(buf)
	if err != nil {
		return nil, "", err
	}
	note := ""
	if opt.ForceOpset > 0 {
		for _, imp := range mp.GetOpsetImport() {
			if (imp.GetDomain() == "" || imp.GetDomain() == "ai.onnx") && imp.GetVersion() != opt.ForceOpset {
				note = fmt.Sprintf("opset %d read as %d", imp.GetVersion(), opt.ForceOpset)
				imp.Version = opt.ForceOpset
			}
		}
	}
	m, err := gonnx.NewModel(mp)
	if err != nil {
		return nil, note, err
	}
	names := m.InputNames()
	outNames := m.OutputNames()
	run := func(inputs []peerrun.Value) ([]peerrun.Value, error) {
		feeds := gonnx.Tensors{}
		for i, in := range inputs {
			name := in.Name
			if name == "" && i < len(names) {
				name = names[i]
			}
			var t *tensor.Dense
			if in.DType == "float32" {
				t = tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(append([]float32(nil), in.F32...)))
			} else {
				t = tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(append([]int64(nil), in.I64...)))
			}
			feeds[name] = t
		}
		res, err := m.Run(feeds)
		if err != nil {
			return nil, err
		}
		outs := make([]peerrun.Value, len(outNames))
		for i, name := range outNames {
			t, ok := res[name]
			if !ok || t == nil {
				return nil, fmt.Errorf("no output %q", name)
			}
			v, err := toValue(name, t)
			if err != nil {
				return nil, err
			}
			outs[i] = v
		}
		return outs, nil
	}
	return run, note, nil
}

func toValue(name string, t tensor.Tensor) (peerrun.Value, error) {
	v := peerrun.Value{Name: name, Shape: append([]int(nil), t.Shape()...)}
	switch d := t.Data().(type) {
	case []float32:
		v.DType, v.F32 = "float32", d
	case float32:
		v.DType, v.F32 = "float32", []float32{d}
	case []float64:
		v.DType = "float32"
		for _, x := range d {
			v.F32 = append(v.F32, float32(x))
		}
	case []int64:
		v.DType, v.I64 = "int64", d
	default:
		return v, fmt.Errorf("output %q: unsupported data %T", name, d)
	}
	return v, nil
}
