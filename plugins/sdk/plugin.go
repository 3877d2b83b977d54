package sdk

import (
	"errors"
	"fmt"
)

// Kind says where a plugin sits in a model's pipeline.
type Kind string

// The two kinds of plugin.
const (
	Pre  Kind = "pre"  // request body → model inputs
	Post Kind = "post" // model outputs → response
)

// Spec describes one input or output of a plugin in its description. The
// datatype is a KServe name (FP32, INT64, BYTES…); -1 in Shape means any
// size, a nil Shape any rank.
type Spec struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape,omitempty"`
}

// Plugin is everything a plugin registers: its description and its two
// callbacks.
type Plugin struct {
	Name    string
	Version string
	Kind    Kind
	Inputs  []Spec
	Outputs []Spec
	// Config documents the settings the plugin accepts (key → meaning).
	// When it is non-nil, any other key in the model's configuration fails
	// initialisation, so a misspelt setting is reported instead of ignored.
	Config map[string]string

	// Init, if set, runs once per instance with the model's settings. An
	// error (or a panic) fails the plugin's load.
	Init func(cfg Config) error
	// Process handles one call. A returned error (or a panic) fails that
	// call with the error's message; the instance stays usable.
	Process func(in Input) (Output, error)
}

// description is the JSON gonyx_describe returns (docs/PLUGINS.md).
type description struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Kind    Kind              `json:"kind"`
	Inputs  []Spec            `json:"inputs"`
	Outputs []Spec            `json:"outputs"`
	Config  map[string]string `json:"config"`
}

// kserveTypes are the datatype names a Spec may use.
var kserveTypes = map[string]bool{
	"BOOL": true, "UINT8": true, "UINT16": true, "UINT32": true, "UINT64": true,
	"INT8": true, "INT16": true, "INT32": true, "INT64": true,
	"FP16": true, "FP32": true, "FP64": true, "BF16": true, "BYTES": true,
}

// Register declares the plugin. Call it exactly once, from an init function
// of package main. A mistake in the registration is not a panic (that would
// trap before the host could say why); it is reported by gonyx_describe, so
// the plugin fails to load with a message naming the mistake.
func Register(p Plugin) {
	if reg.registered {
		reg.err = errors.New("sdk.Register called more than once")
		return
	}
	reg.registered = true
	reg.plugin = p
	reg.err = validate(p)
}

func validate(p Plugin) error {
	if p.Name == "" {
		return errors.New("sdk.Register: the plugin has no Name")
	}
	if p.Kind != Pre && p.Kind != Post {
		return fmt.Errorf("sdk.Register: plugin %q has kind %q, want sdk.Pre or sdk.Post", p.Name, p.Kind)
	}
	if p.Process == nil {
		return fmt.Errorf("sdk.Register: plugin %q has no Process function", p.Name)
	}
	for _, list := range []struct {
		what  string
		specs []Spec
	}{{"input", p.Inputs}, {"output", p.Outputs}} {
		seen := map[string]bool{}
		for _, s := range list.specs {
			if s.Name == "" {
				return fmt.Errorf("sdk.Register: plugin %q has an %s without a name", p.Name, list.what)
			}
			if seen[s.Name] {
				return fmt.Errorf("sdk.Register: plugin %q declares %s %q twice", p.Name, list.what, s.Name)
			}
			seen[s.Name] = true
			if !kserveTypes[s.Datatype] {
				return fmt.Errorf("sdk.Register: plugin %q: %s %q has datatype %q, not a KServe name (FP32, INT64, BYTES…)",
					p.Name, list.what, s.Name, s.Datatype)
			}
		}
	}
	return nil
}

func (p *Plugin) description() description {
	d := description{Name: p.Name, Version: p.Version, Kind: p.Kind,
		Inputs: p.Inputs, Outputs: p.Outputs, Config: p.Config}
	// Empty lists rather than null, so hosts need no special case.
	if d.Inputs == nil {
		d.Inputs = []Spec{}
	}
	if d.Outputs == nil {
		d.Outputs = []Spec{}
	}
	if d.Config == nil {
		d.Config = map[string]string{}
	}
	return d
}
