package plugins

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/gonyx/gonyx/server/infer"
)

// Description is what a plugin says about itself (gonyx_describe).
type Description struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Kind    string            `json:"kind"` // "pre" or "post"
	Inputs  []TensorSpec      `json:"inputs"`
	Outputs []TensorSpec      `json:"outputs"`
	Config  map[string]string `json:"config"` // setting name → its meaning
}

// TensorSpec is one declared input or output. Datatype is a KServe name
// (FP32, INT64, BYTES…); a dimension of -1 means any size.
type TensorSpec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

const maxDescriptionBytes = 1 << 20

// parseDescription decodes and checks gonyx_describe's JSON.
func parseDescription(b []byte) (Description, error) {
	var d Description
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("gonyx_describe returned invalid JSON: %w", err)
	}
	if d.Kind != "pre" && d.Kind != "post" {
		return d, fmt.Errorf("gonyx_describe: kind is %q; it must be \"pre\" or \"post\"", d.Kind)
	}
	for _, list := range [][]TensorSpec{d.Inputs, d.Outputs} {
		for _, s := range list {
			if _, ok := infer.DTypeOf(s.Datatype); !ok && s.Datatype != "" {
				return d, fmt.Errorf("gonyx_describe: tensor %q has unknown datatype %q", s.Name, s.Datatype)
			}
			for _, dim := range s.Shape {
				if dim < -1 {
					return d, fmt.Errorf("gonyx_describe: tensor %q has dimension %d", s.Name, dim)
				}
			}
		}
	}
	return d, nil
}

// clone is a deep copy, so callers cannot change the plugin's own.
func (d Description) clone() Description {
	c := d
	c.Inputs, c.Outputs = cloneSpecs(d.Inputs), cloneSpecs(d.Outputs)
	c.Config = maps.Clone(d.Config)
	return c
}

func cloneSpecs(s []TensorSpec) []TensorSpec {
	if s == nil {
		return nil
	}
	c := make([]TensorSpec, len(s))
	for i, t := range s {
		c[i] = t
		c[i].Shape = slices.Clone(t.Shape)
	}
	return c
}
