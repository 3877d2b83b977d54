package repository

import (
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// keySet records which keys a config.yaml wrote, as "section.key" paths.
// Defaults fill only what the file leaves out, so an explicit "warmup: 0"
// or "response_cache: {enabled: false}" wins over a server-wide default.
type keySet map[string]bool

// presentKeys lists the top-level keys of a config.yaml and the keys of its
// mapping sections. The file has already passed ParseConfig.
func presentKeys(data []byte) keySet {
	var top map[string]any
	if yaml.Unmarshal(data, &top) != nil {
		return keySet{}
	}
	keys := keySet{}
	for k, v := range top {
		keys[k] = true
		if section, ok := v.(map[string]any); ok {
			for sub := range section {
				keys[k+"."+sub] = true
			}
		}
	}
	return keys
}

// applyDefaults fills the fields the config.yaml did not write from def,
// then the built-in defaults (latest 1, a queue of DefaultMaxQueueSize).
func applyDefaults(cfg ModelConfig, written keySet, def ModelConfig) ModelConfig {
	if !written["version_policy"] || cfg.VersionPolicy.IsZero() {
		cfg.VersionPolicy = def.VersionPolicy
		cfg.VersionPolicy.Specific = slices.Clone(def.VersionPolicy.Specific)
	}
	if cfg.VersionPolicy.IsZero() {
		cfg.VersionPolicy.Latest = 1
	}
	fill(&cfg.MaxBatchSize, def.MaxBatchSize, written["max_batch_size"])
	fill(&cfg.Warmup, def.Warmup, written["warmup"])
	fill(&cfg.Threads, def.Threads, written["threads"])

	b, db := &cfg.Batching, def.Batching
	fill(&b.MaxQueueDelay, db.MaxQueueDelay, written["dynamic_batching.max_queue_delay"])
	fill(&b.MaxQueueSize, db.MaxQueueSize, written["dynamic_batching.max_queue_size"])
	fill(&b.DefaultTimeout, db.DefaultTimeout, written["dynamic_batching.default_timeout"])
	fill(&b.StrictDelay, db.StrictDelay, written["dynamic_batching.strict_delay"])
	if !written["dynamic_batching.preferred_batch_sizes"] {
		b.PreferredBatchSizes = slices.Clone(db.PreferredBatchSizes)
	}
	if b.MaxQueueSize == 0 { // a queue of 0 would refuse every request
		b.MaxQueueSize = DefaultMaxQueueSize
	}

	c, dc := &cfg.Cache, def.Cache
	fill(&c.Enabled, dc.Enabled, written["response_cache.enabled"])
	fill(&c.MaxEntries, dc.MaxEntries, written["response_cache.max_entries"])
	fill(&c.MaxBytes, dc.MaxBytes, written["response_cache.max_bytes"])

	if !written["pre"] {
		cfg.Pre = clonePlugins(def.Pre)
	}
	if !written["post"] {
		cfg.Post = clonePlugins(def.Post)
	}
	if !written["parameters"] {
		cfg.Parameters = maps.Clone(def.Parameters)
	}
	return cfg
}

// fill sets *field to def when the file did not write the field.
func fill[T any](field *T, def T, written bool) {
	if !written {
		*field = def
	}
}

func clonePlugins(refs []PluginRef) []PluginRef {
	out := slices.Clone(refs)
	for i := range out {
		out[i].Config = maps.Clone(out[i].Config)
	}
	return out
}
