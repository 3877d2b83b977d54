// Package manifest reads shared/models/manifest.json and turns a model's
// declared inputs into concrete shapes the way the benchmark tools do.
package manifest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Input is one declared graph input. Shape entries are numbers (fixed
// dimensions) or strings (symbolic ones such as "N" or "S").
type Input struct {
	Name     string `json:"name"`
	ElemType string `json:"elem_type"`
	Shape    []any  `json:"shape"`
}

// Model is one manifest entry.
type Model struct {
	Name    string   `json:"name"`
	File    string   `json:"file"`
	Inputs  []Input  `json:"inputs"`
	OpTypes []string `json:"op_types"`
	MFLOPs  float64  `json:"mflops_batch1"`
}

// Manifest is the file's top level.
type Manifest struct {
	Opset  int     `json:"opset"`
	Models []Model `json:"models"`
}

// Parse decodes manifest.json.
func Parse(buf []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(buf, &m); err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	if len(m.Models) == 0 {
		return m, fmt.Errorf("manifest: no models")
	}
	for _, x := range m.Models {
		if x.Name == "" || x.File == "" {
			return m, fmt.Errorf("manifest: a model lacks name or file")
		}
	}
	return m, nil
}

// Load reads and parses a manifest file.
func Load(path string) (Manifest, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return Manifest{}, err
	}
	return Parse(buf)
}

// Select returns the models named in the comma-separated list, in the
// list's order, or all models for an empty list.
func (m Manifest) Select(list string) ([]Model, error) {
	if strings.TrimSpace(list) == "" {
		return m.Models, nil
	}
	var out []Model
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		found := false
		for _, x := range m.Models {
			if x.Name == name {
				out = append(out, x)
				found = true
				break
			}
		}
		if !found {
			var all []string
			for _, x := range m.Models {
				all = append(all, x.Name)
			}
			return nil, fmt.Errorf("unknown model %q (manifest has %s)", name, strings.Join(all, ", "))
		}
	}
	return out, nil
}

// Concrete gives in's shape with the first symbolic dimension set to batch
// and any other symbolic one to seq, as `gonyx bench` and ort_bench.js do.
func Concrete(in Input, batch, seq int) ([]int, error) {
	out := make([]int, len(in.Shape))
	sawBatch := false
	for i, d := range in.Shape {
		switch v := d.(type) {
		case float64:
			if v > 0 && v == float64(int(v)) {
				out[i] = int(v)
				continue
			}
			// 0 or negative: symbolic, as ort_bench.js treats it
		case string:
		default:
			return nil, fmt.Errorf("input %q: dimension %d is %T", in.Name, i, d)
		}
		if !sawBatch {
			sawBatch = true
			out[i] = batch
		} else {
			out[i] = seq
		}
	}
	return out, nil
}

// PeerSpec renders in for the peer runners' --input flag
// (name:dtype:D0xD1...); only FLOAT and INT64 inputs are supported there.
func PeerSpec(in Input, batch, seq int) (string, error) {
	var dt string
	switch strings.ToUpper(in.ElemType) {
	case "FLOAT":
		dt = "float32"
	case "INT64":
		dt = "int64"
	default:
		return "", fmt.Errorf("input %q: element type %s not supported by the peer runners", in.Name, in.ElemType)
	}
	shape, err := Concrete(in, batch, seq)
	if err != nil {
		return "", err
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	return in.Name + ":" + dt + ":" + strings.Join(dims, "x"), nil
}
