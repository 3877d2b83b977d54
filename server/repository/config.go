// Package repository is the versioned model repository of the model server:
// it finds model files, parses their config.yaml, decides which versions
// should be loaded, loads them through an Opener, hands out refcounted
// handles, swaps versions without downtime and reports an index. It knows
// nothing of engines or batchers; the server package supplies the Opener.
//
// Layout:
//
//	<root>/<model>/config.yaml          optional
//	<root>/<model>/<version>/model.onnx versions are canonical numbers ≥ 1
//	<root>/<model>/model.onnx           version 1, when there are no version folders
//
// A new or changed version is loaded while the old one keeps serving and is
// swapped in only once loaded; a replaced servable is closed after the last
// request holding it has released its Handle.
package repository

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ModelConfig is <model>/config.yaml. Unknown fields are an error, so a
// typo does not silently fall back to a default.
type ModelConfig struct {
	// Name is optional; when given it must equal the model's folder name.
	Name string `yaml:"name"`
	// VersionPolicy picks the versions to load; default latest 1.
	VersionPolicy VersionPolicy `yaml:"version_policy"`
	// MaxBatchSize is the largest batch; 0 = no batching (requests run one by one).
	MaxBatchSize int            `yaml:"max_batch_size"`
	Batching     BatchingConfig `yaml:"dynamic_batching"`
	// Warmup is the number of warm-up runs before the version is READY.
	Warmup int `yaml:"warmup"`
	// Threads is the engine's thread count; 0 = server default.
	Threads int         `yaml:"threads"`
	Cache   CacheConfig `yaml:"response_cache"`
	// Pre and Post are the preprocessing and postprocessing plugins.
	Pre        []PluginRef       `yaml:"pre"`
	Post       []PluginRef       `yaml:"post"`
	Parameters map[string]string `yaml:"parameters"`
}

// VersionPolicy selects versions: the Latest n, All, or the Specific ones.
// At most one may be set; none set means latest 1.
type VersionPolicy struct {
	Latest   int     `yaml:"latest"`
	All      bool    `yaml:"all"`
	Specific []int64 `yaml:"specific"`
}

// IsZero reports whether no policy is set.
func (p VersionPolicy) IsZero() bool { return p.Latest == 0 && !p.All && len(p.Specific) == 0 }

func (p VersionPolicy) String() string {
	switch {
	case p.All:
		return "all"
	case len(p.Specific) > 0:
		return fmt.Sprintf("specific %v", p.Specific)
	}
	return fmt.Sprintf("latest %d", p.Latest)
}

// BatchingConfig is the dynamic batcher's configuration.
type BatchingConfig struct {
	// MaxQueueDelay is how long a request may wait for a batch to fill.
	MaxQueueDelay       Duration `yaml:"max_queue_delay"`
	PreferredBatchSizes []int    `yaml:"preferred_batch_sizes"`
	// MaxQueueSize bounds the queue; 0 means the default, 1024.
	MaxQueueSize int `yaml:"max_queue_size"`
	// DefaultTimeout applies to requests that set none; 0 = none.
	DefaultTimeout Duration `yaml:"default_timeout"`
	// StrictDelay makes every batch wait MaxQueueDelay to fill, as Triton
	// does. By default an idle model runs what is queued at once and
	// batches form from requests that arrive while it is busy.
	StrictDelay bool `yaml:"strict_delay"`
}

// DefaultMaxQueueSize is the queue bound when neither the config.yaml nor
// Options.Defaults sets one.
const DefaultMaxQueueSize = 1024

// CacheConfig is the response cache's configuration.
type CacheConfig struct {
	Enabled    bool  `yaml:"enabled"`
	MaxEntries int   `yaml:"max_entries"`
	MaxBytes   int64 `yaml:"max_bytes"`
}

// PluginRef names a pre- or postprocessing plugin and its settings.
type PluginRef struct {
	Plugin  string            `yaml:"plugin"`
	Config  map[string]string `yaml:"config"`
	Trusted bool              `yaml:"trusted"`
	Timeout Duration          `yaml:"timeout"`
}

// Duration is a time.Duration written in YAML as a Go duration string
// ("2ms", "1.5s"). Plain numbers are rejected: "max_queue_delay: 2" could
// mean seconds, milliseconds or nanoseconds, and guessing wrong is a
// thousand-fold latency bug.
type Duration time.Duration

