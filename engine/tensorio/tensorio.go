// Package tensorio reads and writes tensors in the file formats the CLI
// accepts: ONNX TensorProto (.pb), NumPy (.npy) and JSON.
package tensorio

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gonyx/gonyx/engine/graph"
	"github.com/gonyx/gonyx/engine/onnxpb"
	"github.com/gonyx/gonyx/engine/tensor"
)

// ReadFile reads a value from path, choosing the format by extension. want
// is the declared type of the input it feeds (may be nil); JSON data
// without an explicit dtype takes its element type from it.
func ReadFile(path string, want *graph.Type) (tensor.Value, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".npy":
		return ReadNpy(buf)
	case ".json":
		return ReadJSON(buf, want)
	default:
		v, _, err := onnxpb.DecodeValue(buf, want)
		return v, err
	}
}

// ReadJSON accepts either {"dtype": "float32", "shape": [..], "data": [..]}
// (data flat or nested) or a bare nested array whose shape is its nesting.
func ReadJSON(buf []byte, want *graph.Type) (*tensor.Tensor, error) {
	var raw any
	if err := json.Unmarshal(buf, &raw); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	dt := tensor.Float32
	if want != nil && want.Kind == graph.KindTensor && want.Elem != tensor.Undefined {
		dt = want.Elem
	}
	var shape []int
	data := raw
	if obj, ok := raw.(map[string]any); ok {
		if s, ok := obj["dtype"].(string); ok {
			d, err := ParseDType(s)
			if err != nil {
				return nil, err
			}
			dt = d
		}
		data = obj["data"]
		if sh, ok := obj["shape"].([]any); ok {
			for _, d := range sh {
				f, ok := d.(float64)
				if !ok || f < 0 {
					return nil, fmt.Errorf("json: bad shape %v", obj["shape"])
				}
				shape = append(shape, int(f))
			}
		}
	}
	nestedShape, flat, err := flatten(data)
	if err != nil {
		return nil, err
	}
	if shape == nil {
		shape = nestedShape
	}
	if dt == tensor.String {
		ss := make([]string, len(flat))
		for i, v := range flat {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("json: element %d is not a string", i)
			}
			ss[i] = s
		}
		return tensor.FromSlice(shape, ss)
	}
	fs := make([]float64, len(flat))
	for i, v := range flat {
		switch x := v.(type) {
		case float64:
			fs[i] = x
		case bool:
			if x {
				fs[i] = 1
			}
		default:
			return nil, fmt.Errorf("json: element %d is %T, not a number", i, v)
		}
	}
	return tensor.FromFloat64s(dt, shape, fs)
}

// flatten walks a nested JSON array, checking it is rectangular.
func flatten(v any) ([]int, []any, error) {
	arr, ok := v.([]any)
	if !ok {
		return []int{}, []any{v}, nil
	}
	if len(arr) == 0 {
		return []int{0}, nil, nil
	}
	var inner []int
	var flat []any
	for i, e := range arr {
		s, f, err := flatten(e)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			inner = s
		} else if !equalInts(inner, s) {
			return nil, nil, fmt.Errorf("json: ragged array (row %d has shape %v, row 0 has %v)", i, s, inner)
		}
		flat = append(flat, f...)
	}
	return append([]int{len(arr)}, inner...), flat, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ParseDType accepts names like float32, FP32, int64, INT64, bool, BYTES.
func ParseDType(s string) (tensor.DType, error) {
	switch strings.ToLower(s) {
	case "float32", "float", "fp32":
		return tensor.Float32, nil
	case "float64", "double", "fp64":
		return tensor.Float64, nil
	case "float16", "fp16", "half":
		return tensor.Float16, nil
	case "bfloat16", "bf16":
		return tensor.BFloat16, nil
	case "int8":
		return tensor.Int8, nil
	case "int16":
		return tensor.Int16, nil
	case "int32":
		return tensor.Int32, nil
	case "int64":
		return tensor.Int64, nil
	case "uint8":
		return tensor.Uint8, nil
	case "uint16":
		return tensor.Uint16, nil
	case "uint32":
		return tensor.Uint32, nil
	case "uint64":
		return tensor.Uint64, nil
	case "bool":
		return tensor.Bool, nil
	case "string", "bytes":
		return tensor.String, nil
	}
	return tensor.Undefined, fmt.Errorf("unknown dtype %q", s)
}