// UnmarshalYAML accepts only duration strings.
func (d *Duration) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode || node.ShortTag() != "!!str" {
		return fmt.Errorf("line %d: expected a duration string such as \"2ms\" or \"1s\", got %s", node.Line, describeNode(node))
	}
	v, err := time.ParseDuration(node.Value)
	if err != nil {
		return fmt.Errorf("line %d: expected a duration such as \"2ms\" or \"1s\", got %q", node.Line, node.Value)
	}
	if v < 0 {
		return fmt.Errorf("line %d: duration %q is negative", node.Line, node.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string, so configs round-trip.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

func (d Duration) String() string { return time.Duration(d).String() }

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	tag := strings.TrimPrefix(n.ShortTag(), "!!")
	return fmt.Sprintf("%s %q", tag, n.Value)
}

// maxConfigSize bounds config.yaml; real ones are a few hundred bytes.
const maxConfigSize = 1 << 20

// ParseConfig parses a config.yaml and checks each field on its own (no
// defaults are applied; the repository applies Options.Defaults).
func ParseConfig(data []byte) (ModelConfig, error) {
	var cfg ModelConfig
	if len(data) > maxConfigSize {
		return cfg, fmt.Errorf("config is %d bytes, more than the %d allowed", len(data), maxConfigSize)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) { // empty file: everything default
			return ModelConfig{}, nil
		}
		return ModelConfig{}, cleanYAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return ModelConfig{}, errors.New("expected one YAML document, found more")
	}
	if err := cfg.check(); err != nil {
		return ModelConfig{}, err
	}
	return cfg, nil
}

// cleanYAMLError turns yaml's multi-line "unmarshal errors" into one line.
func cleanYAMLError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	msg = strings.ReplaceAll(msg, "in type repository.", "in ")
	msg = strings.ReplaceAll(msg, "repository.", "")
	return errors.New(msg)
}

// check validates fields that make no sense on their own (negative sizes,
// two policies at once). Cross-field rules wait until defaults are applied.
func (c ModelConfig) check() error {
	p := c.VersionPolicy
	set := 0
	if p.Latest != 0 {
		set++
	}
	if p.All {
		set++
	}
	if len(p.Specific) > 0 {
		set++
	}
	if set > 1 {
		return errors.New("version_policy: set exactly one of latest, all, specific")
	}
	if p.Latest < 0 {
		return fmt.Errorf("version_policy.latest must be at least 1, got %d", p.Latest)
	}
	for _, v := range p.Specific {
		if v < 1 {
			return fmt.Errorf("version_policy.specific: versions are numbers from 1, got %d", v)
		}
	}
	nonNegative := []struct {
		name string
		v    int64
	}{
		{"max_batch_size", int64(c.MaxBatchSize)},
		{"warmup", int64(c.Warmup)},
		{"threads", int64(c.Threads)},
		{"dynamic_batching.max_queue_size", int64(c.Batching.MaxQueueSize)},
		{"response_cache.max_entries", int64(c.Cache.MaxEntries)},
		{"response_cache.max_bytes", c.Cache.MaxBytes},
	}
	for _, f := range nonNegative {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", f.name, f.v)
		}
	}
	for _, b := range c.Batching.PreferredBatchSizes {
		if b < 1 {
			return fmt.Errorf("dynamic_batching.preferred_batch_sizes must be at least 1, got %d", b)
		}
	}
	for _, list := range []struct {
		name string
		refs []PluginRef
	}{{"pre", c.Pre}, {"post", c.Post}} {
		for i, ref := range list.refs {
			if strings.TrimSpace(ref.Plugin) == "" {
				return fmt.Errorf("%s[%d]: plugin name is missing", list.name, i)
			}
		}
	}
	return nil
}

// checkEffective validates rules between fields, once defaults are in.
func (c ModelConfig) checkEffective() error {
	if err := c.check(); err != nil {
		return err
	}
	if c.MaxBatchSize == 0 && len(c.Batching.PreferredBatchSizes) > 0 {
		return errors.New("dynamic_batching.preferred_batch_sizes needs max_batch_size > 0")
	}
	for _, b := range c.Batching.PreferredBatchSizes {
		if b > c.MaxBatchSize {
			return fmt.Errorf("dynamic_batching.preferred_batch_sizes: %d is larger than max_batch_size %d", b, c.MaxBatchSize)
		}
	}
	return nil
}
